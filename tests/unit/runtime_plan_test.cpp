// Pure parts of the runtime rooms: back-off, restart policy, namespace flags, the
// container's mount plan, mountinfo parsing and the pod's /etc/hosts.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>

#include <algorithm>

#include "podrun/cgroup/cgroup.hpp"
#include "podrun/launcher/launcher.hpp"
#include "podrun/namespaces/namespaces.hpp"
#include "podrun/sandbox/sandbox.hpp"
#include "podrun/supervisor/supervisor.hpp"

using namespace podrun;

TEST(Backoff, TenSecondsDoublingToFiveMinutes) {
    EXPECT_EQ(supervisor::backoff_ms(0), 10000);
    EXPECT_EQ(supervisor::backoff_ms(1), 20000);
    EXPECT_EQ(supervisor::backoff_ms(2), 40000);
    EXPECT_EQ(supervisor::backoff_ms(4), 160000);
    EXPECT_EQ(supervisor::backoff_ms(5), 300000);
    EXPECT_EQ(supervisor::backoff_ms(50), 300000);
}

TEST(RestartPolicy, KubernetesSemantics) {
    using spec::RestartPolicy;
    EXPECT_TRUE(supervisor::should_restart(RestartPolicy::Always, 0));
    EXPECT_TRUE(supervisor::should_restart(RestartPolicy::Always, 1));
    EXPECT_FALSE(supervisor::should_restart(RestartPolicy::OnFailure, 0));
    EXPECT_TRUE(supervisor::should_restart(RestartPolicy::OnFailure, 137));
    EXPECT_FALSE(supervisor::should_restart(RestartPolicy::Never, 1));
}

TEST(Supervisor, InitContainersAndSidecarsFollowTheirOwnPolicy) {
    using spec::RestartPolicy;
    // Sidecars restart whatever the pod says.
    EXPECT_EQ(supervisor::container_policy(RestartPolicy::Never, true, true), RestartPolicy::Always);
    // Other init containers only retry failures, and not under Never.
    EXPECT_EQ(supervisor::container_policy(RestartPolicy::Always, true, false), RestartPolicy::OnFailure);
    EXPECT_EQ(supervisor::container_policy(RestartPolicy::OnFailure, true, false), RestartPolicy::OnFailure);
    EXPECT_EQ(supervisor::container_policy(RestartPolicy::Never, true, false), RestartPolicy::Never);
    // App containers follow the pod.
    EXPECT_EQ(supervisor::container_policy(RestartPolicy::Always, false, false), RestartPolicy::Always);
}

TEST(Supervisor, BackoffResetsAfterTenMinutesRunning) {
    EXPECT_EQ(supervisor::backoff_streak_after(4, 599999), 4);
    EXPECT_EQ(supervisor::backoff_streak_after(4, 600000), 0);
    EXPECT_EQ(supervisor::backoff_ms(supervisor::backoff_streak_after(4, 600000)), 10000);
}

TEST(Namespaces, HostFlagsSkipTheirNamespace) {
    spec::Pod pod;
    auto ns = namespaces::PodNamespaces::for_pod(pod);
    EXPECT_EQ(ns.clone_flags(), uint64_t(CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS));
    EXPECT_EQ(ns.join_flags(false) & CLONE_NEWPID, 0u);
    pod.host_network = true;
    pod.host_ipc = true;
    pod.host_pid = true;
    ns = namespaces::PodNamespaces::for_pod(pod);
    // hostNetwork keeps the host's UTS namespace too, as the kubelet does.
    EXPECT_EQ(ns.clone_flags(), uint64_t(CLONE_NEWNS));
    EXPECT_EQ(namespaces::flag_names(CLONE_NEWPID | CLONE_NEWNET), "CLONE_NEWPID|CLONE_NEWNET");
}

TEST(Cgroup, FindsCgroup2InMountinfo) {
    std::string mi =
        "25 30 0:22 / /sys/fs/cgroup ro,nosuid shared:9 - tmpfs tmpfs ro,mode=755\n"
        "26 25 0:23 / /sys/fs/cgroup/memory rw shared:10 - cgroup cgroup rw,memory\n"
        "27 25 0:24 / /sys/fs/cgroup/unified rw,nosuid shared:11 - cgroup2 cgroup2 rw\n";
    EXPECT_EQ(cgroup::cgroup2_mount_from_mountinfo(mi), "/sys/fs/cgroup/unified");
    EXPECT_EQ(cgroup::cgroup2_mount_from_mountinfo("1 0 0:1 / / rw - ext4 /dev/vda rw\n"), std::nullopt);
    cgroup::PodTree t("/sys/fs/cgroup/podrun", "web");
    EXPECT_EQ(t.leaf_dir("pause"), "/sys/fs/cgroup/podrun/web/pause");
}

TEST(Hosts, MapsTheHostnameToLoopback) {
    spec::Pod pod;
    pod.metadata.name = "web";
    EXPECT_NE(sandbox::hosts_file(pod).find("127.0.0.1\tweb\n"), std::string::npos);
    pod.hostname = "front";
    EXPECT_NE(sandbox::hosts_file(pod).find("127.0.0.1\tfront\n"), std::string::npos);
}

namespace {

struct PlanFixture : ::testing::Test {
    spec::Pod pod;
    state::PodPaths paths{"web", "/run/podrun", "/var/lib/podrun"};
    sandbox::Sandbox sb;
    cgroup::PodTree cg{"/sys/fs/cgroup/podrun", "web"};

