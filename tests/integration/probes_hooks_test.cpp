// Probes, lifecycle hooks, sidecars and crash-loop back-off, end to end (as root). The
// containers record what happens to them, with their own timestamps, in a hostPath
// directory the test reads; timings are Kubernetes' semantics (back-off intervals, order of
// events), never podrun's speed.
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace t = podrun::test;
using nlohmann::json;
using t::Background;
using t::eventually;
using t::PodrunTest;
using t::TempDir;
using t::with_dir;

namespace {

// `ev NAME` in a container appends "<seconds.nanos> NAME" to /out/events and prints it.
const char* kEv = R"(ev() { echo "$(date +%s.%N) $1" | tee -a /out/events; }; )";

std::string sh(const std::string& body) {
    std::string s = std::string(kEv) + body;
    std::string q;
    for (char c : s) {
        if (c == '\\' || c == '"') q += '\\';
        q += c;
    }
    return "[sh, -c, \"" + q + "\"]";
}

// The events file: name -> time (first occurrence), and the order of names.
struct Events {
    std::map<std::string, double> at;
    std::vector<std::string> order;
};
Events read_events(const std::string& path) {
    Events e;
    std::ifstream f(path);
    double ts;
    std::string name;
    while (f >> ts >> name) {
        if (!e.at.count(name)) {
            e.at[name] = ts;
            e.order.push_back(name);
        }
    }
    return e;
}

json inspect(const std::string& pod) {
    auto r = t::podrun({"inspect", pod});
    if (r.exit_code != 0) return json::object();
    return json::parse(r.out, nullptr, false);
}

// containerStatuses (or initContainerStatuses) entry of one container; null if none.
json status_of(const std::string& pod, const std::string& name) {
    json j = inspect(pod);
    if (!j.contains("status")) return nullptr;
    for (const char* key : {"containerStatuses", "initContainerStatuses"}) {
        for (const auto& c : j["status"][key]) {
            if (c["name"] == name) return c;
        }
    }
    return nullptr;
}

bool is_ready(const std::string& pod, const std::string& name) {
    json c = status_of(pod, name);
    return c.is_object() && c["ready"] == true;
}

int restarts(const std::string& pod, const std::string& name) {
    json c = status_of(pod, name);
    return c.is_object() ? c["restartCount"].get<int>() : -1;
}

std::string ps_ready(const std::string& pod) {
    auto ps = t::podrun({"ps", "--json"});
    for (const auto& r : json::parse(ps.out, nullptr, false)) {
        if (r.is_object() && r["name"] == pod) return r["ready"];
    }
    return "";
}

// `podrun down NAME` succeeds within 20 s (a stuck supervisor would hold it much longer).
void expect_prompt_down(const std::string& name) {
    auto down = t::podrun({"down", name}, "", 20);
    EXPECT_FALSE(down.timed_out) << name;
    EXPECT_EQ(down.exit_code, 0) << down.err;
}

size_t count_lines(const std::string& path) {
    std::ifstream f(path);
    return static_cast<size_t>(std::count(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>(), '\n'));
}

std::vector<double> numbers(const std::string& path) {
    std::vector<double> v;
    std::ifstream f(path);
    double d;
    while (f >> d) v.push_back(d);
    return v;
}

}  // namespace

