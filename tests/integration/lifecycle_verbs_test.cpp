// The lifecycle verbs end to end: up -d, ps, logs, inspect [--ns], down, gc, and both
// kill -9 scenarios (detached supervisor -> Unknown -> down; foreground -> gc).
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cstdio>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace t = podrun::test;
using nlohmann::json;
using t::Background;
using t::container_pid;
using t::eventually;
using t::pause_pid;
using t::PodrunTest;
using t::proc_state;
using t::read_file;
using t::TempDir;

namespace {

const char* kPod = R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"it-verbs","labels":{"app":"verbs"}},
 "spec":{"terminationGracePeriodSeconds":5,"containers":[
  {"name":"ticker","command":["sh","-c","i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done"]},
  {"name":"idle","command":["sleep","1000"]}]}})";

// The test process is a subreaper here: a killed supervisor's children (the pod's
// processes) are re-parented to it rather than to the host's init, which on some hosts
// reaps only now and then and would leave zombies in the pod's cgroups.
class LifecycleVerbs : public PodrunTest {
  protected:
    void SetUp() override {
        PodrunTest::SetUp();
        ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
    void TearDown() override {
        // Reap what was re-parented to us until no child is left (bounded: 10 s). A dying
        // pause is not reapable until its pid namespace is empty, so wait for ECHILD.
        t::eventually(
            [] {
                while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
                return ::waitpid(-1, nullptr, WNOHANG) < 0 && errno == ECHILD;
            },
            10);
        ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
        PodrunTest::TearDown();
    }
};

}  // namespace

TEST_F(LifecycleVerbs, DetachedPodIsListedLoggedInspectedAndDowned) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    auto up = t::podrun({"up", "-d", dir.file("pod.json", kPod)}, "", 60);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    EXPECT_EQ(up.out, "it-verbs\n");

    // ps: Running, both containers ready.
    auto ps = t::podrun({"ps", "--json"});
    ASSERT_EQ(ps.exit_code, 0) << ps.err;
    auto rows = json::parse(ps.out);
    bool found = false;
    for (const auto& r : rows) {
        if (r["name"] != "it-verbs") continue;
        found = true;
        EXPECT_EQ(r["phase"], "Running");
        EXPECT_EQ(r["ready"], "2/2");
    }
    EXPECT_TRUE(found) << ps.out;

    // logs: the ticker's lines, --tail, and the multi-container default note.
    ASSERT_TRUE(eventually(
        [] {
            return t::podrun({"logs", "it-verbs", "-c", "ticker"}).out.find("tick-3\n") != std::string::npos;
        },
        20));
    auto tail = t::podrun({"logs", "it-verbs", "-c", "ticker", "--tail", "2"});
    EXPECT_EQ(std::count(tail.out.begin(), tail.out.end(), '\n'), 2) << tail.out;
    auto def = t::podrun({"logs", "it-verbs"});
    EXPECT_NE(def.err.find("Defaulted container \"ticker\""), std::string::npos) << def.err;
    auto ts = t::podrun({"logs", "it-verbs", "-c", "ticker", "--tail", "1", "--timestamps"});
    EXPECT_EQ(ts.out.rfind("20", 0), 0u) << ts.out;  // an RFC3339 time first
    EXPECT_EQ(t::podrun({"logs", "it-verbs", "-c", "nope"}).exit_code, 1);

    // inspect: Kubernetes' shape.
    auto ins = t::podrun({"inspect", "it-verbs"});
    ASSERT_EQ(ins.exit_code, 0) << ins.err;
    auto pod = json::parse(ins.out);
    EXPECT_EQ(pod["kind"], "Pod");
    EXPECT_EQ(pod["metadata"]["labels"]["app"], "verbs");
    EXPECT_EQ(pod["status"]["phase"], "Running");
    ASSERT_EQ(pod["status"]["containerStatuses"].size(), 2u);
    EXPECT_TRUE(pod["status"]["containerStatuses"][0]["state"].contains("running"));
    EXPECT_EQ(pod["status"]["containerStatuses"][0]["restartCount"], 0);

    // inspect --ns: every container shares pause's net/ipc/uts/pid, not its mnt/cgroup.
    auto ns = json::parse(t::podrun({"inspect", "--ns", "it-verbs"}).out);
    for (const std::string c : {"ticker", "idle"}) {
        for (const std::string n : {"net", "ipc", "uts", "pid"}) {
            EXPECT_EQ(ns["containers"][c]["namespaces"][n], ns["pause"]["namespaces"][n]) << c << " " << n;
        }
        EXPECT_NE(ns["containers"][c]["namespaces"]["mnt"], ns["pause"]["namespaces"]["mnt"]) << c;
    }
    // tree: pause is PID 1 inside; each container's main process is the supervisor's child.
    auto tree = t::podrun({"tree", "it-verbs"});
    ASSERT_EQ(tree.exit_code, 0) << tree.err;
    EXPECT_NE(
        tree.out.find("podrun-pause  host pid " + std::to_string(t::pause_pid("it-verbs")) + ", pod pid 1  [_pause]"),
        std::string::npos)
        << tree.out;
    EXPECT_NE(tree.out.find("|- sh  host pid " + std::to_string(container_pid("it-verbs", "ticker"))),
              std::string::npos)
        << tree.out;
    EXPECT_NE(tree.out.find("[idle]"), std::string::npos) << tree.out;

    // A second up of the same name fails clearly.
    auto again = t::podrun({"up", "-d", dir / "pod.json"});
    EXPECT_EQ(again.exit_code, 2);
    EXPECT_NE(again.err.find("already running"), std::string::npos) << again.err;

    auto down = t::podrun({"down", "it-verbs", "--timeout", "3"}, "", 60);
    EXPECT_EQ(down.exit_code, 0) << down.err;
    EXPECT_EQ(t::podrun({"down", "it-verbs"}).exit_code, 1);  // gone
}

