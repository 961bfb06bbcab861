// The resource mapping, checked against the values the kubelet, crun and runc produce.
#include <gtest/gtest.h>

#include "podrun/cgroup/limits.hpp"

using namespace podrun;
using cgroup::WeightFormula;

namespace {
std::string value_of(const std::vector<cgroup::CgroupWrite>& ws, const std::string& file) {
    for (const auto& w : ws) {
        if (w.file == file) return w.value;
    }
    return "<none>";
}
const std::set<std::string> kAll{"cpu", "memory", "pids"};
}  // namespace

TEST(CgroupLimits, CpuShares) {
    EXPECT_EQ(cgroup::cpu_shares(1000), 1024u);
    EXPECT_EQ(cgroup::cpu_shares(250), 256u);
    EXPECT_EQ(cgroup::cpu_shares(1), 2u);  // at least MinShares
    EXPECT_EQ(cgroup::cpu_shares(0), 2u);
    EXPECT_EQ(cgroup::cpu_shares(1000000), 262144u);
}

TEST(CgroupLimits, WeightQuadraticAndLinear) {
    EXPECT_EQ(cgroup::shares_to_weight(1024, WeightFormula::Quadratic), 100u);
    EXPECT_EQ(cgroup::shares_to_weight(256, WeightFormula::Quadratic), 35u);
    EXPECT_EQ(cgroup::shares_to_weight(1024, WeightFormula::Linear), 39u);
    EXPECT_EQ(cgroup::shares_to_weight(256, WeightFormula::Linear), 10u);
    EXPECT_EQ(cgroup::shares_to_weight(2, WeightFormula::Quadratic), 1u);
    EXPECT_EQ(cgroup::shares_to_weight(2, WeightFormula::Linear), 1u);
    EXPECT_EQ(cgroup::shares_to_weight(262144, WeightFormula::Quadratic), 10000u);
    EXPECT_EQ(cgroup::shares_to_weight(262144, WeightFormula::Linear), 10000u);
}

TEST(CgroupLimits, CpuMax) {
    EXPECT_EQ(cgroup::cpu_quota_us(500), 50000);
    EXPECT_EQ(cgroup::cpu_quota_us(200), 20000);
    EXPECT_EQ(cgroup::cpu_quota_us(1), 1000);  // the kernel's minimum quota
    spec::Resources r;
    r.cpu_limit_millis = 500;
    r.cpu_request_millis = 500;
    auto ws = cgroup::container_writes(r, WeightFormula::Quadratic, kAll);
    EXPECT_EQ(value_of(ws, "cpu.max"), "50000 100000");
    EXPECT_EQ(value_of(ws, "memory.max"), "max");
    EXPECT_EQ(value_of(ws, "memory.swap.max"), "0");
    EXPECT_EQ(value_of(ws, "memory.oom.group"), "1");
}

TEST(CgroupLimits, MemoryMax) {
    spec::Resources r;
    r.memory_limit_bytes = 64 * 1024 * 1024;
    auto ws = cgroup::container_writes(r, WeightFormula::Quadratic, {"memory"});
    EXPECT_EQ(value_of(ws, "memory.max"), "67108864");
    EXPECT_EQ(value_of(ws, "cpu.max"), "<none>");  // cpu controller not in use
}

TEST(CgroupLimits, PodSumsLimitsOnlyWhenEveryContainerHasOne) {
    spec::Pod pod;
    spec::Container a, b;
    a.resources.cpu_limit_millis = 500;
    a.resources.cpu_request_millis = 250;
    a.resources.memory_limit_bytes = 100;
    b.resources.cpu_limit_millis = 250;
    b.resources.cpu_request_millis = 250;
    pod.containers = {a, b};
    auto ws = cgroup::pod_writes(pod, WeightFormula::Quadratic, 20, kAll);
    EXPECT_EQ(value_of(ws, "cpu.max"), "75000 100000");
    EXPECT_EQ(value_of(ws, "cpu.weight"), std::to_string(cgroup::shares_to_weight(512, WeightFormula::Quadratic)));
    EXPECT_EQ(value_of(ws, "memory.max"), "max");  // b has no memory limit
    EXPECT_EQ(value_of(ws, "pids.max"), "20");
    // A larger init container sets the floor.
    spec::Container init;
    init.resources.cpu_limit_millis = 2000;
    init.resources.cpu_request_millis = 2000;
    pod.init_containers = {init};
    ws = cgroup::pod_writes(pod, WeightFormula::Quadratic, std::nullopt, kAll);
    EXPECT_EQ(value_of(ws, "cpu.max"), "200000 100000");
    EXPECT_EQ(value_of(ws, "pids.max"), "<none>");
}

TEST(CgroupLimits, PodLevelResourcesWin) {
    spec::Pod pod;
    spec::Container a;
    a.resources.memory_limit_bytes = 100;
    pod.containers = {a};
    pod.pod_resources.memory_limit_bytes = 4096;
    auto ws = cgroup::pod_writes(pod, WeightFormula::Quadratic, std::nullopt, kAll);
    EXPECT_EQ(value_of(ws, "memory.max"), "4096");
}

// Per resource, as the kubelet's applyPodLevelResources: a pod-level memory limit does not
// drop the containers' cpu sums.
TEST(CgroupLimits, PodLevelResourcesOverrideOnlyTheResourcesTheyName) {
    spec::Pod pod;
    spec::Container a, b;
    a.resources.cpu_limit_millis = 500;
    a.resources.cpu_request_millis = 500;
    b.resources.cpu_limit_millis = 250;
    b.resources.cpu_request_millis = 250;
    pod.containers = {a, b};
    pod.pod_resources.memory_limit_bytes = 4096;
    pod.pod_resources.memory_request_bytes = 4096;
    auto ws = cgroup::pod_writes(pod, WeightFormula::Quadratic, std::nullopt, kAll);
    EXPECT_EQ(value_of(ws, "memory.max"), "4096");
    EXPECT_EQ(value_of(ws, "cpu.max"), "75000 100000");
    EXPECT_EQ(value_of(ws, "cpu.weight"), std::to_string(cgroup::shares_to_weight(768, WeightFormula::Quadratic)));
    // And the other way round: a pod-level cpu limit keeps the memory sum.
    pod.pod_resources = {};
    pod.pod_resources.cpu_limit_millis = 2000;
    pod.pod_resources.cpu_request_millis = 2000;
    pod.containers[0].resources.memory_limit_bytes = 100;
    pod.containers[1].resources.memory_limit_bytes = 200;
    ws = cgroup::pod_writes(pod, WeightFormula::Quadratic, std::nullopt, kAll);
    EXPECT_EQ(value_of(ws, "cpu.max"), "200000 100000");
    EXPECT_EQ(value_of(ws, "memory.max"), "300");
}

TEST(CgroupLimits, NeededControllers) {
    spec::Pod pod;
    pod.containers.resize(1);
    EXPECT_TRUE(cgroup::needed_controllers(pod, std::nullopt).empty());
    pod.containers[0].resources.memory_request_bytes = 10;  // a request alone sets no file
    EXPECT_TRUE(cgroup::needed_controllers(pod, std::nullopt).empty());
    pod.containers[0].resources.memory_limit_bytes = 10;
    EXPECT_EQ(cgroup::needed_controllers(pod, 5), (std::set<std::string>{"memory", "pids"}));
    EXPECT_EQ(cgroup::first_use(pod, "memory"), "spec.containers[0].resources");
}
