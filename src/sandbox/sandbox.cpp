// Starting pause in the pod's namespaces (see sandbox.hpp).
#include "podrun/sandbox/sandbox.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "podrun/explain.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/exec.hpp"
#include "podrun/sys/io.hpp"
#include "podrun/sys/setup.hpp"

namespace podrun::sandbox {

std::string find_pause_binary() {
    if (const char* p = std::getenv("PODRUN_PAUSE"); p && *p) return p;
    char buf[4096];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        std::string self(buf, static_cast<size_t>(n));
        std::string dir = self.substr(0, self.rfind('/'));
        for (const std::string& c : {dir + "/podrun-pause", dir + "/../libexec/podrun/podrun-pause"}) {
            if (::access(c.c_str(), X_OK) == 0) return c;
        }
    }
    throw sys::SysError(ENOENT, "find podrun-pause (looked next to the podrun binary; set PODRUN_PAUSE)");
}

std::string hosts_file(const spec::Pod& pod) {
    // The kubelet's managed hosts file; the pod's only address is loopback, so its
    // hostname maps there (docs/manifest.md, status.podIP).
    std::string h = "# Kubernetes-managed hosts file (podrun).\n"
                    "127.0.0.1\tlocalhost\n"
                    "::1\tlocalhost ip6-localhost ip6-loopback\n"
                    "fe00::0\tip6-localnet\n"
                    "fe00::0\tip6-mcastprefix\n"
                    "fe00::1\tip6-allnodes\n"
                    "fe00::2\tip6-allrouters\n";
    if (!pod.host_network) h += "127.0.0.1\t" + pod.effective_hostname() + "\n";
    return h;
}

namespace {

// The pod's /etc/hostname and /etc/hosts, as the kubelet writes them: in the pod's scratch
// tmpfs, so they cost no disk writes and vanish with the pod's mount namespace.
void add_etc_files(sys::OpList& ops, const spec::Pod& pod, const state::PodPaths& paths) {
    using sys::Op;
    using sys::OpKind;
    std::string hostname = pod.effective_hostname();
    if (pod.host_network) {
        char buf[256] = {};
        ::gethostname(buf, sizeof buf - 1);
        hostname = buf;
    }
    std::string hosts = pod.host_network ? sys::try_read_file("/etc/hosts").value_or("") : hosts_file(pod);
    ops.add(Op{OpKind::Mkdir, paths.etc_dir(), "", "", "", 0, 0755, -1, false, ""});
    ops.add(Op{OpKind::CreateFile, paths.etc_dir() + "/hostname", "", "", hostname + "\n", 0, 0644, -1, false,
               "the pod's /etc/hostname, bound into each container"});
    ops.add(Op{OpKind::CreateFile, paths.etc_dir() + "/hosts", "", "", hosts, 0, 0644, -1, false,
               "the pod's /etc/hosts (the kubelet's), bound into each container"});
}

// The pod-wide steps pause's child takes before exec, in order.
sys::OpList pod_setup_ops(const spec::Pod& pod, const state::PodPaths& paths, const namespaces::PodNamespaces& ns) {
    using sys::Op;
    using sys::OpKind;
    sys::OpList ops;
    if (ns.chrooted) {
        // After a plain chroot(2), "/" is a directory, not a mount: the kernel cannot change
        // its propagation. Make every visible mount private instead; up() then checks that
        // nothing leaked through the invisible mount above "/".
        for (const auto& top : sys::top_mount_points()) {
            ops.add(Op{OpKind::Mount, "", top, "", "", MS_REC | MS_PRIVATE, 0, -1, false,
                       "\"/\" is not a mount point (chroot): make each visible mount private instead"});
        }
    } else {
        ops.add(Op{OpKind::Mount, "", "/", "", "", MS_REC | MS_PRIVATE, 0, -1, false,
                   "make the pod's mount tree private, recursively, so no mount leaks to the host"});
    }
    if (ns.pid) {
        ops.add(Op{OpKind::Mount, "proc", "/proc", "proc", "", MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, -1, false,
                   "a /proc of the pod's pid namespace"});
    }
    ops.add(Op{OpKind::Mount, "tmpfs", paths.scratch(), "tmpfs", "mode=0700", MS_NOSUID | MS_NODEV, 0, -1, false,
               "the pod's scratch tmpfs: container roots and memory emptyDirs, gone with the pod"});
    ops.add(Op{OpKind::Mkdir, paths.scratch() + "/roots", "", "", "", 0, 0700, -1, false, ""});
    ops.add(Op{OpKind::Mkdir, paths.scratch() + "/volumes", "", "", "", 0, 0755, -1, false, ""});
    add_etc_files(ops, pod, paths);
    if (ns.ipc) {
        // One /dev/shm for the pod, as containerd and CRI-O give the containers of a pod
        // that share its IPC namespace: POSIX shared memory works between them as SysV does.
        ops.add(Op{OpKind::Mkdir, paths.shm_dir(), "", "", "", 0, 0755, -1, false, ""});
        ops.add(Op{OpKind::Mount, "shm", paths.shm_dir(), "tmpfs", "mode=1777,size=65536k",
                   MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, -1, false,
                   "the pod's /dev/shm (64 MiB, containerd's default), shared by its containers"});
    }
    for (const auto& v : pod.volumes) {
        const auto* ed = std::get_if<spec::EmptyDirVolume>(&v.source);
        if (!ed || !ed->memory) continue;
        std::string dir = paths.memory_volume(v.name);
        ops.add(Op{OpKind::Mkdir, dir, "", "", "", 0, 0777, -1, false, ""});
        std::string data = "mode=1777";
        if (ed->size_limit_bytes) data += ",size=" + std::to_string(*ed->size_limit_bytes);
        ops.add(Op{OpKind::Mount, "tmpfs", dir, "tmpfs", data, MS_NOSUID | MS_NODEV, 0, -1, false,
                   "emptyDir \"" + v.name + "\" (medium: Memory) as its own tmpfs"});
    }
    if (ns.uts) {
        ops.add(Op{OpKind::Sethostname, pod.effective_hostname(), "", "", "", 0, 0, -1, false,
                   "hostname = spec.hostname or metadata.name"});
    }
    if (ns.net) {
        ops.add(Op{OpKind::LoopbackUp, "", "", "", "", 0, 0, -1, false, "loopback up in the new net namespace"});
    }
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
    sys::child_setup_and_exec(p.report, p.supervisor_pidfd, *p.ops, *p.exec, 125, p.placement);
}

}  // namespace