TEST_F(PodrunTest, ReadinessProbeHttpGetSetsAndClearsReady) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-probe-ready}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: www, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: web
    command: [busybox, httpd, -f, -p, "127.0.0.1:8080", -h, /www]
    volumeMounts: [{name: www, mountPath: /www, readOnly: true}]
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 1
      failureThreshold: 1
)",
                               dir.path());
    auto up = t::podrun({"up", "-d", dir.file("pod.yaml", pod)});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    // /ready is missing: busybox httpd answers 404, so the container runs but is not ready.
    json c = status_of("it-probe-ready", "web");
    ASSERT_TRUE(c.is_object());
    EXPECT_TRUE(c["state"].contains("running")) << c.dump();
    EXPECT_EQ(c["ready"], false);
    EXPECT_EQ(ps_ready("it-probe-ready"), "0/1");

    t::write_file(dir / "ready", "ok\n");
    EXPECT_TRUE(eventually([] { return is_ready("it-probe-ready", "web"); }, 15));
    EXPECT_EQ(ps_ready("it-probe-ready"), "1/1");
    json pod_status = inspect("it-probe-ready")["status"];
    for (const auto& cond : pod_status["conditions"]) {
        if (cond["type"] == "Ready") {
            EXPECT_EQ(cond["status"], "True");
        }
    }

    std::remove((dir / "ready").c_str());
    EXPECT_TRUE(eventually([] { return !is_ready("it-probe-ready", "web"); }, 15));
    EXPECT_EQ(ps_ready("it-probe-ready"), "0/1");
    // Readiness never restarts a container.
    EXPECT_EQ(restarts("it-probe-ready", "web"), 0);
    auto down = t::podrun({"down", "it-probe-ready"});
    EXPECT_EQ(down.exit_code, 0) << down.err;
}

TEST_F(PodrunTest, LivenessProbeFailureRestartsTheContainer) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    t::write_file(dir / "alive", "ok\n");
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-probe-live}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: www, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: web
    command: [sh, -c, "echo start >> /www/starts; exec busybox httpd -f -p 127.0.0.1:8080 -h /www"]
    volumeMounts: [{name: www, mountPath: /www}]
    livenessProbe:
      httpGet: {path: /alive, port: 8080}
      periodSeconds: 1
      failureThreshold: 2
)",
                               dir.path());
    auto up = t::podrun({"up", "-d", dir.file("pod.yaml", pod)});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    // Healthy: a few periods pass without a restart.
    t::eventually([] { return false; }, 3);
    EXPECT_EQ(restarts("it-probe-live", "web"), 0);
    EXPECT_EQ(count_lines(dir / "starts"), 1u);

    std::remove((dir / "alive").c_str());
    // Two failures, SIGTERM, then the first back-off (10 s) and a new start.
    ASSERT_TRUE(eventually([&] { return count_lines(dir / "starts") == 2; }, 40))
        << t::read_file("/run/podrun/it-probe-live/supervisor.log") << t::podrun({"inspect", "it-probe-live"}).out;
    t::write_file(dir / "alive", "ok\n");
    EXPECT_TRUE(eventually([] { return restarts("it-probe-live", "web") == 1; }, 10));
    auto log = t::read_file("/run/podrun/it-probe-live/supervisor.log");
    EXPECT_NE(log.find("liveness probe failed (2/2)"), std::string::npos) << log;
    auto down = t::podrun({"down", "it-probe-live"});
    EXPECT_EQ(down.exit_code, 0) << down.err;
}

