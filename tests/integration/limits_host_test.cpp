// cgroup v2 limits on a host whose cgroup2 lacks the controllers (hybrid v1/v2, as on the
// build machines): a pod with limits fails naming the controller and --no-limits; with
// --no-limits it runs and warns; a pod without resources runs; `podrun doctor` tells. On a
// host whose cgroup2 does offer memory (pure v2) the failing cases do not apply: the limits
// are real there, and tests/vm covers them.
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "harness.hpp"
#include "podrun/cgroup/cgroup.hpp"
#include "podrun/cgroup/controllers.hpp"

namespace {

using podrun::test::podrun;
using podrun::test::RunResult;

std::string describe(const RunResult& r) {
    return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") + "\n--- stdout:\n" + r.out +
           "--- stderr:\n" + r.err;
}

class HostLimits : public ::testing::Test {
  protected:
    void SetUp() override {
        PODRUN_REQUIRE_ROOT();
        auto mount = podrun::cgroup::find_cgroup2_mount();
        ASSERT_TRUE(mount) << "no cgroup2 mount in /proc/self/mountinfo";
        mount_ = *mount;
        if (podrun::cgroup::available_controllers(mount_).count("memory")) {
            GTEST_SKIP() << "the cgroup2 at " << mount_
                         << " offers memory: limits are enforced on this host (see tests/vm for "
                            "those tests)";
        }
    }
    void TearDown() override {
        for (const auto& f : files_) ::unlink(f.c_str());
    }
    std::string manifest(const std::string& name, const std::string& resources) {
        std::string path = "/tmp/podrun-hostlimits-" + std::to_string(::getpid()) + "-" + name + ".json";
        std::ofstream(path) << R"({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": ")" << name
                            << R"("}, "spec": {"restartPolicy": "Never", "containers": [{"name": "c", )"
                            << R"("command": ["sh", "-c", "echo ran"])" << (resources.empty() ? "" : ", ") << resources
                            << "}]}}";
        files_.push_back(path);
        return path;
    }

    std::string mount_;
    std::vector<std::string> files_;
};

TEST_F(HostLimits, PodWithAMemoryLimitFailsNamingTheControllerAndTheFlag) {
    auto m = manifest("hostlim-mem", R"("resources": {"limits": {"memory": "64Mi"}})");
    RunResult r = podrun({"up", m});
    EXPECT_EQ(r.exit_code, 125) << describe(r);
    EXPECT_NE(r.err.find("memory"), std::string::npos) << describe(r);
    EXPECT_NE(r.err.find("--no-limits"), std::string::npos) << describe(r);
    EXPECT_NE(r.err.find("spec.containers[0].resources"), std::string::npos) << describe(r);
    EXPECT_EQ(r.out.find("ran"), std::string::npos) << "the container ran\n" << describe(r);
}

TEST_F(HostLimits, PodWithACpuLimitFailsNamingCpu) {
    auto m = manifest("hostlim-cpu", R"("resources": {"limits": {"cpu": "500m"}})");
    RunResult r = podrun({"up", m});
    EXPECT_EQ(r.exit_code, 125) << describe(r);
    EXPECT_NE(r.err.find("cpu"), std::string::npos) << describe(r);
    EXPECT_NE(r.err.find("--no-limits"), std::string::npos) << describe(r);
}

TEST_F(HostLimits, PidsMaxFailsWithoutThePidsController) {
    if (podrun::cgroup::available_controllers(mount_).count("pids")) GTEST_SKIP() << mount_ << " offers pids";
    auto m = manifest("hostlim-pids", "");
    RunResult r = podrun({"up", "--pids-max", "20", m});
    EXPECT_EQ(r.exit_code, 125) << describe(r);
    EXPECT_NE(r.err.find("pids"), std::string::npos) << describe(r);
    EXPECT_NE(r.err.find("--no-limits"), std::string::npos) << describe(r);
}

TEST_F(HostLimits, NoLimitsRunsThePodAndSaysTheLimitIsNotEnforced) {
    auto m = manifest("hostlim-nolimits", R"("resources": {"limits": {"memory": "64Mi"}})");
    RunResult r = podrun({"up", "--no-limits", m});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.err.find("NOT enforced"), std::string::npos) << describe(r);
    EXPECT_NE(r.err.find("memory"), std::string::npos) << describe(r);
    EXPECT_NE(r.out.find("c | ran"), std::string::npos) << describe(r);
}

TEST_F(HostLimits, PodWithoutResourcesRuns) {
    auto m = manifest("hostlim-none", "");
    RunResult r = podrun({"up", m});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("c | ran"), std::string::npos) << describe(r);
    EXPECT_EQ(r.err.find("NOT enforced"), std::string::npos) << describe(r);
}

// Doctor runs anywhere; on this host it reports the cgroup2 mount and its controllers.
TEST(Doctor, ReportsTheCgroup2MountAndItsControllers) {
    PODRUN_REQUIRE_ROOT();
    auto mount = podrun::cgroup::find_cgroup2_mount();
    ASSERT_TRUE(mount);
    RunResult r = podrun({"doctor"});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_NE(r.out.find("cgroup2 mount"), std::string::npos) << describe(r);
    EXPECT_NE(r.out.find(*mount), std::string::npos) << describe(r);
    EXPECT_NE(r.out.find("controllers offered"), std::string::npos) << describe(r);
    // Each controller the mount offers is listed; the verdicts say what that means for limits.
    for (const auto& c : podrun::cgroup::available_controllers(*mount)) {
        EXPECT_NE(r.out.find(c), std::string::npos) << c << "\n" << describe(r);
    }
    EXPECT_NE(r.out.find("memory limits, OOMKilled"), std::string::npos) << describe(r);
    const bool memory = podrun::cgroup::available_controllers(*mount).count("memory") > 0;
    if (!memory) {
        EXPECT_NE(r.out.find("--no-limits"), std::string::npos) << describe(r);
        EXPECT_NE(r.out.find("hybrid"), std::string::npos) << describe(r);
    }
}

}  // namespace
