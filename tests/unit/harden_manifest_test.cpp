// Hostile manifests: out-of-range numbers, alias bombs, deep nesting and oversized input are
// each one clear error (at the field path where there is one), never a crash or a blow-up.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include "podrun/spec/load.hpp"
#include "spec/parse_text.hpp"

using namespace podrun::spec;

namespace {

std::string all_errors(const LoadResult& r) {
    std::string s;
    for (const auto& e : r.errors) s += e.to_string() + "\n";
    return s;
}

bool has_error_at(const LoadResult& r, const std::string& path) {
    for (const auto& e : r.errors)
        if (e.path == path) return true;
    return false;
}

std::string pod_with_spec(const std::string& extra) {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n" + extra +
           "  containers: [{name: c, command: [x]}]\n";
}

// Peak RSS of this process so far, in KiB.
long max_rss_kib() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

// The classic "billion laughs": 9 levels of 9 aliases each expand to 9^9 = 387 million
// strings from 330-odd bytes.
std::string alias_bomb() {
    std::string y = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n";
    for (char c = 'b'; c <= 'i'; ++c) {
        const char p = static_cast<char>(c - 1);
        y += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 9; ++i) y += std::string(i ? "," : "") + "*" + p;
        y += "]\n";
    }
    return y;
}

}  // namespace

TEST(HardenManifest, OutOfRangeFloatIsAnErrorAtItsPath) {
    // 1e999 overflows a double: go-yaml then keeps it a string, which an int field refuses.
    auto r = load_pod_text(pod_with_spec("  terminationGracePeriodSeconds: 1e999\n"), "t");
    EXPECT_TRUE(has_error_at(r, "spec.terminationGracePeriodSeconds")) << all_errors(r);
    EXPECT_NE(all_errors(r).find("\"1e999\""), std::string::npos) << all_errors(r);
    auto j = load_pod_text(
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"terminationGracePeriodSeconds":1e999,"containers":[{"name":"c","command":["x"]}]}})",
        "t");
    ASSERT_FALSE(j.ok());
    EXPECT_EQ(j.errors.size(), 1u) << all_errors(j);
}

TEST(HardenManifest, HugeIntegersAreErrorsAtTheirPaths) {
    // Beyond int64 (a uint64), beyond uint64 (a float), beyond the grace period podrun counts.
    for (const char* v :
         {"9223372036854775808", "18446744073709551615", "99999999999999999999999", "9223372036854775807"}) {
        auto r = load_pod_text(pod_with_spec(std::string("  terminationGracePeriodSeconds: ") + v + "\n"), "t");
        EXPECT_TRUE(has_error_at(r, "spec.terminationGracePeriodSeconds")) << v << "\n" << all_errors(r);
    }
    auto j = load_pod_text(
        R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a"},"spec":{"terminationGracePeriodSeconds":18446744073709551615,"containers":[{"name":"c","command":["x"]}]}})",
        "t");
    EXPECT_TRUE(has_error_at(j, "spec.terminationGracePeriodSeconds")) << all_errors(j);
    EXPECT_NE(all_errors(j).find("out of range"), std::string::npos) << all_errors(j);
    // Probe fields are int32 in Kubernetes; the grace on a probe is bounded like the pod's.
    auto p = load_pod_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n"
        "    command: [x]\n    livenessProbe:\n      exec: {command: [true]}\n"
        "      periodSeconds: 99999999999999999999\n"
        "      terminationGracePeriodSeconds: 9223372036854775807\n",
        "t");
    EXPECT_TRUE(has_error_at(p, "spec.containers[0].livenessProbe.periodSeconds")) << all_errors(p);
    EXPECT_TRUE(has_error_at(p, "spec.containers[0].livenessProbe.terminationGracePeriodSeconds")) << all_errors(p);
    // The largest grace that fits is accepted.
    auto ok = load_pod_text(pod_with_spec("  terminationGracePeriodSeconds: 9223372036854775\n"), "t");
    EXPECT_TRUE(ok.ok()) << all_errors(ok);
}

TEST(HardenManifest, HugeQuantitiesSaturate) {
    // The API server caps a quantity at 2^63-1; so does podrun, without overflowing.
    auto r = load_pod_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n"
        "    command: [x]\n    resources:\n      limits: {cpu: 1e999, memory: 99999999999999999999Ei}\n",
        "t");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    EXPECT_EQ(r.pod->containers[0].resources.cpu_limit_millis, INT64_MAX);
    EXPECT_EQ(r.pod->containers[0].resources.memory_limit_bytes, INT64_MAX);
}

TEST(HardenManifest, AliasBombIsRefusedWithoutExpanding) {
    const std::string bomb = alias_bomb();
    ASSERT_LT(bomb.size(), 400u);
    const long before = max_rss_kib();
    auto r = load_pod_text(bomb, "bomb.yaml");
    ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
    EXPECT_NE(r.errors[0].message.find("excessive aliasing"), std::string::npos) << r.errors[0].message;
    EXPECT_NE(r.errors[0].message.find("bomb.yaml: line "), std::string::npos) << r.errors[0].message;
    EXPECT_LT(max_rss_kib() - before, 64 * 1024) << "the refusal itself must not expand the aliases";
}

