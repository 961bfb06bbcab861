// `podrun up` end to end: the pod's shared namespaces (net, ipc, uts, pid) seen from inside the
// containers and from the host, each container's own mount and cgroup namespaces, hostname
// and /etc files, the pod's /dev/shm, hostNetwork / hostIPC, and shareProcessNamespace: false.
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace podrun::test {
namespace {

class UpNamespaces : public PodrunTest {};

const std::vector<std::string> kShared = {"net", "ipc", "uts", "pid"};

// Prints self_<ns>= and one_<ns>= (PID 1 of its pid namespace) for every namespace, its
// cgroup v2 line, its pid, then "ready", then waits until SIGTERM makes it exit 0 (a trap,
// because a PID 1 of its own pid namespace ignores signals it has no handler for).
// "$$$$" is "$$" after Kubernetes' $(VAR) expansion.
const char* kPrintNamespaces = R"SH(
      - sh
      - -c
      - |
        for n in net ipc uts pid mnt cgroup; do
          echo "self_$n=$(readlink /proc/self/ns/$n)"
          echo "one_$n=$(readlink /proc/1/ns/$n)"
        done
        echo "cg=$(grep '^0::' /proc/self/cgroup)"
        echo "shmdev=$(stat -c %d /dev/shm)"
        echo "pid=$$$$"
        trap 'exit 0' TERM
        echo ready
        sleep 60 &
        wait
)SH";

std::string two_container_pod(const std::string& name, const std::string& spec_extra) {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n" + spec_extra +
           "  containers:\n  - name: one\n    command:" + kPrintNamespaces +
           "  - name: two\n    command:" + kPrintNamespaces;
}

// Starts the pod and waits until both containers printed "ready".
void start_and_wait_ready(Background& up) {
    ASSERT_TRUE(up.wait_for_out("one | ready", 20)) << up.out() << up.err();
    ASSERT_TRUE(up.wait_for_out("two | ready", 20)) << up.out() << up.err();
}

// SIGTERM stops the pod; the containers exit 0 from their trap, so podrun exits 0.
void stop(Background& up) {
    up.signal(SIGTERM);
    RunResult r = up.wait(20);
    EXPECT_FALSE(r.timed_out) << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(UpNamespaces, ContainersShareNetIpcUtsPidWithPause) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    Background up({"up", dir.file("pod.yaml", two_container_pod("it-ns", ""))});
    start_and_wait_ready(up);

    const pid_t pause = pause_pid("it-ns");
    ASSERT_GT(pause, 0) << read_file("/run/podrun/it-ns/state.json");
    const pid_t one = container_pid("it-ns", "one");
    const pid_t two = container_pid("it-ns", "two");
    ASSERT_GT(one, 0);
    ASSERT_GT(two, 0);
    for (const auto& ns : kShared) {
        const std::string want = ns_link(pause, ns);
        ASSERT_FALSE(want.empty()) << ns;
        // Pause's namespaces are new ones, not the host's.
        EXPECT_NE(want, ns_link(getpid(), ns)) << ns;
        for (const std::string c : {"one", "two"}) {
            // Inside: the container's own view, and PID 1 of its pid namespace (pause).
            EXPECT_EQ(container_value(up.out(), c, "self_" + ns), want) << c << " " << ns;
            EXPECT_EQ(container_value(up.out(), c, "one_" + ns), want) << c << " " << ns;
        }
        // Outside: /proc/<pid>/ns of the container processes recorded in state.json.
        EXPECT_EQ(ns_link(one, ns), want) << ns;
        EXPECT_EQ(ns_link(two, ns), want) << ns;
    }
    for (const std::string ns : {"mnt", "cgroup"}) {
        const std::string p = ns_link(pause, ns);
        const std::string a = container_value(up.out(), "one", "self_" + ns);
        const std::string b = container_value(up.out(), "two", "self_" + ns);
        ASSERT_FALSE(a.empty()) << ns;
        EXPECT_NE(a, p) << ns << ": container one shares pause's";
        EXPECT_NE(b, p) << ns << ": container two shares pause's";
        EXPECT_NE(a, b) << ns << ": the two containers share one";
        EXPECT_EQ(ns_link(one, ns), a) << ns;
        EXPECT_EQ(ns_link(two, ns), b) << ns;
    }
    // Each container's cgroup namespace is rooted at its own leaf.
    EXPECT_EQ(container_value(up.out(), "one", "cg"), "0::/");
    EXPECT_EQ(container_value(up.out(), "two", "cg"), "0::/");
    // From the host, the container sits in its leaf under <pod>.
    EXPECT_NE(read_file("/proc/" + std::to_string(one) + "/cgroup").find("0::/podrun/it-ns/one\n"), std::string::npos)
        << read_file("/proc/" + std::to_string(one) + "/cgroup");
    // Shared pid namespace: neither container is PID 1 (pause is).
    EXPECT_NE(container_value(up.out(), "one", "pid"), "1");
    EXPECT_NE(container_value(up.out(), "two", "pid"), "1");
    stop(up);
}

TEST_F(UpNamespaces, ShareProcessNamespaceFalseGivesEachContainerItsOwnPidNamespace) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    Background up({"up", dir.file("pod.yaml", two_container_pod("it-nopidshare", "  shareProcessNamespace: false\n"))});
    start_and_wait_ready(up);
    const pid_t pause = pause_pid("it-nopidshare");
    ASSERT_GT(pause, 0);
    const std::string pause_pidns = ns_link(pause, "pid");
    std::vector<std::string> seen;
    for (const std::string c : {"one", "two"}) {
        EXPECT_EQ(container_value(up.out(), c, "pid"), "1") << c << " is not PID 1 of its own";
        const std::string own = container_value(up.out(), c, "self_pid");
        ASSERT_FALSE(own.empty());
        EXPECT_NE(own, pause_pidns) << c;
        EXPECT_EQ(container_value(up.out(), c, "one_pid"), own) << c;
        const pid_t host_pid = container_pid("it-nopidshare", c);
        ASSERT_GT(host_pid, 0);
        // From the host: the container process is PID 1 of a pid namespace of its own.
        EXPECT_EQ(ns_link(host_pid, "pid"), own) << c;
        // The other namespaces are still the pod's.
        for (const std::string ns : {"net", "ipc", "uts"}) {
            EXPECT_EQ(container_value(up.out(), c, "self_" + ns), ns_link(pause, ns)) << c << ns;
        }
        seen.push_back(own);
    }
    EXPECT_NE(seen[0], seen[1]);
    stop(up);
}

