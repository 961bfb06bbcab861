// `podrun version`: doctor's checks become stable feature keys, a probe that did not run
// (doctor as non-root) is "not probed" rather than "missing", and the JSON has its shape.
#include "podrun/pod/version.hpp"

#include <gtest/gtest.h>

using namespace podrun;

namespace {

pod::DoctorReport report(std::vector<pod::DoctorLine> checks) {
    pod::DoctorReport r;
    r.checks = std::move(checks);
    r.verdicts.push_back({"pods without resources", true, "will run"});  // not a feature
    return r;
}

const pod::Feature& feature(const std::vector<pod::Feature>& fs, const std::string& key) {
    for (const auto& f : fs) {
        if (f.key == key) return f;
    }
    throw std::runtime_error("no feature " + key);
}

}  // namespace

TEST(Version, DoctorChecksBecomeFeatures) {
    auto fs = pod::features_from(report({{"root", true, "running as root"},
                                         {"cgroup2 mount", true, "/sys/fs/cgroup/unified"},
                                         {"clone3 + CLONE_INTO_CGROUP", true, "works"},
                                         {"pid/net/ipc/uts/mount namespaces", false, "clone3: EPERM"},
                                         {"cgroup.kill", true, "present"},
                                         {"pidfd", true, "pidfd_open works"},
                                         {"overlayfs", false, "not loaded"}}));
    ASSERT_EQ(fs.size(), 6u);  // "root" describes the caller, not the kernel
    EXPECT_EQ(feature(fs, "cgroup2").found, true);
    EXPECT_EQ(feature(fs, "cgroup2").detail, "/sys/fs/cgroup/unified");
    EXPECT_EQ(feature(fs, "clone3_into_cgroup").found, true);
    EXPECT_EQ(feature(fs, "namespaces").found, false);
    EXPECT_EQ(feature(fs, "namespaces").detail, "clone3: EPERM");
    EXPECT_EQ(feature(fs, "cgroup_kill").found, true);
    EXPECT_EQ(feature(fs, "pidfd").found, true);
    EXPECT_EQ(feature(fs, "overlayfs").found, false);
}

TEST(Version, AProbeThatDidNotRunIsNotProbedRatherThanMissing) {
    // doctor as non-root: no cgroup probes, so no clone3/namespaces/cgroup.kill lines.
    auto fs = pod::features_from(report({{"cgroup2 mount", true, "/sys/fs/cgroup"}, {"pidfd", true, "works"}}));
    EXPECT_FALSE(feature(fs, "clone3_into_cgroup").found.has_value());
    EXPECT_FALSE(feature(fs, "cgroup_kill").found.has_value());
    EXPECT_NE(feature(fs, "cgroup_kill").detail.find("needs root"), std::string::npos);
    EXPECT_EQ(feature(fs, "pidfd").found, true);
}

TEST(Version, JsonShape) {
    pod::VersionInfo v;
    v.version = "1.2.3";
    v.revision = "0123456789ab";
    v.kernel = "6.1.0-test";
    v.features = pod::features_from(report({{"cgroup2 mount", true, "/x"}, {"overlayfs", false, "no"}}));
    v.controllers = {"cpu", "pids"};
    auto j = pod::version_json(v);
    EXPECT_EQ(j["version"], "1.2.3");
    EXPECT_EQ(j["revision"], "0123456789ab");
    EXPECT_EQ(j["kernel"], "6.1.0-test");
    EXPECT_EQ(j["features"]["cgroup2"], true);
    EXPECT_EQ(j["features"]["overlayfs"], false);
    EXPECT_TRUE(j["features"]["cgroup_kill"].is_null());
    EXPECT_EQ(j["features"].size(), 6u);
    EXPECT_EQ(j["cgroupControllers"], nlohmann::json({"cpu", "pids"}));
    std::string text = pod::version_text(v);
    EXPECT_EQ(text.rfind("podrun 1.2.3 (revision 0123456789ab)\nkernel 6.1.0-test\n", 0), 0u) << text;
    EXPECT_NE(text.find("cgroup controllers: cpu pids\n"), std::string::npos) << text;
}

TEST(Version, ThisBuildKnowsItsVersionAndRevision) {
    auto v = pod::build_info();
    EXPECT_EQ(v.version, PODRUN_VERSION);
    EXPECT_FALSE(v.revision.empty());
    EXPECT_FALSE(v.kernel.empty());
    EXPECT_EQ(v.kernel.find('\n'), std::string::npos);
}