TEST(HardenManifest, ModestAliasesStillWork) {
    // Anchors and aliases a real manifest uses (one shared env list) are fine.
    auto r = load_pod_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n"
        "  - name: c\n    command: [x]\n    env: &env [{name: A, value: \"1\"}, {name: B, value: \"2\"}]\n"
        "  - name: d\n    command: [x]\n    env: *env\n",
        "t");
    ASSERT_TRUE(r.ok()) << all_errors(r);
    ASSERT_EQ(r.pod->containers[1].env.size(), 2u);
}

TEST(HardenManifest, AliasToItsOwnAncestorIsAnError) {
    auto r = load_pod_text("a: &x [1, *x]\n", "t");
    ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
    EXPECT_NE(r.errors[0].message.find("line 1"), std::string::npos) << r.errors[0].message;
}

TEST(HardenManifest, DeepNestingIsBounded) {
    const int n = 5000;
    auto y = load_pod_text(std::string(n, '[') + std::string(n, ']'), "deep.yaml");
    ASSERT_EQ(y.errors.size(), 1u) << all_errors(y);
    EXPECT_NE(y.errors[0].message.find("nested deeper than 100 levels"), std::string::npos) << y.errors[0].message;
    auto j = load_pod_text("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}", "deep.json");
    ASSERT_EQ(j.errors.size(), 1u) << all_errors(j);
    EXPECT_NE(j.errors[0].message.find("nested deeper than 100 levels"), std::string::npos) << j.errors[0].message;
    // Block style too, and 100 levels are still fine.
    std::string block, ok;
    for (int i = 0; i < 120; ++i) block += std::string(static_cast<size_t>(i) * 2, ' ') + "k:\n";
    auto b = load_pod_text(block, "t");
    ASSERT_EQ(b.errors.size(), 1u) << all_errors(b);
    EXPECT_NE(b.errors[0].message.find("nested deeper"), std::string::npos) << b.errors[0].message;
    auto fine = podrun::spec::detail::parse_text(std::string(100, '[') + std::string(100, ']'));
    EXPECT_TRUE(fine.error.empty()) << fine.error;
}

TEST(HardenManifest, AliasesCountTowardsTheDepth) {
    // Each anchor nests the previous one 60 levels deeper: the text is shallow, the tree not.
    std::string y;
    y += "a: &a " + std::string(60, '[') + std::string(60, ']') + "\n";
    y += "b: &b " + std::string(60, '[') + "*a" + std::string(60, ']') + "\n";
    auto r = podrun::spec::detail::parse_text(y);
    EXPECT_NE(r.error.find("nested deeper"), std::string::npos) << r.error;
}

TEST(HardenManifest, OversizedInputIsRefused) {
    const std::string big = pod_with_spec("") + "# " + std::string(podrun::spec::detail::kMaxManifestBytes, 'x') + "\n";
    auto r = load_pod_text(big, "big.yaml");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_NE(r.errors[0].message.find("larger than 3145728 bytes"), std::string::npos) << r.errors[0].message;
    // A file is read only up to the cap: /dev/zero ends in the same error, not in memory.
    auto z = load_pod_file("/dev/zero");
    ASSERT_EQ(z.errors.size(), 1u);
    EXPECT_NE(z.errors[0].message.find("/dev/zero: the manifest is larger"), std::string::npos) << z.errors[0].message;
}

TEST(HardenManifest, InvalidUtf8AndControlCharactersAreRefused) {
    // Found by fuzz/manifest_fuzz: a stray byte in a name made the error message throw.
    auto r = load_pod_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: [{name: \"de\x8d\x93\", "
        "command: [x]}]\n",
        "t");
    ASSERT_EQ(r.errors.size(), 1u) << all_errors(r);
    EXPECT_NE(r.errors[0].message.find("line 5, column 26: invalid UTF-8"), std::string::npos) << r.errors[0].message;
    auto nul = load_pod_text(std::string("apiVersion: v1\nkind: P\0d\n", 25), "t");
    ASSERT_EQ(nul.errors.size(), 1u) << all_errors(nul);
    EXPECT_NE(nul.errors[0].message.find("control character U+0000"), std::string::npos) << nul.errors[0].message;
    auto overlong = load_pod_text("a: \"\xc0\xaf\"\n", "t");
    ASSERT_EQ(overlong.errors.size(), 1u);
    EXPECT_NE(overlong.errors[0].message.find("invalid UTF-8"), std::string::npos);
    // JSON refuses it in its own parser; well-formed non-ASCII is fine in both.
    auto j = load_pod_text("{\"kind\": \"P\xffod\"}", "t");
    ASSERT_EQ(j.errors.size(), 1u);
    auto ok = load_pod_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, annotations: {note: \"caf\xc3\xa9 \xf0\x9f\x99\x82\"}}\n"
        "spec: {containers: [{name: c, command: [x]}]}\n",
        "t");
    EXPECT_TRUE(ok.ok()) << all_errors(ok);
}

TEST(HardenManifest, StrayCommaAfterAFlowCollectionEnds) {
    // Found by fuzz/manifest_fuzz: yaml-cpp 0.7 returns empty documents for ever after "[a],".
    for (const char* text : {"[a],", "{r: {}},\n", "apiVersion: v1\nkind: [Pod],\n"}) {
        auto r = load_pod_text(text, "t");
        ASSERT_EQ(r.errors.size(), 1u) << text << "\n" << all_errors(r);
        EXPECT_NE(r.errors[0].message.find("YAML syntax error"), std::string::npos) << r.errors[0].message;
    }
}
