// Which namespaces a pod gets, their clone/setns flags and names, and reading a process's
// namespace inodes (what `inspect --ns` and the tests compare).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "podrun/spec/pod.hpp"

namespace podrun::namespaces {

// The pod's own namespaces. hostNetwork/hostIPC/hostPID skip theirs; hostNetwork also
// keeps the host's UTS namespace, as the kubelet does (the pod's hostname is the node's).
struct PodNamespaces {
    bool pid = true, net = true, ipc = true, uts = true, mnt = true;
    // "/" is not a mount point (podrun runs in a plain chroot): containers enter their root
    // with chroot(2) instead of pivot_root(2), which needs the current root to be a mount.
    bool chrooted = false;

    static PodNamespaces for_pod(const spec::Pod& pod);
    uint64_t clone_flags() const;  // CLONE_NEW* for pause
    // Flags a container joins with setns(pause_pidfd, ...). The pid namespace is joined
    // only when the pod shares it (shareProcessNamespace, podrun's default).
    uint64_t join_flags(bool share_pid) const;
};

// "CLONE_NEWPID|CLONE_NEWNET|..." for narration.
std::string flag_names(uint64_t flags);

// /proc/PID/ns/NAME inode ("net", "ipc", "uts", "pid", "mnt", "cgroup"), nullopt if gone.
std::optional<uint64_t> ns_inode(pid_t pid, const std::string& name);
const std::vector<std::string>& all_ns_names();

}  // namespace podrun::namespaces