Sandbox start(const spec::Pod& pod, const state::PodPaths& paths, const cgroup::PodTree& cg,
              const SandboxOptions& opts) {
    Sandbox sb;
    sb.ns = namespaces::PodNamespaces::for_pod(pod);
    sb.ns.chrooted = !sys::root_is_mount_point();
    sys::OpList ops = pod_setup_ops(pod, paths, sb.ns);
    sys::UniqueFd leaf = cg.make_leaf("pause");
    sys::ExecPlan exec({opts.pause_path}, {}, "");
    sys::ReportPipe report = sys::ReportPipe::make();
    sys::UniqueFd self_pidfd = sys::pidfd_open(::getpid());

    uint64_t flags = sb.ns.clone_flags();
    std::optional<sys::StartHere> here(std::in_place);  // pause sets up on the CPU we sleep on
    if (here->active()) {
        explain("sandbox", "sched_setaffinity(0, {CPU " + std::to_string(here->cpu()) +
                               "})  (pause's child inherits it: it starts on the CPU we sleep on while it runs)");
    }
    explain("sandbox", "clone3(" + namespaces::flag_names(flags | sys::kClone3RunFlags | 0x200000000ULL) +
                           ", cgroup=" + cg.leaf_dir("pause") + ")  -> pause, PID 1 of the pod" +
                           (sys::kClone3RunFlags ? " (in our memory on a stack of its own until it execs)" : ""));
    for (size_t i = 0; i < ops.size(); i++) {
        explain("sandbox", "  pause, before exec: " + ops.describe(i) +
                               (ops.ops()[i].why.empty() ? "" : "  (" + ops.ops()[i].why + ")"));
    }
    if (here->active()) {
        explain("sandbox", "  pause, before exec: sched_setaffinity(0, every CPU but " + std::to_string(here->cpu()) +
                               "), then sched_setaffinity(0, the supervisor's CPUs)");
    }
    explain("sandbox", "  pause, before exec: execve(" + opts.pause_path + ")");

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
    if (sb.ns.chrooted && sys::is_mount_point_listed(paths.scratch())) {
        // The invisible mount above "/" is shared with the host: the pod's scratch tmpfs
        // propagated out. Take it back and refuse, with the fix.
        sys::detach_mount(paths.scratch());
        throw sys::SysError(EXDEV, "starting pause: \"/\" is not a mount point (a chroot) and the mount holding it is "
                                   "shared, so the pod's mounts would appear on the host; bind-mount the chroot "
                                   "directory onto itself before entering it (mount --bind DIR DIR), as arch-chroot does");
    }
    return sb;
}

}  // namespace podrun::sandbox