// An exec probe that outlives its timeoutSeconds is killed and, no longer tracked, reaped by
// the supervisor's SIGCHLD handler: none is left running in the container's cgroup, none is
// left a zombie, and the loop goes on. With a probe always in flight, `down` cancels one,
// and pause (PID 1 of the pod, which exits only once every process of its pid namespace
// has been reaped) must still be able to exit: the supervisor reaps the cancelled probe.
TEST_F(PodrunTest, TimedOutExecProbeIsKilledAndReaped) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-probe-timeout}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: out, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: main
    command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 0.1; done"]
    volumeMounts: [{name: out, mountPath: /out}]
    readinessProbe:
      exec: {command: [sh, -c, "echo run >> /out/probes; exec sleep 30"]}
      timeoutSeconds: 1
      periodSeconds: 1
)",
                               dir.path());
    auto up = t::podrun({"up", "-d", dir.file("pod.yaml", pod)});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    ASSERT_TRUE(eventually([&] { return count_lines(dir / "probes") >= 3; }, 20));
    auto cg = t::cgroup2_mount();
    ASSERT_TRUE(cg);
    const std::string leaf = *cg + "/podrun/it-probe-timeout/main/cgroup.procs";
    auto st = json::parse(t::read_file("/run/podrun/it-probe-timeout/state.json"));
    const pid_t sup = st["supervisor"]["pid"].get<pid_t>();
    ASSERT_GT(sup, 0);
    // Killed ones leave the cgroup at once; at most the probe in flight stays with main
    // (a shell and its loop's sleep). And no zombie waits under the supervisor.
    auto settled = [&] {
        size_t in_leaf = count_lines(leaf);
        std::istringstream kids(
            t::read_file("/proc/" + std::to_string(sup) + "/task/" + std::to_string(sup) + "/children"));
        pid_t k;
        while (kids >> k) {
            if (t::proc_state(k) == 'Z') return false;
        }
        return in_leaf <= 3;
    };
    EXPECT_TRUE(eventually(settled, 6)) << t::read_file(leaf);
    auto insp = t::podrun({"inspect", "it-probe-timeout"});
    ASSERT_EQ(insp.exit_code, 0) << insp.err;
    EXPECT_FALSE(json::parse(insp.out)["status"]["containerStatuses"][0]["ready"].get<bool>());
    auto log = t::read_file("/run/podrun/it-probe-timeout/supervisor.log");
    EXPECT_NE(log.find("timed out"), std::string::npos) << log;
    expect_prompt_down("it-probe-timeout");
}

// A probe cancelled by `down` that takes a while to die (it holds 256 MiB, which its exit
// frees) is still our child when the containers have all exited: pause, which exits only
// once every process of its pid namespace has been reaped, would wait for the supervisor,
// and the supervisor for pause. The supervisor reaps whatever ends while it waits.
TEST_F(PodrunTest, DownWithAProbeStillDyingEndsThePod) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-probe-dying}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: out, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: main
    command: [sleep, "3600"]
    volumeMounts: [{name: out, mountPath: /out}]
    readinessProbe:
      exec: {command: [sh, -c, "echo run >> /out/probes; exec busybox dd if=/dev/zero of=/dev/null bs=256M count=100"]}
      timeoutSeconds: 2
      periodSeconds: 1
)",
                               dir.path());
    auto up = t::podrun({"up", "-d", dir.file("pod.yaml", pod)});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    ASSERT_TRUE(eventually([&] { return count_lines(dir / "probes") >= 1; }, 20));
    t::eventually([] { return false; }, 0.5);  // the probe is in its dd now
    expect_prompt_down("it-probe-dying");
}

