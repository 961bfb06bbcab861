// The container's filesystem as a list of ops (DESIGN.md section 5): its root (an
// image-less tmpfs with the host's system directories read-only, or an overlay of a rootfs
// directory), /proc, a minimal /dev, the pod's /dev/shm, /tmp, /sys, the pod's /etc files,
// volumes.
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "podrun/launcher/launcher.hpp"

namespace podrun::launcher {

using sys::Op;
using sys::OpKind;

namespace {

Op mkdir_op(const std::string& path, unsigned mode = 0755) {
    return Op{OpKind::MkdirP, path, "", "", "", 0, mode, -1, false, ""};
}
Op touch_op(const std::string& path) { return Op{OpKind::Touch, path, "", "", "", 0, 0644, -1, false, ""}; }
Op mount_op(const std::string& src, const std::string& dst, const std::string& type, unsigned long flags,
            const std::string& data, const std::string& why, bool optional = false) {
    return Op{OpKind::Mount, src, dst, type, data, flags, 0, -1, optional, why};
}
Op bind_op(const std::string& src, const std::string& dst, const std::string& why) {
    return mount_op(src, dst, "", MS_BIND | MS_REC, "", why);
}
Op readonly_op(const std::string& dst) {
    // A bind mount becomes read-only only by remounting it (mount(2), MS_REMOUNT|MS_BIND).
    return mount_op("", dst, "", MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, "", "read-only");
}

bool is_symlink(const std::string& p, std::string* target) {
    struct stat st;
    if (::lstat(p.c_str(), &st) < 0 || !S_ISLNK(st.st_mode)) return false;
    char buf[4096];
    ssize_t n = ::readlink(p.c_str(), buf, sizeof buf - 1);
    if (n < 0) return false;
    target->assign(buf, static_cast<size_t>(n));
    return true;
}

bool is_regular_or_special_file(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && !S_ISDIR(st.st_mode);
}

size_t depth(const std::string& p) { return static_cast<size_t>(std::count(p.begin(), p.end(), '/')); }

}  // namespace

std::string volume_source(const LaunchContext& ctx, const spec::Volume& v) {
    if (const auto* ed = std::get_if<spec::EmptyDirVolume>(&v.source)) {
        return ed->memory ? ctx.paths.memory_volume(v.name) : ctx.paths.disk_volume(v.name);
    }
    // configMap and secret volumes are written on the pod's memory tmpfs (volumes/data_volume.hpp).
    if (std::holds_alternative<spec::ObjectVolume>(v.source)) return ctx.paths.memory_volume(v.name);
    return std::get<spec::HostPathVolume>(v.source).path;
}

sys::OpList root_ops(const LaunchContext& ctx, const spec::Container& c) {
    sys::OpList ops;
    const std::string holder = ctx.paths.scratch() + "/roots/" + c.name;
    ops.add(mkdir_op(holder, 0700));
    ops.add(Op{OpKind::Unshare, "CLONE_NEWNS|CLONE_NEWCGROUP", "", "", "", CLONE_NEWNS | CLONE_NEWCGROUP, 0, -1, false,
               "the container's own mount namespace, and a cgroup namespace rooted at its leaf (as runc and crun do)"});
    ops.add(mount_op("tmpfs", holder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755",
                     "the container's root tmpfs; its writes vanish with the container"));
    std::string root = holder;
    bool etc_overlay = false;
    if (c.image) {
        // A rootfs directory is the read-only lower layer; the upper layer lives on the
        // container's own tmpfs, so writes vanish with this container instance.
        ops.add(mkdir_op(holder + "/upper"));
        ops.add(mkdir_op(holder + "/work"));
        ops.add(mkdir_op(holder + "/merged"));
        root = holder + "/merged";
        ops.add(mount_op("overlay", root, "overlay", 0,
                         "lowerdir=" + *c.image + ",upperdir=" + holder + "/upper,workdir=" + holder + "/work",
                         "overlay: image " + *c.image + " read-only below, a tmpfs upper above"));
    } else {
        for (const std::string d : {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc"}) {
            std::string host = "/" + d;
            std::string target;
            if (is_symlink(host, &target)) {
                // merged-/usr Debian: /bin -> usr/bin; keep the same shape.
                ops.add(Op{OpKind::Symlink, root + host, target, "", "", 0, 0, -1, false, ""});
            } else if (host == "/etc" && (::access("/etc/hostname", F_OK) != 0 || ::access("/etc/hosts", F_OK) != 0)) {
                // A bare root (e.g. a fresh debootstrap) lacks /etc/hosts: a read-only bind
                // would leave no file to mount the pod's over. An overlay with the host's /etc
                // below gives the mount points; it is made read-only after they are bound.
                etc_overlay = true;
                ops.add(mkdir_op(holder + "/.etc-upper"));
                ops.add(mkdir_op(holder + "/.etc-work"));
                ops.add(mkdir_op(root + host));
                ops.add(mount_op("overlay", root + host, "overlay", 0,
                                 "lowerdir=/etc,upperdir=" + holder + "/.etc-upper,workdir=" + holder + "/.etc-work",
                                 "host /etc below a throw-away upper layer (the host lacks /etc/hosts or /etc/hostname)"));
            } else if (::access(host.c_str(), F_OK) == 0) {
                ops.add(mkdir_op(root + host));
                ops.add(bind_op(host, root + host, "host " + host + " for host programs"));
                ops.add(readonly_op(root + host));
            }
        }
    }
    // /proc of the pod's (or the container's own) pid namespace.
    ops.add(mkdir_op(root + "/proc"));
    ops.add(mount_op("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "", "procfs"));
    // A minimal /dev, as the OCI runtime spec lists it.
    ops.add(mkdir_op(root + "/dev"));
    ops.add(mount_op("tmpfs", root + "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k", "/dev"));
    for (const std::string d : {"null", "zero", "full", "random", "urandom", "tty"}) {
        ops.add(touch_op(root + "/dev/" + d));
        ops.add(bind_op("/dev/" + d, root + "/dev/" + d, "device /dev/" + d + " from the host"));
    }
    ops.add(Op{OpKind::Symlink, root + "/dev/fd", "/proc/self/fd", "", "", 0, 0, -1, false, ""});
    ops.add(Op{OpKind::Symlink, root + "/dev/stdin", "/proc/self/fd/0", "", "", 0, 0, -1, false, ""});
    ops.add(Op{OpKind::Symlink, root + "/dev/stdout", "/proc/self/fd/1", "", "", 0, 0, -1, false, ""});
    ops.add(Op{OpKind::Symlink, root + "/dev/stderr", "/proc/self/fd/2", "", "", 0, 0, -1, false, ""});
    ops.add(Op{OpKind::Symlink, root + "/dev/ptmx", "pts/ptmx", "", "", 0, 0, -1, false, ""});
    ops.add(mkdir_op(root + "/dev/pts"));
    ops.add(mount_op("devpts", root + "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                     "newinstance,ptmxmode=0666,mode=0620", "a private devpts instance"));
    ops.add(mkdir_op(root + "/dev/shm"));
    if (ctx.sandbox.ns.ipc) {
        ops.add(mount_op(ctx.paths.shm_dir(), root + "/dev/shm", "", MS_BIND, "",
                         "the pod's /dev/shm, shared by its containers as containerd and CRI-O do"));
    } else {
        ops.add(bind_op("/dev/shm", root + "/dev/shm", "the host's /dev/shm (hostIPC)"));
    }
    ops.add(mkdir_op(root + "/dev/mqueue"));
    ops.add(mount_op("mqueue", root + "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, "",
                     "POSIX message queues of the pod's ipc namespace", true));
    ops.add(mkdir_op(root + "/sys"));
    ops.add(mount_op("sysfs", root + "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "",
                     "sysfs, read-only", true));
    ops.add(mount_op("cgroup2", root + "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "",
                     "cgroup2, read-only, rooted at the container's leaf by its cgroup namespace", true));
    if (!c.image) {
        // /tmp is part of the container's writable root, as in an image (Kubernetes mounts
        // nothing there); with an image, the image's own /tmp is used.
        ops.add(mkdir_op(root + "/tmp"));
        ops.add(Op{OpKind::Chmod, root + "/tmp", "", "", "", 0, 01777, -1, false, "/tmp: sticky, world-writable"});
    }
    // The pod's /etc/hostname and /etc/hosts, as the kubelet bind-mounts them.
    ops.add(mkdir_op(root + "/etc"));
    for (const std::string f : {"hostname", "hosts"}) {
        ops.add(touch_op(root + "/etc/" + f));
        ops.add(bind_op(ctx.paths.etc_dir() + "/" + f, root + "/etc/" + f, "the pod's /etc/" + f));
    }
    if (etc_overlay) ops.add(readonly_op(root + "/etc"));
    // Volumes, parents before children.
    std::vector<spec::VolumeMount> mounts = c.volume_mounts;
    std::stable_sort(mounts.begin(), mounts.end(),
                     [](const auto& a, const auto& b) { return depth(a.mount_path) < depth(b.mount_path); });
    for (const auto& m : mounts) {
        auto v = std::find_if(ctx.pod.volumes.begin(), ctx.pod.volumes.end(),
                              [&](const spec::Volume& x) { return x.name == m.name; });
        if (v == ctx.pod.volumes.end()) continue;  // the validator rejects this
        std::string src = volume_source(ctx, *v);
        // A configMap/secret volume is written later, by pause's child: its model says
        // which subPath is a file.
        const auto* ov = std::get_if<spec::ObjectVolume>(&v->source);
        if (!m.sub_path.empty()) {
            src += "/" + m.sub_path;
            // Kubernetes creates a missing subPath as a directory.
            if (!ov && !is_regular_or_special_file(src)) ops.add(mkdir_op(src, 0777));
        }
        const bool is_file = ov ? std::any_of(ov->files.begin(), ov->files.end(),
                                              [&](const spec::DataFile& f) { return f.path == m.sub_path; })
                                : is_regular_or_special_file(src);
        std::string dst = root + m.mount_path;
        ops.add(is_file ? touch_op(dst) : mkdir_op(dst));
        ops.add(bind_op(src, dst, "volume \"" + m.name + "\" at " + m.mount_path + (m.read_only ? " (readOnly)" : "")));
        // configMap and secret volumes are always read-only, as the kubelet mounts them.
        if (m.read_only || std::holds_alternative<spec::ObjectVolume>(v->source)) ops.add(readonly_op(dst));
    }
    if (!c.working_dir.empty()) ops.add(mkdir_op(root + c.working_dir));
    ops.add(Op{OpKind::Chdir, root, "", "", "", 0, 0, -1, false, ""});
    if (ctx.sandbox.ns.chrooted) {
        ops.add(Op{OpKind::Chroot, ".", "", "", "", 0, 0, -1, false,
                   "\"/\" is not a mount point (podrun runs in a chroot), so pivot_root(2) cannot be used"});
    } else {
        ops.add(Op{OpKind::PivotRoot, root, "", "", "", 0, 0, -1, false,
                   "pivot_root(\".\", \".\") then detach the old root: the container sees only its tree"});
    }
    ops.add(Op{OpKind::Chdir, c.working_dir.empty() ? "/" : c.working_dir, "", "", "", 0, 0, -1, false, "workingDir"});
    return ops;
}

}  // namespace podrun::launcher
