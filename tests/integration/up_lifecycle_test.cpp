// `podrun up` end to end: init containers in order, exit codes, stopping with SIGTERM within
// terminationGracePeriodSeconds, and rolling back a start that fails half-way.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "harness.hpp"

namespace podrun::test {
namespace {

class UpLifecycle : public PodrunTest {};

std::string pod_header(const std::string& name, const std::string& spec_extra = "") {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n" + spec_extra;
}

TEST_F(UpLifecycle, InitContainersRunInOrderEachToCompletionBeforeApps) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    // Each init container logs its start, sleeps, logs its end: any overlap or reordering
    // shows in the shared file.
    std::string pod = pod_header("it-init", "  restartPolicy: Never\n") + R"SH(  volumes:
  - {name: w, emptyDir: {}}
  initContainers:
  - {name: i1, command: [sh, -c, "echo i1-start >> /w/log; sleep 0.3; echo i1-end >> /w/log"], volumeMounts: [{name: w, mountPath: /w}]}
  - {name: i2, command: [sh, -c, "echo i2-start >> /w/log; sleep 0.3; echo i2-end >> /w/log"], volumeMounts: [{name: w, mountPath: /w}]}
  - {name: i3, command: [sh, -c, "echo i3-start >> /w/log; sleep 0.3; echo i3-end >> /w/log"], volumeMounts: [{name: w, mountPath: /w}]}
  containers:
  - {name: a1, command: [sh, -c, "echo a1-start >> /w/log; sleep 0.5; echo \"seen=$(tr '\\n' , < /w/log)\""], volumeMounts: [{name: w, mountPath: /w}]}
  - {name: a2, command: [sh, -c, "echo a2-start >> /w/log"], volumeMounts: [{name: w, mountPath: /w}]}
)SH";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod)}, "", 30);
    ASSERT_FALSE(r.timed_out);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::string seen = container_value(r.out, "a1", "seen");
    const std::string inits = "i1-start,i1-end,i2-start,i2-end,i3-start,i3-end,";
    ASSERT_EQ(seen.substr(0, inits.size()), inits) << r.out;
    // The two app containers start together after the inits, in either order.
    const std::string apps = seen.substr(inits.size());
    EXPECT_TRUE(apps == "a1-start,a2-start," || apps == "a2-start,a1-start,") << seen;
}

TEST_F(UpLifecycle, FailingInitContainerFailsThePodAndNoAppStarts) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    // A hostPath the containers leave marks in: the host sees what ran even if output is lost.
    std::string pod = pod_header("it-initfail", "  restartPolicy: Never\n") + R"SH(  volumes:
  - {name: m, hostPath: {path: MARKS, type: DirectoryOrCreate}}
  initContainers:
  - {name: i1, command: [sh, -c, "touch /m/i1"], volumeMounts: [{name: m, mountPath: /m}]}
  - {name: i2, command: [sh, -c, "touch /m/i2; exit 3"], volumeMounts: [{name: m, mountPath: /m}]}
  - {name: i3, command: [sh, -c, "touch /m/i3"], volumeMounts: [{name: m, mountPath: /m}]}
  containers:
  - {name: app, command: [sh, -c, "touch /m/app; echo app-ran"], volumeMounts: [{name: m, mountPath: /m}]}
)SH";
    const std::string marks = dir / "marks";
    pod.replace(pod.find("MARKS"), 5, marks);
    RunResult r = podrun({"up", dir.file("pod.yaml", pod)}, "", 30);
    ASSERT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    EXPECT_TRUE(std::filesystem::exists(marks + "/i1"));
    EXPECT_TRUE(std::filesystem::exists(marks + "/i2"));
    EXPECT_FALSE(std::filesystem::exists(marks + "/i3"));
    EXPECT_FALSE(std::filesystem::exists(marks + "/app"));
    EXPECT_TRUE(container_lines(r.out, "app").empty()) << r.out;
    EXPECT_NE(r.err.find("init container i2 failed with code 3"), std::string::npos) << r.err;
}

struct ExitCase {
    std::string name;
    std::string second_command;  // the first container always exits 0
    int want;
};