    sys::OpList plan(const spec::Container& c) {
        launcher::LaunchContext ctx{pod, paths, sb, cg, {}, true};
        return launcher::root_ops(ctx, c);
    }
    static const sys::Op* find(const sys::OpList& ops, sys::OpKind k, const std::string& b) {
        for (const auto& op : ops.ops()) {
            if (op.kind == k && (op.b == b || (op.kind != sys::OpKind::Mount && op.a == b))) return &op;
        }
        return nullptr;
    }
};

}  // namespace

TEST_F(PlanFixture, HostProgramsRootBindsSystemDirsReadOnly) {
    spec::Container c;
    c.name = "app";
    auto ops = plan(c);
    const std::string root = "/run/podrun/web/roots/app";
    // /usr is a real directory on Debian: bound, then remounted read-only.
    const sys::Op* usr = find(ops, sys::OpKind::Mount, root + "/usr");
    ASSERT_NE(usr, nullptr);
    EXPECT_TRUE(usr->flags & MS_BIND);
    bool ro = std::any_of(ops.ops().begin(), ops.ops().end(), [&](const sys::Op& o) {
        return o.kind == sys::OpKind::Mount && o.b == root + "/usr" && (o.flags & MS_REMOUNT) && (o.flags & MS_RDONLY);
    });
    EXPECT_TRUE(ro);
    EXPECT_NE(find(ops, sys::OpKind::Mount, root + "/proc"), nullptr);
    EXPECT_NE(find(ops, sys::OpKind::Mount, root + "/dev/pts"), nullptr);
    EXPECT_NE(find(ops, sys::OpKind::Mount, root + "/etc/hosts"), nullptr);
    // /dev/shm is the pod's, bound; /tmp is a directory of the root, no mount of its own.
    const sys::Op* shm = find(ops, sys::OpKind::Mount, root + "/dev/shm");
    ASSERT_NE(shm, nullptr);
    EXPECT_EQ(shm->a, "/run/podrun/web/shm");
    EXPECT_TRUE(shm->flags & MS_BIND);
    EXPECT_EQ(find(ops, sys::OpKind::Mount, root + "/tmp"), nullptr);
    const sys::Op* tmp = find(ops, sys::OpKind::Chmod, root + "/tmp");
    ASSERT_NE(tmp, nullptr);
    EXPECT_EQ(tmp->mode, 01777u);
    // Ends with pivot_root into the new root.
    ASSERT_GE(ops.size(), 2u);
    EXPECT_EQ(ops.ops()[ops.size() - 2].kind, sys::OpKind::PivotRoot);
    EXPECT_EQ(ops.ops()[1].kind, sys::OpKind::Unshare);
    EXPECT_EQ(ops.ops()[1].flags, uint64_t(CLONE_NEWNS | CLONE_NEWCGROUP));
}

TEST_F(PlanFixture, ImageIsAnOverlayWithATmpfsUpper) {
    spec::Container c;
    c.name = "app";
    c.image = "/srv/rootfs";
    auto ops = plan(c);
    const std::string holder = "/run/podrun/web/roots/app";
    const sys::Op* ov = find(ops, sys::OpKind::Mount, holder + "/merged");
    ASSERT_NE(ov, nullptr);
    EXPECT_EQ(ov->c, "overlay");
    EXPECT_EQ(ov->d, "lowerdir=/srv/rootfs,upperdir=" + holder + "/upper,workdir=" + holder + "/work");
    EXPECT_EQ(find(ops, sys::OpKind::Mount, holder + "/merged/usr"), nullptr);
    // The image's own /tmp, in the writable layer, as in Kubernetes.
    EXPECT_EQ(find(ops, sys::OpKind::Mount, holder + "/merged/tmp"), nullptr);
    EXPECT_EQ(find(ops, sys::OpKind::Chmod, holder + "/merged/tmp"), nullptr);
}

TEST_F(PlanFixture, HostIpcBindsTheHostsDevShm) {
    sb.ns.ipc = false;
    spec::Container c;
    c.name = "app";
    auto ops = plan(c);
    const sys::Op* shm = find(ops, sys::OpKind::Mount, "/run/podrun/web/roots/app/dev/shm");
    ASSERT_NE(shm, nullptr);
    EXPECT_EQ(shm->a, "/dev/shm");
}

TEST_F(PlanFixture, VolumesMountParentsFirstWithSubPathAndReadOnly) {
    pod.volumes.push_back({"data", spec::EmptyDirVolume{}});
    pod.volumes.push_back({"cache", spec::EmptyDirVolume{true, 1 << 20}});
    spec::Container c;
    c.name = "app";
    c.volume_mounts.push_back({"cache", "/data/cache", "", false});
    c.volume_mounts.push_back({"data", "/data", "sub", true});
    auto ops = plan(c);
    const std::string root = "/run/podrun/web/roots/app";
    size_t data_at = 0, cache_at = 0;
    for (size_t i = 0; i < ops.size(); i++) {
        const auto& o = ops.ops()[i];
        if (o.kind != sys::OpKind::Mount || !(o.flags & MS_BIND) || (o.flags & MS_REMOUNT)) continue;
        if (o.b == root + "/data") {
            data_at = i;
            EXPECT_EQ(o.a, "/var/lib/podrun/web/volumes/data/sub");
        }
        if (o.b == root + "/data/cache") {
            cache_at = i;
            EXPECT_EQ(o.a, "/run/podrun/web/volumes/cache");  // memory emptyDir: pod scratch
        }
    }
    ASSERT_GT(data_at, 0u);
    EXPECT_GT(cache_at, data_at);
}