TEST_F(PodrunTest, SidecarsStartInOrderGatedByStartupProbeAndStopInReverse) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string loop = "while :; do sleep 0.1; done";
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-sidecar}
spec:
  terminationGracePeriodSeconds: 20
  volumes: [{name: out, hostPath: {path: DIR, type: Directory}}]
  initContainers:
  - name: proxy
    restartPolicy: Always
    command: )" +
                                   sh("ev proxy-start; trap 'ev proxy-term; exit 0' TERM; sleep 2; busybox httpd -f -p "
                                      "127.0.0.1:8081 -h /out & " +
                                      loop) +
                                   R"(
    startupProbe: {tcpSocket: {port: 8081}, periodSeconds: 1, failureThreshold: 30}
    volumeMounts: [{name: out, mountPath: /out}]
  - name: setup
    command: )" + sh("ev setup-start") +
                                   R"(
    volumeMounts: [{name: out, mountPath: /out}]
  - name: logger
    restartPolicy: Always
    command: )" + sh("ev logger-start; trap 'ev logger-term; exit 0' TERM; " + loop) +
                                   R"(
    volumeMounts: [{name: out, mountPath: /out}]
  containers:
  - name: app
    command: )" + sh("ev app-start; trap 'sleep 0.5; ev app-term; exit 0' TERM; " + loop) +
                                   R"(
    volumeMounts: [{name: out, mountPath: /out}]
)",
                               dir.path());
    Background up({"up", dir.file("pod.yaml", pod)});
    ASSERT_TRUE(up.wait_for_out("app-start", 60)) << up.out() << up.err();
    EXPECT_TRUE(eventually([] { return ps_ready("it-sidecar") == "3/3"; }, 10)) << ps_ready("it-sidecar");
    // The start order as the containers' logs show it (podrun logs --timestamps).
    auto plog = t::podrun({"logs", "it-sidecar", "-c", "proxy", "--timestamps"});
    EXPECT_NE(plog.out.find("proxy-start"), std::string::npos) << plog.out;

    up.signal(SIGTERM);
    auto r = up.wait(60);
    EXPECT_EQ(r.exit_code, 0) << r.err;  // the app exited 0; the sidecars' exits don't count

    Events e = read_events(dir / "events");
    std::vector<std::string> want{"proxy-start", "setup-start", "logger-start", "app-start",
                                  "app-term",    "logger-term", "proxy-term"};
    EXPECT_EQ(e.order, want) << t::read_file(dir / "events");
    // setup waited for the proxy's startupProbe, which could pass only once its port opened.
    if (e.at.count("setup-start") && e.at.count("proxy-start")) {
        EXPECT_GE(e.at["setup-start"] - e.at["proxy-start"], 2.0);
    }
    // The sidecars were signalled only after the app had exited (it takes 0.5 s to).
    if (e.at.count("logger-term") && e.at.count("app-term")) {
        EXPECT_GE(e.at["logger-term"], e.at["app-term"]);
    }
}

TEST_F(PodrunTest, SidecarRestartsAndEndsWithTheAppContainers) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-sidecar-end}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 5
  volumes: [{name: out, hostPath: {path: DIR, type: Directory}}]
  initContainers:
  - name: flaky
    restartPolicy: Always
    command: [sh, -c, "date +%s.%N >> /out/flaky; sleep 0.5; exit 1"]
    volumeMounts: [{name: out, mountPath: /out}]
  - name: steady
    restartPolicy: Always
    command: )" + sh("trap 'ev steady-term; exit 0' TERM; while :; do sleep 0.1; done") +
                                   R"(
    volumeMounts: [{name: out, mountPath: /out}]
  containers:
  - name: app
    command: [sleep, "12"]
)",
                               dir.path());
    auto r = t::podrun({"up", dir.file("pod.yaml", pod)}, "", 90);
    // Succeeded: the app's exit code, though the sidecar failed and the others got SIGTERM.
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // restartPolicy Never does not apply to a sidecar: it came back after its back-off.
    EXPECT_GE(count_lines(dir / "flaky"), 2u) << r.err;
    EXPECT_EQ(read_events(dir / "events").order, std::vector<std::string>{"steady-term"});
    EXPECT_NE(r.err.find("every app container has ended"), std::string::npos) << r.err;
}

TEST_F(PodrunTest, PostStartGatesRunningAndPreStopRunsBeforeSigterm) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-hooks}
spec:
  terminationGracePeriodSeconds: 20
  volumes: [{name: out, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: app
    command: )" + sh("ev main-start; trap 'ev main-term; exit 0' TERM; while :; do sleep 0.1; done") +
                                   R"(
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      postStart:
        exec:
          command: )" + sh("sleep 2; ev poststart-end") +
                                   R"(
      preStop:
        exec:
          command: )" + sh("ev prestop; sleep 1; ev prestop-end") +
                                   R"(
)",
                               dir.path());
    Background up({"up", dir.file("pod.yaml", pod)});
    ASSERT_TRUE(up.wait_for_out("main-start", 60)) << up.out() << up.err();
    // The hook is still sleeping: Kubernetes shows the container as being created.
    json c = status_of("it-hooks", "app");
    ASSERT_TRUE(c.is_object());
    EXPECT_TRUE(c["state"].contains("waiting")) << c.dump();
    ASSERT_TRUE(eventually(
        [] {
            json s = status_of("it-hooks", "app");
            return s.is_object() && s["state"].contains("running");
        },
        20));
    EXPECT_TRUE(t::read_file(dir / "events").find("poststart-end") != std::string::npos);

    auto down = t::podrun({"down", "it-hooks"}, "", 60);
    EXPECT_EQ(down.exit_code, 0) << down.err;
    up.wait(30);
    Events e = read_events(dir / "events");
    std::vector<std::string> want{"main-start", "poststart-end", "prestop", "prestop-end", "main-term"};
    EXPECT_EQ(e.order, want) << t::read_file(dir / "events");
}

