// securityContext as plain data: what the validator produces (pod level merged into each
// container, the container's value winning, as Kubernetes merges them) and what the
// confinement code applies. Names and defaults follow k8s.io/api/core/v1.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace podrun::spec {

enum class SeccompKind { RuntimeDefault, Unconfined, Localhost };

struct SeccompProfile {
    // podrun's default is RuntimeDefault (as the kubelet's --seccomp-default), not Unconfined.
    SeccompKind kind = SeccompKind::RuntimeDefault;
    std::string localhost_profile;  // relative to the documented profile directory
};

enum class ProcMount { Default, Unmasked };
enum class SupplementalGroupsPolicy { Merge, Strict };
enum class FsGroupChangePolicy { Always, OnRootMismatch };

// capabilities.add / capabilities.drop, normalised: upper case with the CAP_ prefix
// ("net_admin" and "NET_ADMIN" become "CAP_NET_ADMIN"); "ALL" stays "ALL".
struct CapabilityChanges {
    std::vector<std::string> add, drop;
};

// The effective security context of one container.
struct SecurityContext {
    std::optional<int64_t> run_as_user;   // unset: the image's user, else 0
    std::optional<int64_t> run_as_group;  // unset: the image's group, else 0
    std::optional<bool> run_as_non_root;
    std::vector<int64_t> supplemental_groups;  // pod level only
    SupplementalGroupsPolicy supplemental_groups_policy = SupplementalGroupsPolicy::Merge;
    std::optional<int64_t> fs_group;                 // pod level only; also added to the process's groups
    std::optional<bool> allow_privilege_escalation;  // false: no_new_privs
    // All capabilities, no masks, writable /sys, host devices. The validator also sets
    // `seccomp` to Unconfined for a privileged container, as containerd and CRI-O do.
    bool privileged = false;
    bool read_only_root_filesystem = false;
    CapabilityChanges capabilities;
    ProcMount proc_mount = ProcMount::Default;
    SeccompProfile seccomp;
};

// spec.securityContext.sysctls: namespaced sysctls only (validated), written inside the
// pod's namespaces. `name` is in the kubelet's normalised dotted form: a name written with
// '/' separators ("net/ipv4/conf/eth0.100/rp_filter") becomes "net.ipv4.conf.eth0/100.rp_filter",
// where a '/' stands for a '.' inside one component; sysctl_proc_path() turns it back.
struct Sysctl {
    std::string name, value;
};

// Which of the pod's namespaces a (validated) sysctl belongs to, as the kubelet groups them:
// kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.* -> IPC; net.* -> network.
enum class SysctlNamespace { Ipc, Net, None };
SysctlNamespace sysctl_namespace(std::string_view normalised_name);

// The path of a normalised sysctl name below /proc/sys: "net.ipv4.conf.eth0/100.rp_filter"
// -> "net/ipv4/conf/eth0.100/rp_filter".
std::string sysctl_proc_path(std::string_view normalised_name);

// Every Linux capability podrun knows, indexed by the kernel's number (CAP_CHOWN = 0 ...
// CAP_CHECKPOINT_RESTORE = 40), with the CAP_ prefix.
std::span<const std::string_view> capability_names();

// The kernel's number of a normalised name ("CAP_NET_ADMIN" -> 12), or -1 if unknown.
int capability_number(std::string_view normalised_name);

// The pod-level part that is not per container.
struct PodSecurity {
    std::optional<int64_t> fs_group;
    FsGroupChangePolicy fs_group_change_policy = FsGroupChangePolicy::Always;
    std::vector<Sysctl> sysctls;
};

}  // namespace podrun::spec
