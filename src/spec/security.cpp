// Facts about capabilities and sysctls that the validator and the confinement code share.
#include "podrun/spec/security.hpp"

namespace podrun::spec {

namespace {

// linux/capability.h, in its numbering (the index is the capability's number).
constexpr std::string_view kCapabilities[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::span<const std::string_view> capability_names() {
    return kCapabilities;
}

int capability_number(std::string_view normalised_name) {
    for (size_t i = 0; i < std::size(kCapabilities); ++i)
        if (kCapabilities[i] == normalised_name) return static_cast<int>(i);
    return -1;
}

// The kubelet's grouping (component-helpers/node/util/sysctl): these are the sysctls the
// kernel keeps per IPC or network namespace; every other sysctl is the host's.
SysctlNamespace sysctl_namespace(std::string_view n) {
    if (n == "kernel.sem" || starts_with(n, "kernel.shm") || starts_with(n, "kernel.msg") ||
        starts_with(n, "fs.mqueue."))
        return SysctlNamespace::Ipc;
    if (starts_with(n, "net.")) return SysctlNamespace::Net;
    return SysctlNamespace::None;
}

std::string sysctl_proc_path(std::string_view normalised_name) {
    std::string out(normalised_name);
    for (char& c : out) {
        if (c == '.')
            c = '/';
        else if (c == '/')
            c = '.';
    }
    return out;
}

}  // namespace podrun::spec
