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
#include "podrun/sys/mount.hpp"

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
        return launcher::container_fs_ops(ctx, c);
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
    // Paths below the root are resolved in it: they are relative to slot 0, the root.
    // /usr is a real directory on Debian: an overlay without an upper layer (read-only
    // whatever a remount says) or, without overlayfs, a recursive read-only bind.
    const sys::Op* usr = find(ops, sys::OpKind::NewMount, "usr");
    if (!usr) usr = find(ops, sys::OpKind::Bind, "usr");
    ASSERT_NE(usr, nullptr);
    EXPECT_TRUE(usr->attr & sys::kAttrRdonly);
    EXPECT_EQ(usr->in, 0);
    EXPECT_NE(find(ops, sys::OpKind::NewMount, "proc"), nullptr);
    EXPECT_NE(find(ops, sys::OpKind::NewMount, "dev/pts"), nullptr);
    const sys::Op* hosts = find(ops, sys::OpKind::Bind, "etc/hosts");
    ASSERT_NE(hosts, nullptr);
    EXPECT_EQ(hosts->in, 0);
    EXPECT_EQ(hosts->resolve, 0u);  // 0 = sys::kInRoot
    // /dev/shm is the pod's, bound; /tmp is a directory of the root, no mount of its own.
    const sys::Op* shm = find(ops, sys::OpKind::Bind, "dev/shm");
    ASSERT_NE(shm, nullptr);
    EXPECT_EQ(shm->a, "/run/podrun/web/shm");
    EXPECT_EQ(find(ops, sys::OpKind::NewMount, "tmp"), nullptr);
    EXPECT_EQ(find(ops, sys::OpKind::Bind, "tmp"), nullptr);
    const sys::Op* tmp = find(ops, sys::OpKind::Chmod, "tmp");
    ASSERT_NE(tmp, nullptr);
    EXPECT_EQ(tmp->mode, 01777u);
    // /dev/tty is a node of its own, never the host's bound in.
    EXPECT_NE(find(ops, sys::OpKind::Mknod, "dev/tty"), nullptr);
    for (const auto& op : ops.ops()) EXPECT_NE(op.a, "/dev/tty");
    // /sys and cgroup2: read-only, and not optional.
    for (const std::string fs : {"sys", "sys/fs/cgroup"}) {
        const sys::Op* m = find(ops, sys::OpKind::NewMount, fs);
        ASSERT_NE(m, nullptr) << fs;
        EXPECT_TRUE(m->attr & sys::kAttrRdonly) << fs;
        EXPECT_FALSE(m->optional) << fs;
    }
    // Ends with pivot_root into the new root.
    ASSERT_GE(ops.size(), 2u);
    EXPECT_EQ(ops.ops()[ops.size() - 2].kind, sys::OpKind::PivotRoot);
    EXPECT_EQ(ops.ops()[ops.size() - 2].flags, 0u);
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
    EXPECT_TRUE(ov->flags & MS_NODEV);
    EXPECT_EQ(find(ops, sys::OpKind::NewMount, "usr"), nullptr);
    EXPECT_EQ(find(ops, sys::OpKind::Bind, "usr"), nullptr);
    // The image's own /tmp, in the writable layer, as in Kubernetes.
    EXPECT_EQ(find(ops, sys::OpKind::NewMount, "tmp"), nullptr);
    EXPECT_EQ(find(ops, sys::OpKind::Chmod, "tmp"), nullptr);
    // The root is opened once, after the overlay is mounted; everything after is in it.
    const sys::Op* root = find(ops, sys::OpKind::Open, holder + "/merged");
    ASSERT_NE(root, nullptr);
    EXPECT_EQ(root->out, 0);
}

