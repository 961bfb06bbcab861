// Namespace flags and inodes (see namespaces.hpp).
#include "podrun/namespaces/namespaces.hpp"

#include <sys/stat.h>

#include "podrun/sys/clone_flags.hpp"

namespace podrun::namespaces {

PodNamespaces PodNamespaces::for_pod(const spec::Pod& pod) {
    PodNamespaces ns;
    ns.pid = !pod.host_pid;
    ns.net = !pod.host_network;
    ns.uts = !pod.host_network;
    ns.ipc = !pod.host_ipc;
    ns.mnt = true;
    return ns;
}

uint64_t PodNamespaces::clone_flags() const {
    uint64_t f = 0;
    if (pid) f |= CLONE_NEWPID;
    if (net) f |= CLONE_NEWNET;
    if (ipc) f |= CLONE_NEWIPC;
    if (uts) f |= CLONE_NEWUTS;
    if (mnt) f |= CLONE_NEWNS;
    return f;
}

uint64_t PodNamespaces::join_flags(bool share_pid) const {
    uint64_t f = clone_flags();
    if (!share_pid) f &= ~static_cast<uint64_t>(CLONE_NEWPID);
    return f;
}

std::string flag_names(uint64_t flags) {
    static const std::pair<uint64_t, const char*> names[] = {
        {CLONE_NEWPID, "CLONE_NEWPID"}, {CLONE_NEWNET, "CLONE_NEWNET"},       {CLONE_NEWIPC, "CLONE_NEWIPC"},
        {CLONE_NEWUTS, "CLONE_NEWUTS"}, {CLONE_NEWNS, "CLONE_NEWNS"},         {CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
        {CLONE_PARENT, "CLONE_PARENT"}, {CLONE_PIDFD, "CLONE_PIDFD"},         {CLONE_VM, "CLONE_VM"},
        {CLONE_VFORK, "CLONE_VFORK"},   {0x200000000ULL, "CLONE_INTO_CGROUP"}};
    std::string out;
    for (auto& [f, n] : names) {
        if (flags & f) out += (out.empty() ? "" : "|") + std::string(n);
    }
    return out.empty() ? "0" : out;
}

std::optional<uint64_t> ns_inode(pid_t pid, const std::string& name) {
    struct stat st;
    std::string p = "/proc/" + std::to_string(pid) + "/ns/" + name;
    if (::stat(p.c_str(), &st) < 0) return std::nullopt;
    return static_cast<uint64_t>(st.st_ino);
}

const std::vector<std::string>& all_ns_names() {
    static const std::vector<std::string> n{"pid", "net", "ipc", "uts", "mnt", "cgroup"};
    return n;
}

}  // namespace podrun::namespaces
