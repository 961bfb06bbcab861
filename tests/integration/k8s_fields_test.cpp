// Kubernetes fields podrun used to refuse: a container named `pause` runs beside podrun's own
// pause (whose cgroup leaf is `_pause`), in its own leaf.
#include <signal.h>

#include <string>

#include "harness.hpp"

namespace podrun::test {
namespace {

class K8sFields : public PodrunTest {};

// "0::/path" of /proc/PID/cgroup, seen from the host.
std::string cgroup2_of(pid_t pid) {
    std::string all = read_file("/proc/" + std::to_string(pid) + "/cgroup");
    size_t at = all.find("0::");
    return at == std::string::npos ? "" : all.substr(at + 3, all.find('\n', at) - at - 3);
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

TEST_F(K8sFields, ContainerNamedPauseRunsInItsOwnLeaf) {
    PODRUN_REQUIRE_ROOT();
    TempDir dir;
    const std::string file = dir.file("pod.yaml", R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-k8s-pause}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: pause
    command: [sh, -c, 'echo ready; exec sleep 600']
)Y");
    Background up({"up", file});
    ASSERT_TRUE(up.wait_for_out("ready", 30)) << up.out() << up.err();
    const pid_t pause = pause_pid("it-k8s-pause");
    const pid_t ctr = container_pid("it-k8s-pause", "pause");
    ASSERT_GT(pause, 0);
    ASSERT_GT(ctr, 0);
    EXPECT_TRUE(ends_with(cgroup2_of(pause), "/it-k8s-pause/_pause")) << cgroup2_of(pause);
    EXPECT_TRUE(ends_with(cgroup2_of(ctr), "/it-k8s-pause/pause")) << cgroup2_of(ctr);
    up.signal(SIGTERM);
    RunResult r = up.wait(20);
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.exit_code, 128 + SIGTERM) << r.err;
}

}  // namespace
}  // namespace podrun::test
