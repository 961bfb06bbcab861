// `podrun up` end to end: 1000 orphans made inside a container are re-parented to pause
// (PID 1 of the pod) and reaped; none stays a zombie. Observed from the host, while the pod runs.
#include <signal.h>

#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace podrun::test {
namespace {

class UpZombies : public PodrunTest {};

struct PodProcs {
    int total = 0;
    int zombies = 0;
    int pause_children = 0;  // orphans: the containers' own processes are children of podrun
};

// Every host process whose pid namespace is the pod's.
PodProcs scan(uint64_t pidns, pid_t pause) {
    PodProcs p;
    for (pid_t pid : all_pids()) {
        auto ns = ns_inode(pid, "pid");
        if (!ns || *ns != pidns) continue;
        std::istringstream st(read_file("/proc/" + std::to_string(pid) + "/status"));
        std::string line, state;
        pid_t ppid = 0;
        while (std::getline(st, line)) {
            if (line.rfind("State:", 0) == 0) state = line.substr(line.find_first_not_of(" \t", 6));
            if (line.rfind("PPid:", 0) == 0) ppid = std::stoi(line.substr(5));
        }
        if (state.empty()) continue;  // gone meanwhile
        p.total++;
        if (state[0] == 'Z') p.zombies++;
        if (ppid == pause) p.pause_children++;
    }
    return p;
}

TEST_F(UpZombies, ThousandOrphansAreReapedByPause) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    // 20 subshells each start 50 background subshells blocked on a fifo, note their pids
    // and exit at once: 1000 orphans. When the test creates /t/go, the container kills
    // them all at once: 1000 zombies for pause to reap. (Forks cost ~8 ms on the build VMs.)
    std::string pod = R"SH(apiVersion: v1
kind: Pod
metadata: {name: it-zombies}
spec:
  terminationGracePeriodSeconds: 5
  volumes:
  - {name: t, hostPath: {path: TRIGGER, type: Directory}}
  containers:
  - name: maker
    volumeMounts: [{name: t, mountPath: /t}]
    command:
    - sh
    - -c
    - |
      mkfifo /tmp/never
      i=0
      while [ $i -lt 20 ]; do
        ( j=0; while [ $j -lt 50 ]; do { read x < /tmp/never; } & echo $! >> /tmp/pids; j=$((j+1)); done )
        i=$((i+1))
      done
      echo "made=$(wc -l < /tmp/pids)"
      while [ ! -e /t/go ]; do sleep 0.05; done
      kill $(cat /tmp/pids)
      trap 'exit 0' TERM
      sleep 600 &
      echo killed
      wait
)SH";
    pod.replace(pod.find("TRIGGER"), 7, dir.path());
    Background up({"up", dir.file("pod.yaml", pod)});
    ASSERT_TRUE(up.wait_for_out("maker | made=", 60)) << up.out() << up.err();
    const pid_t pause = pause_pid("it-zombies");
    ASSERT_GT(pause, 0);
    const auto pidns = ns_inode(pause, "pid");
    ASSERT_TRUE(pidns);

    // The orphans are alive and re-parented to pause (not to podrun, the subreaper outside
    // the pod's pid namespace).
    PodProcs peak = scan(*pidns, pause);
    EXPECT_EQ(peak.pause_children, 1000) << "total " << peak.total << "\n" << up.out();
    EXPECT_EQ(peak.zombies, 0);

    write_file(dir / "go", "");
    ASSERT_TRUE(up.wait_for_out("maker | killed", 30)) << up.out() << up.err();
    // Pause must reap every one while the pod keeps running.
    PodProcs now;
    const bool clean = eventually(
        [&] {
            now = scan(*pidns, pause);
            return now.pause_children == 0 && now.zombies == 0;
        },
        15);
    EXPECT_TRUE(clean) << now.zombies << " zombies, " << now.pause_children << " children of pause left in the pod";
    // pause, the container's shell and its `sleep 600` (started before "killed").
    EXPECT_EQ(now.total, 3);
    EXPECT_NE(proc_state(pause), 'Z');
    EXPECT_NE(proc_state(pause), 0);

    up.signal(SIGTERM);
    RunResult r = up.wait(20);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace
}  // namespace podrun::test