// An image of the store: 60 layers, past the one-page limit of a lowerdir string. Either one
// fsconfig "lowerdir+" each (the kernel takes it), or short links named relative to the tmpfs.
TEST_F(PlanFixture, ManyLayersGoOneByOneOrAsShortLinks) {
    spec::Container c;
    c.name = "app";
    c.image = "reg.example/app:v1";
    for (int i = 0; i < 60; ++i)
        c.image_layers.push_back("/var/lib/podrun/storage/layers/" + std::string(64, 'a') + std::to_string(i));
    const std::string holder = "/run/podrun/web/roots/app";
    ::setenv("PODRUN_TEST_OVERLAY_LINKS", "1", 1);
    auto links = plan(c);
    ::unsetenv("PODRUN_TEST_OVERLAY_LINKS");
    const sys::Op* ov = find(links, sys::OpKind::Mount, holder + "/merged");
    ASSERT_NE(ov, nullptr);
    EXPECT_EQ(ov->d.rfind("lowerdir=l/0:l/1:l/2:", 0), 0u) << ov->d;
    EXPECT_NE(ov->d.find(":l/59,upperdir=upper,workdir=work"), std::string::npos) << ov->d;
    EXPECT_LT(ov->d.size(), 4096u);
    int symlinks = 0;
    for (const auto& op : links.ops()) {
        if (op.kind != sys::OpKind::Symlink || op.a.rfind(holder + "/l/", 0) != 0) continue;
        EXPECT_EQ(op.a, holder + "/l/" + std::to_string(symlinks));
        EXPECT_EQ(op.b, c.image_layers[static_cast<size_t>(symlinks)]);
        ++symlinks;
    }
    EXPECT_EQ(symlinks, 60);
    EXPECT_NE(find(links, sys::OpKind::Chdir, holder), nullptr);
    if (!sys::overlay_takes_lowerdir_plus()) GTEST_SKIP() << "this kernel's overlayfs has no lowerdir+ (Linux 6.8)";
    auto plus = plan(c);
    EXPECT_EQ(find(plus, sys::OpKind::Mount, holder + "/merged"), nullptr);
    const sys::Op* nm = find(plus, sys::OpKind::NewMount, holder + "/merged");
    ASSERT_NE(nm, nullptr);
    ASSERT_EQ(nm->options.size(), 62u);
    for (size_t i = 0; i < 60; ++i)
        EXPECT_EQ(nm->options[i], std::make_pair(std::string("lowerdir+"), c.image_layers[i]));
    EXPECT_EQ(nm->options[60].first, "upperdir");
    EXPECT_TRUE(nm->attr & sys::kAttrNodev);
}

TEST_F(PlanFixture, HostIpcBindsTheHostsDevShm) {
    sb.ns.ipc = false;
    spec::Container c;
    c.name = "app";
    auto ops = plan(c);
    const sys::Op* shm = find(ops, sys::OpKind::Bind, "dev/shm");
    ASSERT_NE(shm, nullptr);
    EXPECT_EQ(shm->a, "/dev/shm");
}

TEST_F(PlanFixture, VolumesMountParentsFirstWithSubPathAndReadOnly) {
    pod.volumes.push_back({"data", spec::EmptyDirVolume{}});
    pod.volumes.push_back({"cache", spec::EmptyDirVolume{true, 1 << 20}});
    spec::Container c;
    c.name = "app";
    c.volume_mounts.push_back({"cache", "/data/cache", "", false, "", false});
    c.volume_mounts.push_back({"data", "/data", "sub", true, "", false});
    auto ops = plan(c);
    size_t data_at = 0, cache_at = 0;
    for (size_t i = 0; i < ops.size(); i++) {
        const auto& o = ops.ops()[i];
        if (o.kind != sys::OpKind::Bind) continue;
        EXPECT_EQ(o.in, 0);
        if (o.b == "/data") {
            data_at = i;
            EXPECT_EQ(o.a, "/var/lib/podrun/web/volumes/data/sub");
            // readOnly recursively, and a disk emptyDir is nodev.
            EXPECT_EQ(o.attr, sys::kAttrRdonly | sys::kAttrNodev);
            EXPECT_TRUE(o.flags & MS_REC);
            // The source is the subPath opened beneath its volume just before.
            ASSERT_GE(o.src, 0);
            const auto& sub = ops.ops()[i - 1];
            EXPECT_EQ(sub.kind, sys::OpKind::Open);
            EXPECT_EQ(sub.out, o.src);
            EXPECT_EQ(sub.a, "sub");
            EXPECT_EQ(sub.resolve, sys::kBeneath);
            EXPECT_FALSE(sub.hint.empty());
        }
        if (o.b == "/data/cache") {
            cache_at = i;
            EXPECT_EQ(o.a, "/run/podrun/web/volumes/cache");  // memory emptyDir: pod scratch
            EXPECT_EQ(o.attr, sys::kAttrNodev);
        }
    }
    ASSERT_GT(data_at, 0u);
    EXPECT_GT(cache_at, data_at);
}

namespace {
size_t count_kind(const sys::OpList& ops, sys::OpKind k) {
    return static_cast<size_t>(
        std::count_if(ops.ops().begin(), ops.ops().end(), [&](const sys::Op& o) { return o.kind == k; }));
}
}  // namespace

