// Zero limits map as the kubelet maps them (to nothing), and no quantity, however large,
// overflows the arithmetic from the manifest to cgroup files.
#include <gtest/gtest.h>

#include <climits>

#include "podrun/cgroup/limits.hpp"
#include "podrun/spec/load.hpp"
#include "podrun/spec/quantity.hpp"

using namespace podrun;
using cgroup::WeightFormula;

namespace {

std::string value_of(const std::vector<cgroup::CgroupWrite>& ws, const std::string& file) {
    for (const auto& w : ws)
        if (w.file == file) return w.value;
    return "<none>";
}
const std::set<std::string> kAll{"cpu", "memory", "pids"};

spec::Pod pod_of(std::vector<spec::Resources> rs) {
    spec::Pod p;
    for (size_t i = 0; i < rs.size(); ++i) {
        spec::Container c;
        c.name = "c" + std::to_string(i);
        c.resources = rs[i];
        p.containers.push_back(c);
    }
    return p;
}

}  // namespace

TEST(HardenLimits, ZeroCpuLimitIsNoQuota) {
    // kubelet milliCPUToQuota(0) = 0: the runtimes write "max", not the 1000 us minimum.
    spec::Resources r;
    r.cpu_limit_millis = 0;
    r.cpu_request_millis = 0;
    auto ws = cgroup::container_writes(r, WeightFormula::Quadratic, kAll);
    EXPECT_EQ(value_of(ws, "cpu.max"), "max 100000");
    EXPECT_EQ(value_of(ws, "cpu.weight"), "1");  // MilliCPUToShares(0) = 2 -> weight 1
}

TEST(HardenLimits, ZeroMemoryLimitIsNoLimit) {
    // calculateLinuxResources: `if memLimit != 0 { MemoryLimitInBytes = memLimit }`.
    spec::Resources r;
    r.memory_limit_bytes = 0;
    auto ws = cgroup::container_writes(r, WeightFormula::Quadratic, kAll);
    EXPECT_EQ(value_of(ws, "memory.max"), "max");
}

TEST(HardenLimits, ZeroContainerLimitLeavesThePodUnlimited) {
    // ResourceConfigForPod: a container whose limit IsZero makes the pod's limit undeclared.
    spec::Resources a, b;
    a.cpu_limit_millis = 500;
    a.memory_limit_bytes = 1 << 20;
    b.cpu_limit_millis = 0;
    b.memory_limit_bytes = 0;
    auto ws = cgroup::pod_writes(pod_of({a, b}), WeightFormula::Quadratic, std::nullopt, kAll);
    EXPECT_EQ(value_of(ws, "cpu.max"), "max 100000");
    EXPECT_EQ(value_of(ws, "memory.max"), "max");
    // A pod-level zero is unlimited too.
    spec::Pod p = pod_of({a});
    p.pod_resources.cpu_limit_millis = 0;
    p.pod_resources.memory_limit_bytes = 0;
    auto pw = cgroup::pod_writes(p, WeightFormula::Quadratic, std::nullopt, kAll);
    EXPECT_EQ(value_of(pw, "cpu.max"), "max 100000");
    EXPECT_EQ(value_of(pw, "memory.max"), "max");
}

TEST(HardenLimits, ZeroAsksForNoController) {
    // Nothing to enforce: a host without cpu/memory controllers runs such a pod.
    spec::Resources r;
    r.cpu_limit_millis = 0;
    r.cpu_request_millis = 0;
    r.memory_limit_bytes = 0;
    r.memory_request_bytes = 0;
    EXPECT_TRUE(cgroup::needed_controllers(pod_of({r}), std::nullopt).empty());
    // From a manifest, through the validator (requests default to the zero limits).
    auto l = spec::load_pod_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n"
        "    command: [x]\n    resources: {limits: {cpu: \"0\", memory: 0}}\n",
        "t");
    ASSERT_TRUE(l.ok());
    EXPECT_TRUE(cgroup::needed_controllers(*l.pod, std::nullopt).empty());
}

TEST(HardenLimits, HugeValuesSaturateWithoutOverflow) {
    // Built with -fsanitize=undefined (tests/jobs/sanitize.sh), an overflow here fails the test.
    EXPECT_EQ(cgroup::cpu_quota_us(INT64_MAX), cgroup::kMaxQuotaUs);
    EXPECT_EQ(cgroup::cpu_quota_us(cgroup::kMaxQuotaUs / 100), cgroup::kMaxQuotaUs);
    EXPECT_EQ(cgroup::cpu_quota_us(cgroup::kMaxQuotaUs / 100 - 1), (cgroup::kMaxQuotaUs / 100 - 1) * 100);
    EXPECT_EQ(cgroup::cpu_shares(INT64_MAX), 262144u);
    EXPECT_EQ(cgroup::cpu_shares(255999), 262142u);
    EXPECT_EQ(cgroup::cpu_shares(256000), 262144u);
    spec::Resources big;
    big.cpu_limit_millis = INT64_MAX;
    big.cpu_request_millis = INT64_MAX;
    big.memory_limit_bytes = INT64_MAX;
    auto ws = cgroup::pod_writes(pod_of({big, big, big}), WeightFormula::Quadratic, std::nullopt, kAll);
    EXPECT_EQ(value_of(ws, "cpu.max"), std::to_string(cgroup::kMaxQuotaUs) + " 100000");
    EXPECT_EQ(value_of(ws, "memory.max"), std::to_string(INT64_MAX));
    EXPECT_EQ(value_of(ws, "cpu.weight"), "10000");
}

TEST(HardenLimits, QuantitiesAreCappedAsTheApiServerCapsThem) {
    // resource.ParseQuantity caps at 2^63-1; the milli value saturates with it.
    for (const char* s : {"1e999", "9223372036854775808", "99999999999999999999Ei", "8Ei", "9999999999999999999k"}) {
        auto q = spec::parse_quantity(s);
        ASSERT_TRUE(q) << s;
        EXPECT_EQ(q->value, INT64_MAX) << s;
        EXPECT_EQ(q->milli_value, INT64_MAX) << s;
    }
    auto q = spec::parse_quantity("9223372036854775807m");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->milli_value, INT64_MAX);
    EXPECT_EQ(q->value, 9223372036854776);  // rounded up, as Value() does
    // An exponent beyond int64 is not a quantity (apimachinery: ErrSuffix), not a wrap.
    EXPECT_FALSE(spec::parse_quantity("1e99999999999999999999"));
    // Tiny values round up to the smallest unit, never down to zero.
    auto tiny = spec::parse_quantity("1e-999");
    ASSERT_TRUE(tiny);
    EXPECT_EQ(tiny->milli_value, 1);
    EXPECT_EQ(tiny->value, 1);
}
