// securityContext as plain data: what the validator produces (pod level merged into each
// container, the container's value winning, as Kubernetes merges them) and what the
// confinement code applies. Names and defaults follow k8s.io/api/core/v1.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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
    std::optional<int64_t> fs_group;  // pod level only; also added to the process's groups
    std::optional<bool> allow_privilege_escalation;  // false: no_new_privs
    bool privileged = false;
    bool read_only_root_filesystem = false;
    CapabilityChanges capabilities;
    ProcMount proc_mount = ProcMount::Default;
    SeccompProfile seccomp;
};

// spec.securityContext.sysctls: namespaced sysctls only (validated), written inside the
// pod's namespaces.
struct Sysctl {
    std::string name, value;
};

// The pod-level part that is not per container.
struct PodSecurity {
    std::optional<int64_t> fs_group;
    FsGroupChangePolicy fs_group_change_policy = FsGroupChangePolicy::Always;
    std::vector<Sysctl> sysctls;
};

}  // namespace podrun::spec