TEST_F(UpNamespaces, HostNetworkSharesTheHostNetNamespace) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    Background up({"up", dir.file("pod.yaml", two_container_pod("it-hostnet", "  hostNetwork: true\n"))});
    start_and_wait_ready(up);
    const pid_t pause = pause_pid("it-hostnet");
    ASSERT_GT(pause, 0);
    const std::string host_net = ns_link(getpid(), "net");
    const std::string host_uts = ns_link(getpid(), "uts");
    for (const std::string c : {"one", "two"}) {
        EXPECT_EQ(container_value(up.out(), c, "self_net"), host_net) << c;
        // Kubernetes: hostNetwork implies the host's UTS namespace (the node's hostname).
        EXPECT_EQ(container_value(up.out(), c, "self_uts"), host_uts) << c;
        // ipc and pid stay the pod's.
        EXPECT_EQ(container_value(up.out(), c, "self_ipc"), ns_link(pause, "ipc")) << c;
        EXPECT_NE(container_value(up.out(), c, "self_ipc"), ns_link(getpid(), "ipc")) << c;
        EXPECT_EQ(container_value(up.out(), c, "self_pid"), ns_link(pause, "pid")) << c;
    }
    EXPECT_EQ(ns_link(pause, "net"), host_net);
    stop(up);
}

TEST_F(UpNamespaces, HostIPCSharesTheHostIpcNamespace) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    Background up({"up", dir.file("pod.yaml", two_container_pod("it-hostipc", "  hostIPC: true\n"))});
    start_and_wait_ready(up);
    const pid_t pause = pause_pid("it-hostipc");
    ASSERT_GT(pause, 0);
    for (const std::string c : {"one", "two"}) {
        EXPECT_EQ(container_value(up.out(), c, "self_ipc"), ns_link(getpid(), "ipc")) << c;
        EXPECT_NE(container_value(up.out(), c, "self_net"), ns_link(getpid(), "net")) << c;
        EXPECT_EQ(container_value(up.out(), c, "self_net"), ns_link(pause, "net")) << c;
        // The host's IPC namespace goes with the host's /dev/shm (containerd does the same).
        struct stat host_shm;
        ASSERT_EQ(::stat("/dev/shm", &host_shm), 0);
        EXPECT_EQ(container_value(up.out(), c, "shmdev"), std::to_string(host_shm.st_dev)) << c;
    }
    stop(up);
}

