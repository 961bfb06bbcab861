// Every manifest in examples/ run by `podrun up`, as a user would run it.
#include <signal.h>

#include <string>
#include <vector>

#include "harness.hpp"

namespace podrun::test {
namespace {

class UpExamples : public PodrunTest {};

TEST_F(UpExamples, Hello) {
    PODRUN_REQUIRE_ROOT();
    RunResult r = podrun({"up", source_path("examples/hello.json")}, "", 30);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // $(POD_NAME) from the fieldRef, the pod's hostname, and $$ (escaped as $$$$): PID 2,
    // the first process after pause.
    EXPECT_EQ(container_lines(r.out, "hello"),
              std::vector<std::string>{"hello from hello on hello, I am pid 2 in the pod"})
        << r.out;
}

TEST_F(UpExamples, Init) {
    PODRUN_REQUIRE_ROOT();
    RunResult r = podrun({"up", source_path("examples/init.yaml")}, "", 30);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(container_lines(r.out, "fetch"), std::vector<std::string>{"step 1: fetch"});
    EXPECT_EQ(container_lines(r.out, "migrate"), std::vector<std::string>{"step 2: migrate"});
    EXPECT_EQ(container_lines(r.out, "app"),
              (std::vector<std::string>{"step 3: app sees:", "step 1: fetch", "step 2: migrate"}))
        << r.out;
}

TEST_F(UpExamples, Zombies) {
    PODRUN_REQUIRE_ROOT();
    RunResult r = podrun({"up", source_path("examples/zombies.json")}, "", 60);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(container_lines(r.out, "orphan-maker"),
              (std::vector<std::string>{"made 50 orphans; pause (PID 1) reaps them", "zombies now: 0"}))
        << r.out;
}

TEST_F(UpExamples, WebServesPagesUntilSigterm) {
    PODRUN_REQUIRE_ROOT();
    Background up({"up", source_path("examples/web.json")});
    // A page written by `writer`, served by `server`, fetched by `client`.
    ASSERT_TRUE(up.wait_for_out("client | page ", 30)) << up.out() << up.err();
    bool served = false;
    for (const auto& l : container_lines(up.out(), "client")) {
        if (l.rfind("page ", 0) == 0 && l.find(" in pod web") != std::string::npos) served = true;
    }
    EXPECT_TRUE(served) << up.out();
    // busybox httpd -v logs each request (on its stderr, shown as "server | ...").
    EXPECT_FALSE(container_lines(up.out(), "server").empty()) << up.out();
    const double t0 = now_s();
    up.signal(SIGTERM);
    RunResult r = up.wait(20);
    EXPECT_FALSE(r.timed_out);
    // All three die of the SIGTERM (none traps it): 128+15, well before the 5 s grace period.
    EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
    EXPECT_LT(now_s() - t0, 4.0);
    EXPECT_EQ(r.err.find("grace period of 5 s over"), std::string::npos) << r.err;
    // TearDown: nothing left.
}

TEST_F(UpExamples, ProbesSidecarAndHooksBecomeReadyAndStopCleanly) {
    PODRUN_REQUIRE_ROOT();
    Background up({"up", source_path("examples/probes.yaml")});
    // The sidecar's startupProbe passes, web starts, postStart writes /ready, readiness
    // follows: both containers ready.
    ASSERT_TRUE(up.wait_for_err("container web is ready", 60)) << up.out() << up.err();
    // state.json is saved at the end of the supervisor's loop turn that logged it.
    std::string last;
    EXPECT_TRUE(eventually(
        [&] {
            last = podrun({"ps"}).out;
            return last.find("2/2") != std::string::npos;
        },
        10))
        << last;
    EXPECT_LT(up.err().find("container metrics: startup probe succeeded"),
              up.err().find("container web: postStart hook:"));
    up.signal(SIGINT);
    RunResult r = up.wait(30);
    EXPECT_FALSE(r.timed_out);
    EXPECT_NE(r.err.find("container web: preStop hook done"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("grace period of 10 s over"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace podrun::test