TEST_F(PodrunTest, PreStopSleepAndHttpGetHooks) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-hooks-http}
spec:
  terminationGracePeriodSeconds: 20
  volumes: [{name: out, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: web
    command: [busybox, httpd, -f, -vv, -p, "127.0.0.1:8080", -h, /out]
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      postStart: {sleep: {seconds: 1}}
      preStop: {httpGet: {path: /bye, port: 8080}}
  - name: waiter
    command: )" + sh("trap 'ev waiter-term; exit 0' TERM; while :; do sleep 0.1; done") +
                                   R"(
    volumeMounts: [{name: out, mountPath: /out}]
    lifecycle:
      preStop: {sleep: {seconds: 2}}
)",
                               dir.path());
    t::write_file(dir / "bye", "bye\n");
    Background up({"up", dir.file("pod.yaml", pod)});
    ASSERT_TRUE(up.wait_for_err("postStart hook done", 60)) << up.out() << up.err();
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);  // the clock `date` in the containers reads
    const double down_at = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
    auto down = t::podrun({"down", "it-hooks-http"}, "", 60);
    EXPECT_EQ(down.exit_code, 0) << down.err;
    auto r = up.wait(30);
    // The waiter got SIGTERM only after its 2 s preStop sleep.
    Events e = read_events(dir / "events");
    EXPECT_EQ(e.order, std::vector<std::string>{"waiter-term"});
    if (e.at.count("waiter-term")) {
        EXPECT_GE(e.at["waiter-term"] - down_at, 2.0);
    }
    // The web container's preStop request reached it (busybox httpd -vv logs requests).
    EXPECT_NE(r.out.find("url:/bye"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("web: preStop hook done"), std::string::npos) << r.err;
}

TEST_F(PodrunTest, FailedPostStartKillsTheContainer) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = R"(apiVersion: v1
kind: Pod
metadata: {name: it-hooks-fail}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 5
  containers:
  - name: app
    command: [sleep, "1000"]
    lifecycle:
      postStart: {httpGet: {path: /, port: 1}}
)";
    auto r = t::podrun({"up", dir.file("pod.yaml", pod)}, "", 60);
    EXPECT_EQ(r.exit_code, 143) << r.err;  // SIGTERM, and restartPolicy Never keeps it down
    EXPECT_NE(r.err.find("postStart hook"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Connection refused"), std::string::npos) << r.err;
}

TEST_F(PodrunTest, CrashLoopBackOffDoublesFromTenSeconds) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-backoff}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: out, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: crash
    command: [sh, -c, "date +%s.%N >> /out/starts; exit 3"]
    volumeMounts: [{name: out, mountPath: /out}]
)",
                               dir.path());
    auto up = t::podrun({"up", "-d", dir.file("pod.yaml", pod)});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    // Between starts: waiting, CrashLoopBackOff, the last exit code kept.
    ASSERT_TRUE(eventually(
        [] {
            json c = status_of("it-backoff", "crash");
            return c.is_object() && c["state"].contains("waiting") &&
                   c["state"]["waiting"]["reason"] == "CrashLoopBackOff";
        },
        10));
    EXPECT_EQ(restarts("it-backoff", "crash"), 0);
    ASSERT_TRUE(eventually([&] { return count_lines(dir / "starts") >= 3; }, 60));
    EXPECT_TRUE(eventually([] { return restarts("it-backoff", "crash") == 2; }, 5));
    auto ps = json::parse(t::podrun({"ps", "--json"}).out, nullptr, false);
    bool seen = false;
    for (const auto& row : ps) {
        if (row.is_object() && row["name"] == "it-backoff") {
            seen = true;
            EXPECT_EQ(row["restarts"], 2);
        }
    }
    EXPECT_TRUE(seen) << ps.dump();
    auto down = t::podrun({"down", "it-backoff"});
    EXPECT_EQ(down.exit_code, 0) << down.err;

    auto s = numbers(dir / "starts");
    ASSERT_GE(s.size(), 3u);
    // 10 s, then 20 s (Kubernetes' back-off), each measured from the exit, which comes
    // right after the start here; the upper bounds only allow for a loaded machine.
    EXPECT_GE(s[1] - s[0], 10.0);
    EXPECT_LT(s[1] - s[0], 15.0);
    EXPECT_GE(s[2] - s[1], 20.0);
    EXPECT_LT(s[2] - s[1], 25.0);
}

