// The pod sandbox: pause as PID 1 of the pod's fresh namespaces, started directly in its
// cgroup leaf, with the pod-wide setup done in its child before exec (hostname, loopback,
// a private mount tree, /proc, the pod's scratch tmpfs and memory emptyDirs).
#pragma once

#include <string>

#include "podrun/cgroup/cgroup.hpp"
#include "podrun/namespaces/namespaces.hpp"
#include "podrun/spec/pod.hpp"
#include "podrun/state/state.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::sandbox {

struct SandboxOptions {
    std::string pause_path;  // the podrun-pause binary
    // Foreground `up`: pause dies with the supervisor (PR_SET_PDEATHSIG), and with it, by
    // the pid-namespace rule, every process of the pod.
    bool die_with_supervisor = true;
    // The pod's /etc/hosts and /etc/resolv.conf (docs/network.md): its address (loopback
    // when it has no other yet), host.podrun.internal's address ("" = no such line), and
    // the resolv.conf text.
    std::string pod_ip = "127.0.0.1";
    std::string host_internal_ip;
    std::string resolv_conf;
};

struct Sandbox {
    sys::ChildProcess pause;
    namespaces::PodNamespaces ns;
    // The pod's mount namespace (the scratch tmpfs, memory emptyDirs, /dev/shm), held by
    // the supervisor: pause itself lives in a mount namespace of its own whose root is an
    // empty read-only directory, so /proc/1/root shows nothing of the host.
    sys::UniqueFd mnt_ns;
    // podrun's own root in that namespace (only when podrun runs in a chroot: setns into
    // a mount namespace leaves us at its real root, and containers come back here).
    sys::UniqueFd root;
    // The directory of the pod's /etc files in its scratch (O_PATH), for rewriting
    // /etc/hosts once the network has given the pod its address.
    sys::UniqueFd etc_dir;
    // "/" cannot be pivoted away from (a chroot, or the initial rootfs of an initramfs):
    // roots are entered with MS_MOVE + chroot, as runc's --no-pivot.
    bool no_pivot = false;
};

// Where podrun-pause is: $PODRUN_PAUSE, next to /proc/self/exe, or the libexec dir.
std::string find_pause_binary();

// The pod's /etc/hosts, as the kubelet writes it (start() puts it, /etc/hostname and
// /etc/resolv.conf in the pod's scratch tmpfs), with host.podrun.internal when
// host_internal_ip is given and the hostAliases.
std::string hosts_file(const spec::Pod& pod, const std::string& pod_ip = "127.0.0.1",
                       const std::string& host_internal_ip = "");

// pause's own root inside the pod's scratch: empty and read-only.
inline constexpr const char* kPauseRoot = "/pause-root";

// Starts pause. On failure throws SysError naming the step; nothing is left running.
Sandbox start(const spec::Pod& pod, const state::PodPaths& paths, const cgroup::PodTree& cg,
              const SandboxOptions& opts);

}  // namespace podrun::sandbox