TEST_F(PlanFixture, DefaultMasksProcSysAndHostSecrets) {
    spec::Container c;
    c.name = "app";
    auto ops = plan(c);
    for (const std::string p : {"proc/kcore", "proc/keys", "proc/timer_list", "proc/acpi", "proc/scsi", "sys/firmware",
                                "sys/devices/virtual/powercap", "etc/shadow", "etc/gshadow"}) {
        EXPECT_NE(find(ops, sys::OpKind::Mask, p), nullptr) << p;
    }
    for (const std::string p : {"proc/sys", "proc/sysrq-trigger", "proc/bus", "proc/fs", "proc/irq"}) {
        EXPECT_NE(find(ops, sys::OpKind::ReadOnlySelf, p), nullptr) << p;
    }
    // Masks come after the mount they hide part of.
    size_t proc_at = 0, kcore_at = 0;
    for (size_t i = 0; i < ops.size(); i++) {
        if (ops.ops()[i].kind == sys::OpKind::NewMount && ops.ops()[i].b == "proc") proc_at = i;
        if (ops.ops()[i].kind == sys::OpKind::Mask && ops.ops()[i].b == "proc/kcore") kcore_at = i;
    }
    EXPECT_GT(kcore_at, proc_at);
    // An image brings its own /etc: no host secrets to hide there.
    c.image = "/srv/rootfs";
    EXPECT_EQ(find(plan(c), sys::OpKind::Mask, "etc/shadow"), nullptr);
}

TEST_F(PlanFixture, ProcMountUnmaskedKeepsSysMasks) {
    spec::Container c;
    c.name = "app";
    c.security.proc_mount = spec::ProcMount::Unmasked;
    auto ops = plan(c);
    EXPECT_EQ(find(ops, sys::OpKind::Mask, "proc/kcore"), nullptr);
    EXPECT_EQ(count_kind(ops, sys::OpKind::ReadOnlySelf), 0u);
    EXPECT_NE(find(ops, sys::OpKind::Mask, "sys/firmware"), nullptr);
}

TEST_F(PlanFixture, PrivilegedHasNoMasksWritableSysAndHostDev) {
    spec::Container c;
    c.name = "app";
    c.security.privileged = true;
    auto ops = plan(c);
    EXPECT_EQ(count_kind(ops, sys::OpKind::Mask), 0u);
    EXPECT_EQ(count_kind(ops, sys::OpKind::ReadOnlySelf), 0u);
    const sys::Op* sysfs = find(ops, sys::OpKind::NewMount, "sys");
    ASSERT_NE(sysfs, nullptr);
    EXPECT_FALSE(sysfs->attr & sys::kAttrRdonly);
    const sys::Op* dev = find(ops, sys::OpKind::Bind, "dev");
    ASSERT_NE(dev, nullptr);
    EXPECT_EQ(dev->a, "/dev");
    EXPECT_TRUE(dev->flags & MS_REC);
}

TEST_F(PlanFixture, ReadOnlyRootFilesystemSetsTheRootMountOnly) {
    spec::Container c;
    c.name = "app";
    EXPECT_EQ(count_kind(plan(c), sys::OpKind::SetAttr), 0u);
    c.security.read_only_root_filesystem = true;
    auto ops = plan(c);
    const sys::Op* ro = nullptr;
    for (const auto& op : ops.ops()) {
        if (op.kind == sys::OpKind::SetAttr && op.b.empty()) ro = &op;
    }
    ASSERT_NE(ro, nullptr);
    EXPECT_EQ(ro->in, 0);
    EXPECT_EQ(ro->attr, sys::kAttrRdonly);
    EXPECT_FALSE(ro->flags & MS_REC);  // volumes keep their own mode
}

TEST_F(PlanFixture, NoPivotMakesRootAMountFirst) {
    sb.no_pivot = true;
    spec::Container c;
    c.name = "app";
    auto ops = plan(c);
    // Right after the unshare: "/" bound onto itself, entered through "/..", chroot'ed into.
    ASSERT_GE(ops.size(), 5u);
    EXPECT_EQ(ops.ops()[1].kind, sys::OpKind::Unshare);
    EXPECT_EQ(ops.ops()[2].kind, sys::OpKind::Mount);
    EXPECT_EQ(ops.ops()[2].a, "/");
    EXPECT_EQ(ops.ops()[2].b, "/");
    EXPECT_EQ(ops.ops()[2].flags, uint64_t(MS_BIND | MS_REC));
    EXPECT_EQ(ops.ops()[3].kind, sys::OpKind::Chdir);
    EXPECT_EQ(ops.ops()[3].a, "/..");
    EXPECT_EQ(ops.ops()[4].kind, sys::OpKind::Chroot);
    // Then pivot_root as anywhere else (with the MS_MOVE fallback on EINVAL).
    EXPECT_EQ(ops.ops()[ops.size() - 2].kind, sys::OpKind::PivotRoot);
    EXPECT_EQ(ops.ops()[ops.size() - 2].flags, 0u);
    EXPECT_NE(ops.describe(ops.size() - 2).find("MS_MOVE"), std::string::npos);
}