// A container that exits leaving a process in its cgroup: the leftover is killed with
// cgroup.kill, and the restarted instance must still run. (On this host's kernel a process
// made with CLONE_INTO_CGROUP in a cgroup that was once cgroup.kill'ed is SIGKILLed at
// birth: each instance gets a new leaf.)
TEST_F(PodrunTest, RestartAfterLeftoversWereKilledRuns) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = with_dir(R"(apiVersion: v1
kind: Pod
metadata: {name: it-restart-leftover}
spec:
  terminationGracePeriodSeconds: 2
  volumes: [{name: out, hostPath: {path: DIR, type: Directory}}]
  containers:
  - name: c
    command: [sh, -c, "echo start >> /out/starts; sleep 1000 & exit 1"]
    volumeMounts: [{name: out, mountPath: /out}]
)",
                               dir.path());
    auto up = t::podrun({"up", "-d", dir.file("pod.yaml", pod)});
    ASSERT_EQ(up.exit_code, 0) << up.err;
    // The first back-off is 10 s; the second instance writes its line at once.
    ASSERT_TRUE(eventually([&] { return count_lines(dir / "starts") == 2; }, 25))
        << t::read_file("/run/podrun/it-restart-leftover/supervisor.log");
    auto log = t::read_file("/run/podrun/it-restart-leftover/supervisor.log");
    EXPECT_EQ(log.find("signal 9"), std::string::npos) << log;
    expect_prompt_down("it-restart-leftover");
}

TEST_F(PodrunTest, InitContainerThatSucceededIsNotRestartedUnderAlways) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    std::string pod = R"(apiVersion: v1
kind: Pod
metadata: {name: it-init-always}
spec:
  terminationGracePeriodSeconds: 2
  initContainers:
  - {name: setup, command: ["true"]}
  containers:
  - {name: app, command: [sleep, "100"]}
)";
    // restartPolicy defaults to Always: the init container's exit 0 is its success.
    auto up = t::podrun({"up", "-d", dir.file("pod.yaml", pod)}, "", 30);
    ASSERT_EQ(up.exit_code, 0) << up.err;
    json c = status_of("it-init-always", "setup");
    ASSERT_TRUE(c.is_object());
    EXPECT_TRUE(c["state"].contains("terminated")) << c.dump();
    EXPECT_EQ(c["state"]["terminated"]["reason"], "Completed");
    EXPECT_EQ(c["restartCount"], 0);
    for (const auto& cond : inspect("it-init-always")["status"]["conditions"]) {
        if (cond["type"] == "Initialized") {
            EXPECT_EQ(cond["status"], "True");
        }
    }
    auto down = t::podrun({"down", "it-init-always"});
    EXPECT_EQ(down.exit_code, 0) << down.err;
}