TEST_F(LifecycleVerbs, KilledDetachedSupervisorLeavesAnUnknownPodThatDownRemoves) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    ASSERT_EQ(t::podrun({"up", "-d", dir.file("pod.json", kPod)}, "", 60).exit_code, 0);
    auto st = json::parse(read_file("/run/podrun/it-verbs/state.json"));
    pid_t sup = st["supervisor"]["pid"].get<pid_t>();
    pid_t ticker = container_pid("it-verbs", "ticker");
    ASSERT_GT(sup, 0);
    ASSERT_GT(ticker, 0);
    ASSERT_EQ(::kill(sup, SIGKILL), 0);
    ASSERT_TRUE(eventually([&] { return proc_state(sup) == 0 || proc_state(sup) == 'Z'; }, 10));
    // The pod outlives its detached supervisor, shown as Unknown.
    EXPECT_NE(proc_state(ticker), 0);
    auto ps = json::parse(t::podrun({"ps", "--json"}).out);
    bool unknown = false;
    for (const auto& r : ps) unknown = unknown || (r["name"] == "it-verbs" && r["phase"] == "Unknown");
    EXPECT_TRUE(unknown) << ps.dump();
    auto down = t::podrun({"down", "it-verbs", "--timeout", "2"}, "", 60);
    EXPECT_EQ(down.exit_code, 0) << down.err;
    EXPECT_TRUE(eventually([&] { return proc_state(ticker) == 0 || proc_state(ticker) == 'Z'; }, 10));
}

TEST_F(LifecycleVerbs, KilledForegroundSupervisorTakesThePodAlongAndGcRemovesTheRest) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    Background up({"up", dir.file("pod.json", kPod)});
    ASSERT_TRUE(up.wait_for_out("tick-2", 30)) << up.err();
    pid_t pause = pause_pid("it-verbs");
    pid_t ticker = container_pid("it-verbs", "ticker");
    ASSERT_GT(pause, 0);
    up.signal(SIGKILL);
    up.wait(10);
    // Within 1 s no process of the pod survives (parent-death signal, pid namespace). We
    // reap as the supervisor's parent would: a pid namespace's init finishes dying only
    // once the namespace's zombies are reaped.
    EXPECT_TRUE(eventually(
        [&] {
            while (::waitpid(-1, nullptr, WNOHANG) > 0) {}
            char a = proc_state(pause), b = proc_state(ticker);
            return (a == 0 || a == 'Z') && (b == 0 || b == 'Z');
        },
        1.0));
    auto gc = t::podrun({"gc"});
    EXPECT_EQ(gc.exit_code, 0) << gc.err;
    EXPECT_NE(gc.out.find("removed it-verbs"), std::string::npos) << gc.out;
}
