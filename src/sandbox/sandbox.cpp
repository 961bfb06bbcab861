// Starting pause in the pod's namespaces (see sandbox.hpp).
#include "podrun/sandbox/sandbox.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "podrun/explain.hpp"
#include "podrun/sys/child_steps.hpp"
#include "podrun/sys/confine.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/mount.hpp"
#include "podrun/sys/mounts.hpp"
#include "podrun/sys/op_list.hpp"
#include "podrun/volumes/data_volume.hpp"

namespace podrun::sandbox {

std::string find_pause_binary() {
    if (const char* p = std::getenv("PODRUN_PAUSE"); p && *p) return p;
    if (const std::string self = sys::self_exe(); !self.empty()) {
        std::string dir = self.substr(0, self.rfind('/'));
        for (const std::string& c : {dir + "/podrun-pause", dir + "/../libexec/podrun/podrun-pause"}) {
            if (::access(c.c_str(), X_OK) == 0) return c;
        }
    }
    throw sys::SysError(ENOENT, "find podrun-pause (looked next to the podrun binary; set PODRUN_PAUSE)");
}

namespace {

// The kubelet's hostAliases block of /etc/hosts ("" when there are none).
std::string host_aliases_block(const spec::Pod& pod) {
    if (pod.host_aliases.empty()) return "";
    std::string h = "\n# Entries added by HostAliases.\n";
    for (const auto& a : pod.host_aliases) {
        h += a.ip;
        for (const auto& n : a.hostnames) h += "\t" + n;
        h += "\n";
    }
    return h;
}

}  // namespace

std::string hosts_file(const spec::Pod& pod, const std::string& pod_ip, const std::string& host_internal_ip) {
    // The kubelet's managed hosts file: the pod's own address (loopback when it has no
    // other, docs/manifest.md status.podIP) names its hostname; then hostAliases.
    std::string h =
        "# Kubernetes-managed hosts file (podrun).\n"
        "127.0.0.1\tlocalhost\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "fe00::0\tip6-mcastprefix\n"
        "fe00::1\tip6-allnodes\n"
        "fe00::2\tip6-allrouters\n";
    if (!pod.host_network) h += pod_ip + "\t" + pod.effective_hostname() + "\n";
    if (!host_internal_ip.empty()) {
        h += "\n# podrun: the host's own loopback, through pasta's gateway (docs/network.md).\n" + host_internal_ip +
             "\thost.podrun.internal\n";
    }
    return h + host_aliases_block(pod);
}

namespace {

// The pod's /etc/hostname and /etc/hosts, as the kubelet writes them: in the pod's scratch
// tmpfs, so they cost no disk writes and vanish with the pod's mount namespace.
void add_etc_files(sys::OpList& ops, const spec::Pod& pod, const state::PodPaths& paths, const SandboxOptions& opts) {
    using sys::Op;
    using sys::OpKind;
    std::string hostname = pod.effective_hostname();
    if (pod.host_network) {
        char buf[256] = {};
        ::gethostname(buf, sizeof buf - 1);
        hostname = buf;
    }
    std::string hosts = hosts_file(pod, opts.pod_ip, opts.host_internal_ip);
    if (pod.host_network) {
        // The host's own file, with the hostAliases added as the kubelet adds them.
        hosts = sys::try_read_file("/etc/hosts").value_or("") + host_aliases_block(pod);
    }
    ops.add(Op{OpKind::Mkdir, paths.etc_dir(), "", "", "", 0, 0755, -1, false, ""});
    ops.add(Op{OpKind::CreateFile, paths.etc_dir() + "/hostname", "", "", hostname + "\n", 0, 0644, -1, false,
               "the pod's /etc/hostname, bound into each container"});
    ops.add(Op{OpKind::CreateFile, paths.etc_dir() + "/hosts", "", "", hosts, 0, 0644, -1, false,
               "the pod's /etc/hosts (the kubelet's), bound into each container"});
    ops.add(Op{OpKind::CreateFile, paths.etc_dir() + "/resolv.conf", "", "", opts.resolv_conf, 0, 0644, -1, false,
               "the pod's /etc/resolv.conf (dnsPolicy, dnsConfig), bound into each container"});
}

// /proc/sys/<name with dots as slashes>, as the kubelet's runtime writes a sysctl.
std::string sysctl_path(const std::string& name) {
    std::string p = "/proc/sys/" + name;
    for (size_t i = 10; i < p.size(); i++) {
        if (p[i] == '.') p[i] = '/';
    }
    return p;
}

// The namespace a namespaced sysctl belongs to; refused when the pod shares the host's,
// where writing it would change the host (the validator checks the names, not the
// namespaces the pod ends up with).
void check_sysctls(const spec::Pod& pod, const namespaces::PodNamespaces& ns) {
    for (const auto& sc : pod.security.sysctls) {
        const bool net = sc.name.rfind("net.", 0) == 0;
        if (net && !ns.net) {
            throw sys::SysError(EINVAL, "spec.securityContext.sysctls: \"" + sc.name +
                                            "\" would change the host's network namespace (hostNetwork: true); "
                                            "remove it or hostNetwork");
        }
        if (!net && !ns.ipc) {
            throw sys::SysError(EINVAL, "spec.securityContext.sysctls: \"" + sc.name +
                                            "\" would change the host's IPC namespace (hostIPC: true); remove it "
                                            "or hostIPC");
        }
    }
}

// The pod-wide steps pause's child takes before exec, in order. sock: the supervisor's end
// of the socket that receives the pod's mount namespace (and, chrooted, our root).
sys::OpList pod_setup_ops(const spec::Pod& pod, const state::PodPaths& paths, const namespaces::PodNamespaces& ns,
                          bool no_pivot, int sock, const SandboxOptions& opts) {
    using sys::Op;
    using sys::OpKind;
    sys::OpList ops;
    if (ns.chrooted) {
        // After a plain chroot(2), "/" is a directory, not a mount: the kernel cannot change
        // its propagation. Make every visible mount a slave instead; up() then checks that
        // nothing leaked through the invisible mount above "/".
        for (const auto& top : sys::top_mount_points()) {
            ops.add(Op{OpKind::Mount, "", top, "", "", sys::kMsRec | sys::kMsSlave, 0, -1, false,
                       "\"/\" is not a mount point (chroot): make each visible mount a slave instead"});
        }
    } else {
        // A slave, not private: the host's mounts still reach the pod (a hostPath volume with
        // mountPropagation: HostToContainer sees what the host mounts under it later, as
        // Kubernetes promises), while nothing mounted in the pod propagates back.
        ops.add(Op{OpKind::Mount, "", "/", "", "", sys::kMsRec | sys::kMsSlave, 0, -1, false,
                   "make the pod's mount tree a slave of the host's, recursively, so no mount leaks to the host"});
    }
    if (ns.pid) {
        ops.add(Op{OpKind::Mount, "proc", "/proc", "proc", "", sys::kMsNosuid | sys::kMsNodev | sys::kMsNoexec, 0, -1,
                   false, "a /proc of the pod's pid namespace"});
    }
    ops.add(Op{OpKind::Mount, "tmpfs", paths.scratch(), "tmpfs", "mode=0700", sys::kMsNosuid | sys::kMsNodev, 0, -1,
               false, "the pod's scratch tmpfs: container roots and memory emptyDirs, gone with the pod"});
    ops.add(Op{OpKind::Mkdir, paths.scratch() + "/roots", "", "", "", 0, 0700, -1, false, ""});
    ops.add(Op{OpKind::Mkdir, paths.scratch() + "/volumes", "", "", "", 0, 0755, -1, false, ""});
    add_etc_files(ops, pod, paths, opts);
    if (ns.ipc) {
        // One /dev/shm for the pod, as containerd and CRI-O give the containers of a pod
        // that share its IPC namespace: POSIX shared memory works between them as SysV does.
        ops.add(Op{OpKind::Mkdir, paths.shm_dir(), "", "", "", 0, 0755, -1, false, ""});
        ops.add(Op{OpKind::Mount, "shm", paths.shm_dir(), "tmpfs", "mode=1777,size=65536k",
                   sys::kMsNosuid | sys::kMsNodev | sys::kMsNoexec, 0, -1, false,
                   "the pod's /dev/shm (64 MiB, containerd's default), shared by its containers"});
    }
    const auto& fs_group = pod.security.fs_group;
    for (const auto& v : pod.volumes) {
        const auto* ed = std::get_if<spec::EmptyDirVolume>(&v.source);
        if (!ed || !ed->memory) continue;
        std::string dir = paths.memory_volume(v.name);
        ops.add(Op{OpKind::Mkdir, dir, "", "", "", 0, 0777, -1, false, ""});
        // fsGroup: the volume's group, group rwx and setgid, so files made in it get the
        // group too (the kubelet's SetVolumeOwnership).
        std::string data = fs_group ? "mode=2777,gid=" + std::to_string(*fs_group) : "mode=1777";
        if (ed->size_limit_bytes) data += ",size=" + std::to_string(*ed->size_limit_bytes);
        ops.add(Op{OpKind::Mount, "tmpfs", dir, "tmpfs", data, sys::kMsNosuid | sys::kMsNodev, 0, -1, false,
                   "emptyDir \"" + v.name + "\" (medium: Memory) as its own tmpfs" +
                       (fs_group ? "; fsGroup " + std::to_string(*fs_group) + ": its group, g+rwx, setgid" : "")});
    }
    volumes::add_data_volume_ops(ops, pod, paths);  // configMap, secret, downwardAPI, projected
    if (ns.uts) {
        ops.add(Op{OpKind::Sethostname, pod.effective_hostname(), "", "", "", 0, 0, -1, false,
                   "hostname = spec.hostname or metadata.name"});
    }
    if (ns.net) {
        ops.add(Op{OpKind::LoopbackUp, "", "", "", "", 0, 0, -1, false, "loopback up in the new net namespace"});
    }
    for (const auto& sc : pod.security.sysctls) {
        ops.add(Op{
            OpKind::WriteFile, sysctl_path(sc.name), "", "", sc.value, 0, 0, -1, false,
            "spec.securityContext.sysctls " + sc.name + "=" + sc.value + ", written inside the pod's own namespaces"});
    }
    // The pod's mount namespace goes to the supervisor, which keeps it for the pod's life;
    // pause then leaves it for a namespace of its own.
    ops.add(Op{OpKind::SendFd, "/proc/thread-self/ns/mnt", "", "", "", O_RDONLY, 0, sock, false,
               "the pod's mount namespace, held by the supervisor: containers join it, pause does not"});
    ops.add(Op{OpKind::SendFd, paths.etc_dir(), "", "", "", O_PATH | O_DIRECTORY, 0, sock, false,
               "the pod's /etc files' directory, held by the supervisor: /etc/hosts gets the pod's IP once the "
               "network has given it one (bridge)"});
    if (ns.chrooted) {
        ops.add(Op{OpKind::SendFd, "/", "", "", "", O_PATH | O_DIRECTORY, 0, sock, false,
                   "our root (a chroot) in that namespace, where containers go back after setns"});
    }
    const std::string pause_root = paths.scratch() + kPauseRoot;
    ops.add(Op{OpKind::Mkdir, pause_root, "", "", "", 0, 0555, -1, false, ""});
    ops.add(Op{OpKind::Unshare, "CLONE_NEWNS", "", "", "", sys::kCloneNewns, 0, -1, false,
               "pause's own mount namespace (a copy; the pod's stays with the supervisor)"});
    const uint64_t ro = sys::kAttrRdonly | sys::kAttrNosuid | sys::kAttrNodev | sys::kAttrNoexec;
    if (no_pivot) {
        // A chroot or an initramfs: pivot_root would leave the host's tree above pause's
        // root (a chroot directory has a parent). A detached copy has none.
        Op tree{OpKind::ChrootTree,
                pause_root,
                "",
                "",
                "",
                0,
                0,
                -1,
                false,
                "pause's root: a detached read-only copy of an empty directory of the pod's scratch (no "
                "pivot_root here: a chroot or an initramfs); nothing is above it, so /proc/1/root/.. stays there"};
        tree.attr = ro;
        ops.add(tree);
        return ops;
    }
    Op self{OpKind::Bind,
            pause_root,
            pause_root,
            "",
            "",
            0,
            0,
            -1,
            false,
            "pause's root: an empty directory of the pod's scratch, read-only, as Kubernetes' pause runs in "
            "its own tiny image"};
    self.attr = ro;
    ops.add(self);
    ops.add(Op{OpKind::Chdir, pause_root, "", "", "", 0, 0, -1, false, ""});
    ops.add(Op{OpKind::PivotRoot, pause_root, "", "", "", 0, 0, -1, false,
               "the host's tree is detached from pause's namespace: /proc/1/root shows an empty directory"});
    return ops;
}

// What pause's child needs before exec; it runs in our memory (sys::clone3_run) and only
// reads this.
struct PauseSetup {
    int supervisor_pidfd;  // >= 0: die with the supervisor
    const sys::OpList* ops;
    const sys::ExecPlan* exec;
    int report;  // write end of the report pipe
    const sys::StartHere* placement;
};

// Child, PID 1 of the new namespaces, before exec: raw syscalls only.
int pause_main(void* arg) noexcept {
    const PauseSetup& p = *static_cast<const PauseSetup*>(arg);
    // pause needs no privilege once it runs: with no capability at all it is a process a
    // container may look at (/proc/1/ns, /proc/1/root), as the Kubernetes pause container
    // is, and one that gives nothing to a container that attaches to it (docs/security.md).
    static const sys::ChildConfinement kPauseConfinement{};
    sys::child_setup_and_exec(p.report, p.supervisor_pidfd, *p.ops, *p.exec, 125, p.placement, &kPauseConfinement);
}

}  // namespace

// pause's cgroup leaf beside the containers' leaves: '_' is in no DNS-1123 label, so no
// container (which may well be named "pause", as in Kubernetes) can share it.
constexpr const char* kPauseLeaf = "_pause";

Sandbox start(const spec::Pod& pod, const state::PodPaths& paths, const cgroup::PodTree& cg,
              const SandboxOptions& opts) {
    Sandbox sb;
    sb.ns = namespaces::PodNamespaces::for_pod(pod);
    sb.ns.chrooted = !sys::root_is_mount_point();
    sb.no_pivot = sb.ns.chrooted || sys::root_is_rootfs();
    check_sysctls(pod, sb.ns);
    if (sb.no_pivot) {
        explain("sandbox", std::string("no pivot_root: ") +
                               (sb.ns.chrooted ? "\"/\" is not a mount point (podrun runs in a chroot)"
                                               : "\"/\" is the initial rootfs (an initramfs)") +
                               (sb.ns.chrooted ? "; containers pivot_root from the mount namespace's real root "
                                                 "(kept as an fd), pause chroots into a detached copy of its root"
                                               : "; \"/\" is bound onto itself in each container's mount namespace "
                                                 "so that pivot_root works, pause chroots into a detached copy of its "
                                                 "root") +
                               " (a pivot_root that still fails with EINVAL: mount(MS_MOVE) + chroot, as runc's "
                               "--no-pivot)");
    }
    sys::SocketPair chan = sys::make_socketpair();
    sys::OpList ops = pod_setup_ops(pod, paths, sb.ns, sb.no_pivot, chan.b.get(), opts);
    sys::UniqueFd leaf = cg.make_leaf(kPauseLeaf);
    // pause's root holds no binaries: it is exec'd through an fd opened here.
    sys::UniqueFd pause_bin = sys::open_file(opts.pause_path, O_PATH);
    sys::ExecPlan exec({opts.pause_path}, {}, "");
    exec.exec_fd(pause_bin.get());
    sys::ReportPipe report = sys::ReportPipe::make();
    sys::UniqueFd self_pidfd = sys::pidfd_open(::getpid());

    uint64_t flags = sb.ns.clone_flags();
    std::optional<sys::StartHere> here(std::in_place);  // pause sets up on the CPU we sleep on
    if (here->active()) {
        explain("sandbox", "sched_setaffinity(0, {CPU " + std::to_string(here->cpu()) +
                               "})  (pause's child inherits it: it starts on the CPU we sleep on while it runs)");
    }
    explain("sandbox", "clone3(" + namespaces::flag_names(flags | sys::kClone3RunFlags | 0x200000000ULL) +
                           ", cgroup=" + cg.leaf_dir(kPauseLeaf) + ")  -> pause, PID 1 of the pod" +
                           (sys::kClone3RunFlags ? " (in our memory on a stack of its own until it execs)" : ""));
    for (size_t i = 0; i < ops.size(); i++) {
        explain("sandbox", "  pause, before exec: " + ops.describe(i) +
                               (ops.ops()[i].why.empty() ? "" : "  (" + ops.ops()[i].why + ")"));
    }
    if (here->active()) {
        explain("sandbox", "  pause, before exec: sched_setaffinity(0, every CPU but " + std::to_string(here->cpu()) +
                               "), then sched_setaffinity(0, the supervisor's CPUs)");
    }
    explain("sandbox",
            "  pause, before exec: setsid()  (a session of its own: a terminal's signals reach only "
            "podrun); close_range(3, ~0, CLOSE_RANGE_CLOEXEC)");
    explain("sandbox",
            "  pause, before exec: setgroups(0); setresgid(0); setresuid(0); capset(none); every "
            "capability dropped from its bounding set  (pause needs no privilege after exec)");
    explain("sandbox", "  pause, before exec: execveat(fd of " + opts.pause_path + ", AT_EMPTY_PATH)");

    sys::ChildStack stack;
    long pid;
    {
        PauseSetup setup{opts.die_with_supervisor ? self_pidfd.get() : -1, &ops, &exec, report.write_end.get(), &*here};
        pid = sys::clone3_run(flags, leaf.get(), pause_main, &setup, stack);
        here.reset();
    }
    if (pid < 0) throw sys::SysError(static_cast<int>(-pid), "clone3(pause)");
    // Parent. pause is our unreaped child: its pid cannot have been recycled.
    sb.pause = sys::adopt_child(static_cast<pid_t>(pid));
    report.write_end.reset();
    auto records = sys::ReportPipe::read_all(report.read_end.get());
    for (const auto& r : records) {
        if (r.tag == sys::ReportPipe::kValueTag) continue;
        std::string step = ops.step_text(r.tag) + (r.tag == sys::kStepExec ? "(" + opts.pause_path + ")" : "");
        throw sys::SysError(static_cast<int>(r.value), "starting pause: " + step);
    }
    chan.b.reset();
    sb.mnt_ns = sys::receive_fd(chan.a.get(), "the pod's mount namespace from pause");
    sb.etc_dir = sys::receive_fd(chan.a.get(), "the pod's /etc files' directory from pause");
    if (sb.ns.chrooted) sb.root = sys::receive_fd(chan.a.get(), "podrun's root from pause");
    if (sb.ns.chrooted && sys::is_mount_point_listed(paths.scratch())) {
        // The invisible mount above "/" is shared with the host: the pod's scratch tmpfs
        // propagated out. Take it back and refuse, with the fix.
        sys::detach_mount(paths.scratch());
        throw sys::SysError(EXDEV,
                            "starting pause: \"/\" is not a mount point (a chroot) and the mount holding it is "
                            "shared, so the pod's mounts would appear on the host; run podrun in a private mount "
                            "namespace: unshare --mount --propagation private chroot DIR podrun ...");
    }
    return sb;
}

}  // namespace podrun::sandbox