TEST_F(UpLifecycle, ExitCodesPropagate) {
    PODRUN_REQUIRE_ROOT();
    const std::vector<ExitCase> cases = {
        {"it-exit0", "exit 0", 0},
        {"it-exit7", "exit 7", 7},
        {"it-exit42", "sleep 0.2; exit 42", 42},
        {"it-sigkill", "kill -KILL $$$$", 128 + SIGKILL},
        {"it-sigsegv", "kill -SEGV $$$$", 128 + SIGSEGV},
    };
    for (const auto& c : cases) {
        TempDir dir;
        std::string pod = pod_header(c.name, "  restartPolicy: Never\n") +
                          "  containers:\n"
                          "  - {name: ok, command: [sh, -c, \"sleep 0.1; exit 0\"]}\n"
                          "  - {name: other, command: [sh, -c, \"" +
                          c.second_command + "\"]}\n";
        RunResult r = podrun({"up", dir.file("pod.yaml", pod)}, "", 30);
        EXPECT_FALSE(r.timed_out) << c.name;
        EXPECT_EQ(r.exit_code, c.want) << c.name << "\n" << r.err;
        if (c.want > 128) {
            EXPECT_NE(r.err.find("(signal " + std::to_string(c.want - 128) + ")"), std::string::npos) << r.err;
        }
        EXPECT_FALSE(std::filesystem::exists("/run/podrun/" + c.name)) << c.name;
    }
}

TEST_F(UpLifecycle, SigtermStopsAContainerThatTrapsItQuickly) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = pod_header("it-term-trap", "  terminationGracePeriodSeconds: 10\n") + R"SH(  containers:
  - name: c
    command:
    - sh
    - -c
    - |
      trap 'echo got-term; exit 0' TERM
      echo ready
      while true; do sleep 0.1; done
)SH";
    Background up({"up", dir.file("pod.yaml", pod)});
    ASSERT_TRUE(up.wait_for_out("c | ready", 20)) << up.out() << up.err();
    const double t0 = now_s();
    up.signal(SIGTERM);
    RunResult r = up.wait(20);
    const double elapsed = now_s() - t0;
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(container_lines(r.out, "c").back(), "got-term") << r.out;
    EXPECT_LT(elapsed, 2.0) << "a container that exits on SIGTERM must not wait for the grace period";
}

TEST_F(UpLifecycle, SigtermThenSigkillAtTheGracePeriod) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const int grace = 2;
    // `trap '' TERM` ignores TERM in the shell and, inherited, in sleep.
    std::string pod = pod_header("it-term-ignore", "  terminationGracePeriodSeconds: " + std::to_string(grace) + "\n") +
                      R"SH(  containers:
  - name: c
    command:
    - sh
    - -c
    - |
      trap '' TERM
      echo ready
      while true; do sleep 1; done
  - name: d
    command: [sh, -c, "trap '' TERM; echo ready; sleep 600"]
)SH";
    Background up({"up", dir.file("pod.yaml", pod)});
    ASSERT_TRUE(up.wait_for_out("c | ready", 20)) << up.out() << up.err();
    ASSERT_TRUE(up.wait_for_out("d | ready", 20)) << up.out() << up.err();
    const double t0 = now_s();
    up.signal(SIGTERM);
    RunResult r = up.wait(grace + 15);
    const double elapsed = now_s() - t0;
    EXPECT_FALSE(r.timed_out);
    EXPECT_GE(elapsed, grace);
    EXPECT_LT(elapsed, grace + 5);
    EXPECT_EQ(r.exit_code, 128 + SIGKILL) << r.err;
    EXPECT_NE(r.err.find("grace period of 2 s over: SIGKILL"), std::string::npos) << r.err;
}

TEST_F(UpLifecycle, SecondContainerMissingCommandIsReportedWithItsPath) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = pod_header("it-noexec2", "  restartPolicy: Never\n") +
                      "  containers:\n"
                      "  - {name: first, command: [sh, -c, \"echo first-ran; sleep 0.5\"]}\n"
                      "  - {name: second, command: [/nonexistent, arg]}\n";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod)}, "", 30);
    EXPECT_FALSE(r.timed_out);
    // Kubernetes reports a container that could not start as StartError, exit code 128.
    EXPECT_EQ(r.exit_code, 128) << r.out << r.err;
    EXPECT_NE(r.err.find("container \"second\": execve(/nonexistent): No such file or directory"), std::string::npos)
        << r.err;
    EXPECT_EQ(container_lines(r.out, "first"), std::vector<std::string>{"first-ran"}) << r.out;
}

