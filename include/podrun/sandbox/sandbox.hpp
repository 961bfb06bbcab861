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
};

struct Sandbox {
    sys::ChildProcess pause;
    namespaces::PodNamespaces ns;
};

// Where podrun-pause is: $PODRUN_PAUSE, next to /proc/self/exe, or the libexec dir.
std::string find_pause_binary();

// The pod's /etc/hosts, as the kubelet writes it (start() puts it, and /etc/hostname, in the
// pod's scratch tmpfs).
std::string hosts_file(const spec::Pod& pod);

// Starts pause. On failure throws SysError naming the step; nothing is left running.
Sandbox start(const spec::Pod& pod, const state::PodPaths& paths, const cgroup::PodTree& cg,
              const SandboxOptions& opts);

}  // namespace podrun::sandbox
