// The confinement layer's part of securityContext, tested on a spec::Pod whose security
// fields are set directly (the validator that fills them from a manifest is tested on its
// own): readOnlyRootFilesystem, procMount: Unmasked, privileged, fsGroup, sysctls. The pod
// runs through pod::up in a forked child of the test, its output collected from a pipe.
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "harness.hpp"
#include "podrun/pod/pod.hpp"
#include "podrun/spec/load.hpp"

namespace fs = std::filesystem;

namespace podrun::test {
namespace {

class ConfineInProc : public PodrunTest {};

// Runs pod::up(pod) in a child; returns its exit code and everything it printed.
RunResult up_in_child(const spec::Pod& pod) {
    RunResult r;
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) return r;
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(p[1], 1);
        ::dup2(p[1], 2);
        ::setenv("PODRUN_PAUSE", PODRUN_PAUSE_BIN, 1);
        int code = 125;
        try {
            pod::UpOptions opts;
            opts.manifest = "<test>";
            code = pod::up(pod, opts);
        } catch (const std::exception& e) {
            std::string m = std::string("up: ") + e.what() + "\n";
            ssize_t n = ::write(2, m.data(), m.size());
            (void)n;
        }
        _exit(code);
    }
    ::close(p[1]);
    const double deadline = now_s() + 60;
    char buf[4096];
    while (now_s() < deadline) {
        pollfd f{p[0], POLLIN, 0};
        if (::poll(&f, 1, 100) <= 0) continue;
        ssize_t n = ::read(p[0], buf, sizeof buf);
        if (n <= 0) break;
        r.out.append(buf, static_cast<size_t>(n));
    }
    ::close(p[0]);
    int status = 0;
    if (now_s() >= deadline) ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return r;
}

spec::Pod load(const std::string& yaml) {
    spec::LoadResult l = spec::load_pod_text(yaml, "<test>");
    EXPECT_TRUE(l.ok()) << (l.errors.empty() ? "" : l.errors[0].to_string());
    return l.pod.value_or(spec::Pod{});
}

TEST_F(ConfineInProc, SecurityFieldsOfTheMountLayer) {
    PODRUN_REQUIRE_ROOT();
    spec::Pod pod = load(R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-conf-inproc}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 3
  volumes: [{name: disk, emptyDir: {}}, {name: mem, emptyDir: {medium: Memory}}]
  containers:
  - name: rofs
    command: [sh, -c, 'if touch /x 2>/dev/null; then echo root=written; else echo root=ro; fi; touch /disk/f && echo "vol=$(stat -c %g:%a /disk):$(stat -c %g /disk/f)"; echo "mem=$(stat -c %g:%a /mem)"']
    volumeMounts: [{name: disk, mountPath: /disk}, {name: mem, mountPath: /mem}]
  - name: unmasked
    command: [sh, -c, 'echo "keys=$(stat -c %F /proc/keys)"; echo "fw=$(stat -f -c %T /sys/firmware)"; echo "port=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)"']
  - name: priv
    command: [sh, -c, 'echo "keys=$(stat -c %F /proc/keys)"; echo "sys=$(awk "\$5 == \"/sys\" {print substr(\$6,1,2)}" /proc/self/mountinfo)"; echo "devs=$(ls /dev | wc -l)"']
)Y");
    pod.containers[0].security.read_only_root_filesystem = true;
    pod.containers[1].security.proc_mount = spec::ProcMount::Unmasked;
    pod.containers[2].security.privileged = true;
    pod.security.fs_group = 2345;
    pod.security.sysctls.push_back({"net.ipv4.ip_unprivileged_port_start", "123"});
    const std::string host_port = read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    RunResult r = up_in_child(pod);
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_EQ(container_value(r.out, "rofs", "root"), "ro") << r.out;
    // fsGroup: the group, g+rwx, setgid - and a new file inherits the group.
    EXPECT_EQ(container_value(r.out, "rofs", "vol"), "2345:2777:2345") << r.out;
    EXPECT_EQ(container_value(r.out, "rofs", "mem"), "2345:2777") << r.out;
    if (fs::exists("/proc/keys")) {
        // The real proc file ("regular empty file"), not /dev/null bound over it.
        EXPECT_EQ(container_value(r.out, "unmasked", "keys").rfind("regular", 0), 0u) << r.out;
        EXPECT_EQ(container_value(r.out, "priv", "keys").rfind("regular", 0), 0u) << r.out;
    }
    EXPECT_EQ(container_value(r.out, "unmasked", "fw"), "tmpfs") << r.out;  // /sys masks stay
    EXPECT_EQ(container_value(r.out, "unmasked", "port"), "123") << r.out;  // the pod's netns
    EXPECT_EQ(read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start"), host_port);
    EXPECT_EQ(container_value(r.out, "priv", "sys"), "rw") << r.out;
    EXPECT_GT(std::stoi("0" + container_value(r.out, "priv", "devs")), 20) << r.out;  // the host's /dev
}

TEST_F(ConfineInProc, NetSysctlInAHostNetworkPodIsRefused) {
    PODRUN_REQUIRE_ROOT();
    spec::Pod pod = load(R"Y(apiVersion: v1
kind: Pod
metadata: {name: it-conf-sysctl-host}
spec:
  restartPolicy: Never
  hostNetwork: true
  containers:
  - {name: c, command: [sh, -c, 'echo ran=1']}
)Y");
    pod.security.sysctls.push_back({"net.ipv4.ip_unprivileged_port_start", "123"});
    const std::string host_port = read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    RunResult r = up_in_child(pod);
    EXPECT_NE(r.exit_code, 0) << r.out;
    EXPECT_NE(r.out.find("would change the host's network namespace"), std::string::npos) << r.out;
    EXPECT_EQ(container_value(r.out, "c", "ran"), "") << r.out;
    EXPECT_EQ(read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start"), host_port);
}

}  // namespace
}  // namespace podrun::test