// /dev/shm is one tmpfs for the pod (POSIX shared memory between its containers, as with
// containerd and CRI-O); /tmp belongs to each container's root and is no mount of its own.
TEST_F(UpNamespaces, DevShmIsThePodsAndTmpIsEachContainersOwn) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string pod = R"YAML(apiVersion: v1
kind: Pod
metadata: {name: it-shm}
spec:
  restartPolicy: Never
  containers:
  - name: one
    command:
    - sh
    - -c
    - |
      echo from-one > /dev/shm/note
      echo mine > /tmp/mine
      echo "shmdev=$(stat -c %d /dev/shm)"
      for i in $(seq 100); do [ -e /dev/shm/done ] && break; sleep 0.1; done
  - name: two
    command:
    - sh
    - -c
    - |
      for i in $(seq 100); do [ -e /dev/shm/note ] && break; sleep 0.1; done
      echo "note=$(cat /dev/shm/note)"
      echo "shmdev=$(stat -c %d /dev/shm)"
      echo "shmfs=$(stat -f -c %T /dev/shm)"
      echo "tmpmode=$(stat -c %a /tmp)"
      echo "tmpmine=$(test -e /tmp/mine && echo yes || echo no)"
      echo "tmpmount=$(grep -c ' /tmp ' /proc/self/mountinfo)"
      touch /tmp/x && echo "tmpwrite=ok"
      touch /dev/shm/done
)YAML";
    RunResult r = podrun({"up", dir.file("pod.yaml", pod)}, "", 30);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "two", "note"), "from-one") << r.out;
    EXPECT_EQ(container_value(r.out, "two", "shmdev"), container_value(r.out, "one", "shmdev")) << r.out;
    EXPECT_EQ(container_value(r.out, "two", "shmfs"), "tmpfs") << r.out;
    EXPECT_EQ(container_value(r.out, "two", "tmpmode"), "1777") << r.out;
    EXPECT_EQ(container_value(r.out, "two", "tmpmine"), "no") << r.out;
    EXPECT_EQ(container_value(r.out, "two", "tmpmount"), "0") << r.out;
    EXPECT_EQ(container_value(r.out, "two", "tmpwrite"), "ok") << r.out;
}

// Placement (sys::StartHere) pins podrun's children to its CPU only while they set up: the
// programs of pause and the containers run with the CPUs podrun had, whatever they are.
std::string cpus_of(const std::string& status_file) {
    std::istringstream in(read_file(status_file));
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("Cpus_allowed_list:", 0) == 0) return line.substr(line.find_first_not_of(" \t", 18));
    }
    return "";
}

void expect_pod_keeps_our_cpus(const std::string& name) {
    TempDir dir;
    const std::string pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\n" + R"YAML(spec:
  containers:
  - name: c
    command:
    - sh
    - -c
    - |
      echo "cpus=$(grep Cpus_allowed_list /proc/self/status | cut -f2)"
      trap 'exit 0' TERM
      echo ready
      sleep 60 &
      wait
)YAML";
    Background up({"up", dir.file("pod.yaml", pod)});
    ASSERT_TRUE(up.wait_for_out("c | ready", 20)) << up.out() << up.err();
    const std::string ours = cpus_of("/proc/self/status");
    ASSERT_FALSE(ours.empty());
    EXPECT_EQ(container_value(up.out(), "c", "cpus"), ours) << up.out();
    const pid_t pause = pause_pid(name);
    ASSERT_GT(pause, 0);
    EXPECT_EQ(cpus_of("/proc/" + std::to_string(pause) + "/status"), ours);
    stop(up);
}

TEST_F(UpNamespaces, PauseAndContainersRunOnTheCpusPodrunHad) {
    PODRUN_REQUIRE_ROOT();
    expect_pod_keeps_our_cpus("it-cpus");
    // And with podrun limited to one CPU (taskset), they are limited alike.
    cpu_set_t all;
    CPU_ZERO(&all);
    ASSERT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int c = CPU_SETSIZE - 1; c >= 0; c--) {
        if (CPU_ISSET(c, &all)) {
            CPU_SET(c, &one);  // the last allowed CPU: not necessarily the one we run on
            break;
        }
    }
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    struct Restore {
        cpu_set_t m;
        ~Restore() { sched_setaffinity(0, sizeof m, &m); }
    } restore{all};
    expect_pod_keeps_our_cpus("it-cpus-one");
}

// Prints the hostname three ways and the /etc/hosts line naming it.
std::string hostname_pod(const std::string& name, const std::string& spec_extra) {
    return "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name + "}\nspec:\n" + spec_extra +
           R"SH(  restartPolicy: Never
  containers:
  - name: c
    command:
    - sh
    - -c
    - |
      echo "uname=$(hostname)"
      echo "etc=$(cat /etc/hostname)"
      echo "env=$HOSTNAME"
      echo "hosts=$(grep -w "$(hostname)" /etc/hosts | tr '\t' ' ')"
)SH";
}

TEST_F(UpNamespaces, HostnameIsMetadataName) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    // --network=none: the pod's only address is loopback, which /etc/hosts gives its name.
    RunResult r = podrun({"up", "--network=none", dir.file("pod.yaml", hostname_pod("it-hostname", ""))}, "", 30);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "c", "uname"), "it-hostname") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "etc"), "it-hostname");
    EXPECT_EQ(container_value(r.out, "c", "env"), "it-hostname");
    EXPECT_EQ(container_value(r.out, "c", "hosts"), "127.0.0.1 it-hostname");
}

TEST_F(UpNamespaces, HostnameIsSpecHostnameWhenGiven) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    RunResult r = podrun(
        {"up", "--network=none", dir.file("pod.yaml", hostname_pod("it-hostname2", "  hostname: custom-host\n"))}, "",
        30);
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "c", "uname"), "custom-host") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "etc"), "custom-host");
    EXPECT_EQ(container_value(r.out, "c", "env"), "custom-host");
    EXPECT_EQ(container_value(r.out, "c", "hosts"), "127.0.0.1 custom-host");
}

}  // namespace
}  // namespace podrun::test
