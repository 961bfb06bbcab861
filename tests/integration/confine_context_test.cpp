// securityContext fields of the filesystem half of issue 10, from a manifest, from inside a
// pod: readOnlyRootFilesystem, privileged (masks, /sys, host devices), fsGroup on emptyDirs,
// and pod sysctls written in the pod's own namespaces. (procMount: Unmasked needs hostUsers:
// false in Kubernetes, which podrun refuses: confine_inproc_test covers the mount layer's
// part.) Until the validator accepts securityContext, these skip with its message.
#include <unistd.h>

#include <filesystem>
#include <string>

#include "harness.hpp"

namespace fs = std::filesystem;

namespace podrun::test {
namespace {

class ConfineContext : public PodrunTest {
  protected:
    // Runs the pod; skips when the manifest's securityContext is not accepted yet.
    RunResult up(const std::string& yaml) {
        const std::string file = dir_.file("pod.yaml", yaml);
        RunResult v = podrun({"validate", file});
        if (v.exit_code != 0 && v.err.find("not supported") != std::string::npos) {
            skipped_ = v.err;
            return v;
        }
        return podrun({"up", file});
    }
    TempDir dir_;
    std::string skipped_;
};

#define SKIP_IF_UNSUPPORTED() \
    if (!skipped_.empty()) GTEST_SKIP() << "securityContext not accepted by the validator yet: " << skipped_

std::string pod(const std::string& name, const std::string& pod_sc, const std::string& container_sc,
                const std::string& script, const std::string& extra = "", const std::string& mounts = "") {
    std::string y = "apiVersion: v1\nkind: Pod\nmetadata: {name: " + name +
                    "}\nspec:\n  restartPolicy: Never\n  terminationGracePeriodSeconds: 3\n";
    if (!pod_sc.empty()) y += "  securityContext: " + pod_sc + "\n";
    y += extra;
    y += "  containers:\n  - name: c\n";
    if (!container_sc.empty()) y += "    securityContext: " + container_sc + "\n";
    y += "    command: [sh, -c, '" + script + "']\n";
    y += mounts;
    return y;
}

TEST_F(ConfineContext, ReadOnlyRootFilesystemLeavesVolumesWritable) {
    PODRUN_REQUIRE_ROOT();
    RunResult r = up(pod("it-ctx-rorootfs", "", "{readOnlyRootFilesystem: true}",
                         "touch /tmp/x 2>/tmp/e || echo \"root=failed\"; "
                         "touch /v/x && echo vol=ok; echo done=1",
                         "  volumes: [{name: v, emptyDir: {}}]\n", "    volumeMounts: [{name: v, mountPath: /v}]\n"));
    SKIP_IF_UNSUPPORTED();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // /tmp is part of the root: read-only (the error itself cannot be written to /tmp).
    EXPECT_EQ(container_value(r.out, "c", "root"), "failed") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "vol"), "ok") << r.out;
}

TEST_F(ConfineContext, PrivilegedHasNoMasksWritableSysAndHostDevices) {
    PODRUN_REQUIRE_ROOT();
    RunResult r = up(pod("it-ctx-priv", "", "{privileged: true}",
                         "echo \"keys_type=$(stat -c %F /proc/keys)\"; "
                         "echo \"sysopts=$(awk \"\\$5 == \\\"/sys\\\" {print \\$6}\" /proc/self/mountinfo)\"; "
                         "echo \"devs=$(ls /dev | wc -l)\""));
    SKIP_IF_UNSUPPORTED();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "c", "keys_type").rfind("regular", 0), 0u) << r.out;
    EXPECT_EQ(container_value(r.out, "c", "sysopts").rfind("rw,", 0), 0u) << r.out;
    // The host's /dev: far more than the dozen entries of the minimal one.
    EXPECT_GT(std::stoi("0" + container_value(r.out, "c", "devs")), 20) << r.out;
}

TEST_F(ConfineContext, FsGroupOwnsEmptyDirsWithSetgid) {
    PODRUN_REQUIRE_ROOT();
    RunResult r = up(pod("it-ctx-fsgroup", "{fsGroup: 2345}", "",
                         "echo \"disk=$(stat -c %g:%a /disk)\"; echo \"mem=$(stat -c %g:%a /mem)\"; "
                         "touch /disk/f; echo \"file=$(stat -c %g /disk/f)\"",
                         "  volumes: [{name: disk, emptyDir: {}}, {name: mem, emptyDir: {medium: Memory}}]\n",
                         "    volumeMounts: [{name: disk, mountPath: /disk}, {name: mem, mountPath: /mem}]\n"));
    SKIP_IF_UNSUPPORTED();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "c", "disk"), "2345:2777") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "mem"), "2345:2777") << r.out;
    EXPECT_EQ(container_value(r.out, "c", "file"), "2345") << r.out;  // setgid: inherited
}

TEST_F(ConfineContext, SysctlsAreWrittenInThePodOnly) {
    PODRUN_REQUIRE_ROOT();
    const std::string host_before = read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start");
    RunResult r = up(pod("it-ctx-sysctl", "{sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: \"123\"}]}",
                         "", "echo \"port=$(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)\""));
    SKIP_IF_UNSUPPORTED();
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(container_value(r.out, "c", "port"), "123") << r.out;
    EXPECT_EQ(read_file("/proc/sys/net/ipv4/ip_unprivileged_port_start"), host_before);
}

}  // namespace
}  // namespace podrun::test