TEST_F(UpLifecycle, FirstContainerMissingCommandExits125AndRollsBack) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string marks = dir / "marks";
    std::string pod = pod_header("it-noexec1", "  restartPolicy: Never\n") +
                      "  volumes:\n  - {name: m, hostPath: {path: " + marks +
                      ", type: DirectoryOrCreate}}\n"
                      "  containers:\n"
                      "  - {name: first, command: [/nonexistent]}\n"
                      "  - {name: second, command: [sh, -c, \"touch /m/second\"], volumeMounts: "
                      "[{name: m, mountPath: /m}]}\n";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod)}, "", 30);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 125) << r.out << r.err;
    EXPECT_NE(r.err.find("container \"first\": execve(/nonexistent): No such file or directory"), std::string::npos)
        << r.err;
    EXPECT_FALSE(std::filesystem::exists(marks + "/second"));
    // TearDown checks that nothing (state, cgroups, processes, mounts) is left.
}

TEST_F(UpLifecycle, FailedSetupStepExits125AndRollsBack) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    // A subPath through a regular file cannot be created as a directory: the container's
    // mkdir step fails before exec.
    write_file(dir / "file", "x");
    std::string pod = pod_header("it-badstep", "  restartPolicy: Never\n") +
                      "  volumes:\n  - {name: h, hostPath: {path: " + dir.path() +
                      ", type: Directory}}\n"
                      "  containers:\n"
                      "  - {name: c, command: [sh, -c, \"echo ran\"], volumeMounts: "
                      "[{name: h, mountPath: /h, subPath: file/below}]}\n";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod)}, "", 30);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 125) << r.out << r.err;
    EXPECT_NE(r.err.find("container \"c\": mkdir(" + dir.path() + "/file/below)"), std::string::npos) << r.err;
    EXPECT_TRUE(container_lines(r.out, "c").empty()) << r.out;
}

TEST_F(UpLifecycle, SigkilledSupervisorTakesThePodAlongAndTheNextUpCleansUp) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod =
        pod_header("it-sigkill-sup") + "  containers:\n  - {name: c, command: [sh, -c, \"echo ready; sleep 600\"]}\n";
    auto cgroup = cgroup2_mount();
    ASSERT_TRUE(cgroup);
    const std::string pod_cg = *cgroup + "/podrun/it-sigkill-sup";
    // podrun's children (pause, the container) are re-parented to us when it dies, so we can
    // reap them: this host's PID 1 reaps its adopted zombies only now and then.
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    struct Unset {
        ~Unset() { prctl(PR_SET_CHILD_SUBREAPER, 0); }
    } unset;
    {
        Background up({"up", dir.file("pod.yaml", pod)});
        ASSERT_TRUE(up.wait_for_out("c | ready", 20)) << up.out() << up.err();
        const pid_t pause = pause_pid("it-sigkill-sup");
        const pid_t ctr = container_pid("it-sigkill-sup", "c");
        ASSERT_GT(pause, 0);
        ASSERT_GT(ctr, 0);
        up.signal(SIGKILL);
        RunResult r = up.wait(10);
        EXPECT_EQ(r.exit_code, 128 + SIGKILL);
        // Pause and the container watch the supervisor (PR_SET_PDEATHSIG): they die with it.
        EXPECT_TRUE(eventually(
            [&] {
                return read_file(pod_cg + "/_pause/cgroup.procs").empty() &&
                       read_file(pod_cg + "/c/cgroup.procs").empty();
            },
            5))
            << read_file(pod_cg + "/_pause/cgroup.procs") << read_file(pod_cg + "/c/cgroup.procs");
        // Both in one loop: pause (PID 1 of the pod) can only finish dying once the
        // container, a process of its pid namespace, has been reaped (zap_pid_ns_processes).
        std::map<pid_t, int> status;
        EXPECT_TRUE(eventually(
            [&] {
                for (pid_t p : {pause, ctr}) {
                    int st = 0;
                    if (!status.count(p) && waitpid(p, &st, WNOHANG) == p) status[p] = st;
                }
                return status.size() == 2;
            },
            5));
        for (auto [p, st] : status) {
            EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) << p << " status " << st;
        }
    }
    // What it recorded is still there (for `podrun down`); the next `up` of the pod removes it
    // first, runs, and leaves nothing.
    EXPECT_TRUE(std::filesystem::exists("/run/podrun/it-sigkill-sup/state.json"));
    const std::string again = pod_header("it-sigkill-sup", "  restartPolicy: Never\n") +
                              "  containers:\n  - {name: c, command: [sh, -c, \"echo second\"]}\n";
    RunResult r = podrun({"up", dir.file("again.yaml", again)}, "", 30);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(container_lines(r.out, "c"), std::vector<std::string>{"second"});
    EXPECT_NE(r.err.find("removing what a previous run left behind"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace podrun::test
