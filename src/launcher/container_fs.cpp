// The container's filesystem as a list of ops (DESIGN.md section 5): its root (an
// image-less tmpfs with the host's system directories read-only, or an overlay of a rootfs
// directory), /proc with its masks, a minimal /dev, the pod's /dev/shm, /tmp, /sys, the
// pod's /etc files, volumes. Every path inside the root is resolved with the root as "/"
// (slot kRoot, RESOLVE_IN_ROOT) and a subPath beneath its volume (RESOLVE_BENEATH), and
// every mount is made through an fd (sys/mount.hpp): a symlink in an image or a volume
// cannot send a mount, or a file podrun creates, outside.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string_view>

#include "podrun/launcher/launcher.hpp"
#include "podrun/spec/env.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/mount.hpp"

namespace podrun::launcher {

using sys::Op;
using sys::OpKind;

namespace {

// Slots of the container's ops: its root, a volume, a subPath inside it.
constexpr int kRoot = 0, kVolume = 1, kSubPath = 2, kRealRoot = 3;

using sys::kCloneNewcgroup;
using sys::kCloneNewns;
using sys::kMsNodev;
using sys::kMsNosuid;
constexpr unsigned long kRec = sys::kMsRec;  // for Bind and SetAttr ops: recursive

Op plain(OpKind k, const std::string& a, const std::string& why = "") {
    return Op{k, a, "", "", "", 0, 0755, -1, false, why};
}
Op in_root(OpKind k, const std::string& a, unsigned mode = 0755, const std::string& why = "") {
    Op op{k, a, "", "", "", 0, mode, -1, false, why};
    op.in = kRoot;
    op.in_name = "<root>";
    return op;
}
Op mkdir_in(const std::string& rel, unsigned mode = 0755) {
    return in_root(OpKind::MkdirP, rel, mode);
}
Op new_mount(const std::string& fstype, const std::string& rel, uint64_t attr,
             std::vector<std::pair<std::string, std::string>> options, const std::string& why) {
    Op op = in_root(OpKind::NewMount, "", 0, why);
    op.c = fstype;
    op.b = rel;
    op.attr = attr;
    op.options = std::move(options);
    return op;
}
// A bind of the host path src (a podrun path, or one the manifest names) onto rel, made
// first as a file or a directory like the source.
Op bind_in(const std::string& src, const std::string& rel, bool recursive, uint64_t attr, const std::string& why) {
    Op op = in_root(OpKind::Bind, src, 0, why);
    op.b = rel;
    op.flags = recursive ? kRec : 0;
    op.attr = attr;
    op.make_target = true;
    return op;
}
Op mask_in(const std::string& rel, const std::string& why) {
    Op op = in_root(OpKind::Mask, "", 0, why);
    op.b = rel;
    return op;
}

constexpr uint64_t kNoSuidDevExec = sys::kAttrNosuid | sys::kAttrNodev | sys::kAttrNoexec;

size_t depth(const std::string& p) {
    return static_cast<size_t>(std::count(p.begin(), p.end(), '/'));
}

// overlayfs is what makes the host's system directories read-only for good (below).
bool overlay_available() {
    static const bool yes =
        sys::try_read_file("/proc/filesystems").value_or("").find("\toverlay\n") != std::string::npos;
    return yes;
}

// The image's overlay on holder/merged: its layer directories (or a rootfs directory) read-only
// below, top first; the upper and work dirs on the container's own tmpfs, so writes vanish
// with this container instance. A "lowerdir=a:b:c" string must fit one page of mount data
// (about 38 of the store's paths), so the layers go to the kernel one by one where it takes
// them so (fsconfig "lowerdir+", Linux 6.8), else as short links made on the tmpfs
// (holder/l/N -> the layer) and named relative to holder, as containers/storage does.
// PODRUN_TEST_OVERLAY_LINKS=1 forces the links, for tests (docs/images.md).
// A rootfs directory (`image: /abs/path`) is one lower layer: a plain lowerdir string.
void add_image_root(sys::OpList& ops, const spec::Container& c, const std::string& holder) {
    const std::string merged = holder + "/merged";
    ops.add(plain(OpKind::MkdirP, holder + "/upper"));
    ops.add(plain(OpKind::MkdirP, holder + "/work"));
    ops.add(plain(OpKind::MkdirP, merged));
    if (c.image_layers.empty()) {
        ops.add(Op{OpKind::Mount, "overlay", merged, "overlay",
                   "lowerdir=" + *c.image + ",upperdir=" + holder + "/upper,workdir=" + holder + "/work", kMsNodev, 0,
                   -1, false, "overlay (nodev): image " + *c.image + " read-only below, a tmpfs upper above"});
        return;
    }
    const std::vector<std::string>& lowers = c.image_layers;
    const std::string what = "overlay (nodev): image " + *c.image + " (" + std::to_string(lowers.size()) +
                             (lowers.size() == 1 ? " layer" : " layers") + ") read-only below, a tmpfs upper above";
    const char* force = std::getenv("PODRUN_TEST_OVERLAY_LINKS");
    const bool links = force != nullptr && std::string_view(force) == "1";
    if (!links && sys::overlay_takes_lowerdir_plus()) {
        std::vector<std::pair<std::string, std::string>> opts;
        for (const auto& l : lowers) opts.emplace_back("lowerdir+", l);
        opts.emplace_back("upperdir", holder + "/upper");
        opts.emplace_back("workdir", holder + "/work");
        Op op = plain(OpKind::NewMount, "", what + "; each layer its own fsconfig \"lowerdir+\"");
        op.c = "overlay";
        op.b = merged;
        op.attr = sys::kAttrNodev;
        op.options = std::move(opts);
        ops.add(op);
        return;
    }
    ops.add(plain(OpKind::MkdirP, holder + "/l"));
    std::string lowerdir;
    for (size_t i = 0; i < lowers.size(); ++i) {
        const std::string name = "l/" + std::to_string(i);
        ops.add(Op{OpKind::Symlink, holder + "/" + name, lowers[i], "", "", 0, 0, -1, false,
                   "a short link to layer " + std::to_string(i) + " (top first), keeping lowerdir under a page"});
        lowerdir += (i ? ":" : "") + name;
    }
    ops.add(plain(OpKind::Chdir, holder, "lowerdir names the links relative to the container's tmpfs"));
    ops.add(Op{OpKind::Mount, "overlay", merged, "overlay", "lowerdir=" + lowerdir + ",upperdir=upper,workdir=work",
               kMsNodev, 0, -1, false, what});
}

// The host's secrets an image-less container would otherwise read through /etc.
std::vector<std::string> host_secrets() {
    std::vector<std::string> out{"/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-"};
    if (sys::is_dir("/etc/ssh")) {
        for (const auto& n : sys::list_dir("/etc/ssh")) {
            if (n.rfind("ssh_host_", 0) == 0) out.push_back("/etc/ssh/" + n);
        }
    }
    return out;
}

// Image-less: the host's /usr, /bin, /sbin, /lib*, /etc, read-only for good: an overlay
// whose only layers are the host directory and an empty one has a read-only superblock, so
// even `mount -o remount,bind,rw` (with CAP_SYS_ADMIN) cannot make a write reach the host.
// Without overlayfs, a recursive read-only bind (mount_setattr). Returns whether /etc got a
// throw-away upper layer (the host lacks /etc/hostname or /etc/hosts to mount over).
bool add_host_dirs(sys::OpList& ops, const LaunchContext& ctx, const std::string& holder) {
    bool etc_upper = false;
    const bool overlay = overlay_available();
    // The second, empty layer: pause's root, an empty directory of the pod's scratch.
    const std::string empty = ctx.paths.scratch() + sandbox::kPauseRoot;
    for (const std::string d : {"usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc"}) {
        const std::string host = "/" + d;
        if (auto target = sys::symlink_target(host)) {
            // merged-/usr Debian: /bin -> usr/bin; keep the same shape.
            Op op = in_root(OpKind::Symlink, d);
            op.b = *target;
            ops.add(op);
            continue;
        }
        if (!sys::is_dir(host)) continue;
        ops.add(mkdir_in(d));
        if (host == "/etc" &&
            (!sys::exists("/etc/hostname") || !sys::exists("/etc/hosts") || !sys::exists("/etc/resolv.conf"))) {
            // A bare root (a fresh debootstrap) lacks /etc/hosts: no file to mount the pod's
            // (or /etc/resolv.conf) over. The host's /etc below a throw-away upper layer gives the mount points;
            // it is made read-only once they are bound.
            etc_upper = true;
            ops.add(plain(OpKind::MkdirP, holder + "/.etc-upper"));
            ops.add(plain(OpKind::MkdirP, holder + "/.etc-work"));
            ops.add(new_mount(
                "overlay", d, sys::kAttrNodev,
                {{"lowerdir", "/etc"}, {"upperdir", holder + "/.etc-upper"}, {"workdir", holder + "/.etc-work"}},
                "host /etc below a throw-away upper layer (the host lacks /etc/hosts, /etc/hostname or "
                "/etc/resolv.conf)"));
        } else if (overlay) {
            ops.add(new_mount("overlay", d, sys::kAttrRdonly | sys::kAttrNodev, {{"lowerdir", host + ":" + empty}},
                              "host " + host +
                                  " for host programs: an overlay without an upper layer is read-only "
                                  "whatever the mount flags say (a remount,rw cannot reach the host)"));
        } else {
            ops.add(bind_in(host, d, true, sys::kAttrRdonly | sys::kAttrNodev,
                            "host " + host + " for host programs, read-only recursively (no overlayfs here)"));
        }
    }
    return etc_upper;
}

void add_dev(sys::OpList& ops, const LaunchContext& ctx, bool privileged) {
    ops.add(mkdir_in("dev"));
    if (privileged) {
        ops.add(bind_in("/dev", "dev", true, 0, "privileged: the host's devices"));
    } else {
        // A minimal /dev, as the OCI runtime spec lists it.
        ops.add(new_mount("tmpfs", "dev", sys::kAttrNosuid | sys::kAttrStrictatime,
                          {{"mode", "755"}, {"size", "65536k"}}, "/dev"));
        for (const std::string d : {"null", "zero", "full", "random", "urandom"}) {
            ops.add(bind_in("/dev/" + d, "dev/" + d, false, 0, "device /dev/" + d + " from the host"));
        }
        // A node of its own, not the host's /dev/tty: it names the opener's controlling
        // terminal, which a container (its own session) has only under `exec -t`.
        Op tty = in_root(OpKind::Mknod, "dev/tty", S_IFCHR | 0666, "/dev/tty (5:0), the process's own terminal");
        tty.flags = makedev(5, 0);
        ops.add(tty);
        for (const auto& [name, target] :
             std::vector<std::pair<std::string, std::string>>{{"fd", "/proc/self/fd"},
                                                              {"stdin", "/proc/self/fd/0"},
                                                              {"stdout", "/proc/self/fd/1"},
                                                              {"stderr", "/proc/self/fd/2"},
                                                              {"ptmx", "pts/ptmx"}}) {
            Op op = in_root(OpKind::Symlink, "dev/" + name);
            op.b = target;
            ops.add(op);
        }
    }
    ops.add(mkdir_in("dev/pts"));
    ops.add(new_mount("devpts", "dev/pts", sys::kAttrNosuid | sys::kAttrNoexec,
                      {{"newinstance", ""}, {"ptmxmode", "0666"}, {"mode", "0620"}}, "a private devpts instance"));
    ops.add(mkdir_in("dev/shm"));
    if (ctx.sandbox.ns.ipc) {
        ops.add(bind_in(ctx.paths.shm_dir(), "dev/shm", false, 0,
                        "the pod's /dev/shm, shared by its containers as containerd and CRI-O do"));
    } else {
        ops.add(bind_in("/dev/shm", "dev/shm", true, 0, "the host's /dev/shm (hostIPC)"));
    }
    ops.add(mkdir_in("dev/mqueue"));
    Op mq = new_mount("mqueue", "dev/mqueue", kNoSuidDevExec, {}, "POSIX message queues of the pod's ipc namespace");
    mq.optional = true;  // kernels without CONFIG_POSIX_MQUEUE
    ops.add(mq);
}

// /proc and /sys with the masks of containerd and CRI-O (DESIGN.md section 9).
void add_proc_sys(sys::OpList& ops, const spec::SecurityContext& sec) {
    const bool mask_proc = !sec.privileged && sec.proc_mount == spec::ProcMount::Default;
    ops.add(mkdir_in("proc"));
    ops.add(new_mount("proc", "proc", kNoSuidDevExec, {}, "procfs"));
    if (mask_proc) {
        for (const std::string p :
             {"acpi", "asound", "kcore", "keys", "latency_stats", "timer_list", "timer_stats", "sched_debug", "scsi"}) {
            ops.add(mask_in("proc/" + p, "masked, as containerd and CRI-O do (procMount: Unmasked lifts it)"));
        }
        for (const std::string p : {"bus", "fs", "irq", "sys", "sysrq-trigger"}) {
            Op op = in_root(OpKind::ReadOnlySelf, "", 0, "read-only: the host's settings are not the container's");
            op.b = "proc/" + p;
            ops.add(op);
        }
    }
    const uint64_t ro = sec.privileged ? 0 : sys::kAttrRdonly;
    ops.add(mkdir_in("sys"));
    ops.add(new_mount("sysfs", "sys", kNoSuidDevExec | ro, {},
                      sec.privileged ? "sysfs (privileged: writable)" : "sysfs, read-only"));
    ops.add(new_mount("cgroup2", "sys/fs/cgroup", kNoSuidDevExec | ro, {},
                      "cgroup2, rooted at the container's leaf by its cgroup namespace" +
                          std::string(sec.privileged ? " (privileged: writable)" : ", read-only")));
    if (!sec.privileged) {
        ops.add(mask_in("sys/firmware", "masked, as containerd and CRI-O do"));
        ops.add(mask_in("sys/devices/virtual/powercap", "masked (RAPL energy counters leak what other tenants run)"));
    }
}

// subPathExpr as the kubelet expands it: $(VAR) against the container's environment, then
// the expanded path held to a subPath's rules (relative, no '..'); a bad one fails the start
// with CreateContainerConfigError, as the kubelet reports it.
std::string expanded_sub_path(const LaunchContext& ctx, const spec::Container& c, const spec::VolumeMount& m) {
    const std::string sub = spec::expand(m.sub_path_expr, spec::container_env(ctx.pod, c, ctx.info));
    bool dotdot = false;
    for (size_t at = 0; at <= sub.size();) {
        size_t end = sub.find('/', at);
        if (end == std::string::npos) end = sub.size();
        if (sub.compare(at, end - at, "..") == 0 && end - at == 2) dotdot = true;
        at = end + 1;
    }
    if (sub.empty() || sub.front() == '/' || dotdot)
        throw sys::SysError(EINVAL, "CreateContainerConfigError: container \"" + c.name + "\": volumeMount \"" +
                                        m.name + "\" at " + m.mount_path + ": subPathExpr \"" + m.sub_path_expr +
                                        "\" expands to \"" + sub + "\", which must be a relative path without '..'");
    return sub;
}

void add_volumes(sys::OpList& ops, const LaunchContext& ctx, const spec::Container& c) {
    // Parents before children; each subPathExpr expanded into its subPath.
    std::vector<spec::VolumeMount> mounts = c.volume_mounts;
    for (auto& m : mounts)
        if (!m.sub_path_expr.empty()) m.sub_path = expanded_sub_path(ctx, c, m);
    std::stable_sort(mounts.begin(), mounts.end(),
                     [](const auto& a, const auto& b) { return depth(a.mount_path) < depth(b.mount_path); });
    for (const auto& m : mounts) {
        auto v = std::find_if(ctx.pod.volumes.begin(), ctx.pod.volumes.end(),
                              [&](const spec::Volume& x) { return x.name == m.name; });
        if (v == ctx.pod.volumes.end()) continue;  // the validator rejects this
        const std::string src = volume_source(ctx, *v);
        const bool empty_dir = std::holds_alternative<spec::EmptyDirVolume>(v->source);
        // A claim's readOnly makes every mount of it read-only; its files, like an
        // emptyDir's, are data, never device nodes.
        const auto* claim = std::get_if<spec::ClaimVolume>(&v->source);
        // configMap, secret, downwardAPI and projected volumes are always read-only, as the
        // kubelet mounts them; their files were written by pause's child (volumes/data_volume.hpp).
        const bool object = std::holds_alternative<spec::ObjectVolume>(v->source) ||
                            std::holds_alternative<spec::ProjectedVolume>(v->source);
        uint64_t attr = (m.read_only || object || (claim && claim->read_only) ? sys::kAttrRdonly : 0) |
                        (empty_dir || object || claim ? sys::kAttrNodev : 0);
        const std::string what = "volume \"" + m.name + "\" at " + m.mount_path + (m.read_only ? " (readOnly)" : "");
        // mountPropagation: None makes the copy private; HostToContainer leaves it a slave of
        // the host's mount (when that one is shared), so later host mounts under it show.
        const uint64_t propagation = m.host_to_container ? sys::kMsSlave : sys::kMsPrivate;
        const std::string prop = m.host_to_container ? ", mountPropagation HostToContainer" : "";
        if (m.sub_path.empty()) {
            Op b = bind_in(src, m.mount_path, true, attr, what + (attr ? ", " + sys::attr_names(attr) : "") + prop);
            b.propagation = propagation;
            ops.add(b);
            continue;
        }
        // The subPath is opened beneath its volume: a symlink in it that points out (an
        // init container's `ln -s / /data/evil`, CVE-2017-1002101) fails with EXDEV.
        Op vol = plain(OpKind::Open, src);
        vol.flags = O_PATH | O_DIRECTORY;
        vol.out = kVolume;
        ops.add(vol);
        Op sub = plain(OpKind::Open, m.sub_path, "subPath, made as a directory if missing (as the kubelet does)");
        sub.in = kVolume;
        sub.in_name = src;
        sub.resolve = sys::kBeneath;
        sub.flags = O_PATH;
        sub.out = kSubPath;
        sub.mode = 0777;
        sub.make_target = !object;  // a configMap key is a file that exists, never a new directory
        sub.hint = "subPath \"" + m.sub_path + "\" of volume \"" + m.name +
                   "\" must resolve inside the volume; a symlink in it points outside";
        sub.hint_errno = EXDEV;
        ops.add(sub);
        Op b = bind_in(src + "/" + m.sub_path, m.mount_path, true, attr, what + " (subPath " + m.sub_path + ")" + prop);
        b.src = kSubPath;
        b.propagation = propagation;
        ops.add(b);
    }
}

}  // namespace

std::string volume_source(const LaunchContext& ctx, const spec::Volume& v) {
    if (const auto* ed = std::get_if<spec::EmptyDirVolume>(&v.source)) {
        return ed->memory ? ctx.paths.memory_volume(v.name) : ctx.paths.disk_volume(v.name);
    }
    // configMap, secret, downwardAPI and projected volumes are written on the pod's memory
    // tmpfs (volumes/data_volume.hpp).
    if (std::holds_alternative<spec::ObjectVolume>(v.source) || std::holds_alternative<spec::ProjectedVolume>(v.source))
        return ctx.paths.memory_volume(v.name);
    if (const auto* c = std::get_if<spec::ClaimVolume>(&v.source)) return ctx.paths.claim_dir(c->claim);
    return std::get<spec::HostPathVolume>(v.source).path;
}

sys::OpList container_fs_ops(const LaunchContext& ctx, const spec::Container& c) {
    const spec::SecurityContext& sec = c.security;
    sys::OpList ops;
    const std::string holder = ctx.paths.scratch() + "/roots/" + c.name;
    // Under a chroot the joiner left us at the mount namespace's real root, our cwd at
    // podrun's root: nothing may be made before we chroot there (below).
    const bool chrooted = ctx.sandbox.ns.chrooted;
    Op mk = plain(OpKind::MkdirP, holder);
    mk.mode = 0700;
    if (!chrooted) ops.add(mk);
    Op unshare = plain(OpKind::Unshare, "CLONE_NEWNS|CLONE_NEWCGROUP",
                       "the container's own mount namespace, and a cgroup namespace rooted at its leaf (as runc and "
                       "crun do)");
    unshare.flags = kCloneNewns | kCloneNewcgroup;
    ops.add(unshare);
    if (chrooted) {
        // pivot_root from inside a chroot would leave the host's tree above the new root
        // (the chroot directory has a parent, and /proc/PID/root/.. climbs there). Keep
        // the namespace's real root to pivot from, at the end.
        Op real = plain(OpKind::Open, "/", "the mount namespace's real root, to pivot_root from at the end");
        real.flags = O_PATH | O_DIRECTORY;
        real.out = kRealRoot;
        ops.add(real);
        ops.add(plain(OpKind::Chroot, ".", "into podrun's own root (our cwd) while the container's root is built"));
        ops.add(mk);
    } else if (ctx.sandbox.no_pivot) {
        sys::add_root_mount(ops);  // an initramfs: "/" made a mount pivot_root accepts
    }
    ops.add(Op{OpKind::Mount, "tmpfs", holder, "tmpfs", "mode=0755", kMsNosuid | kMsNodev, 0, -1, false,
               "the container's root tmpfs (nodev); its writes vanish with the container"});
    std::string root = holder;
    if (c.image) {
        root = holder + "/merged";
        add_image_root(ops, c, holder);
    }
    Op open_root = plain(OpKind::Open, root,
                         "the root, opened once: every path below is resolved in it (openat2 RESOLVE_IN_ROOT|"
                         "RESOLVE_NO_MAGICLINKS) and mounted on through an fd (move_mount)");
    open_root.flags = O_PATH | O_DIRECTORY;
    open_root.out = kRoot;
    ops.add(open_root);
    const bool etc_upper = c.image ? false : add_host_dirs(ops, ctx, holder);
    add_proc_sys(ops, sec);
    add_dev(ops, ctx, sec.privileged);
    if (!c.image) {
        // /tmp is part of the container's writable root, as in an image (Kubernetes mounts
        // nothing there); with an image, the image's own /tmp is used.
        ops.add(mkdir_in("tmp"));
        ops.add(in_root(OpKind::Chmod, "tmp", 01777, "/tmp: sticky, world-writable"));
    }
    // The pod's /etc/hostname, /etc/hosts and /etc/resolv.conf, as the kubelet bind-mounts
    // them (docs/network.md).
    ops.add(mkdir_in("etc"));
    for (const std::string f : {"hostname", "hosts", "resolv.conf"}) {
        ops.add(bind_in(ctx.paths.etc_dir() + "/" + f, "etc/" + f, false, 0, "the pod's /etc/" + f));
    }
    if (etc_upper) {
        Op ro = in_root(OpKind::SetAttr, "", 0, "the host's /etc (with its upper layer) read-only");
        ro.b = "etc";
        ro.attr = sys::kAttrRdonly;
        ops.add(ro);
    }
    if (!c.image && !sec.privileged) {
        for (const auto& s : host_secrets()) {
            ops.add(mask_in(s.substr(1), "the host's secrets are not the container's (image-less containers)"));
        }
    }
    add_volumes(ops, ctx, c);
    if (!c.working_dir.empty()) ops.add(mkdir_in(c.working_dir));
    if (sec.read_only_root_filesystem) {
        Op ro = in_root(OpKind::SetAttr, "", 0,
                        "readOnlyRootFilesystem: the root mount only (volumes, /dev, /proc keep their own mode)");
        ro.attr = sys::kAttrRdonly;
        ops.add(ro);
    }
    if (chrooted) {
        Op real = in_root(OpKind::Fchdir, "the real root");
        real.in = kRealRoot;
        real.in_name = "the mount namespace's real root";
        ops.add(real);
        ops.add(plain(OpKind::Chroot, ".", "back at the real root: pivot_root detaches everything but the new root"));
        Op cwd = in_root(OpKind::Fchdir, root);
        cwd.in_name = root;
        ops.add(cwd);
    } else {
        ops.add(plain(OpKind::Chdir, root));
    }
    ops.add(plain(OpKind::PivotRoot, root,
                  "pivot_root(\".\", \".\") then detach the old root: the container sees only its tree (where the "
                  "kernel still refuses it, EINVAL: mount(MS_MOVE) + chroot, as runc's --no-pivot)"));
    ops.add(plain(OpKind::Chdir, c.working_dir.empty() ? "/" : c.working_dir, "workingDir"));
    return ops;
}

}  // namespace podrun::launcher
