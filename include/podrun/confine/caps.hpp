// Capability sets of a container from its securityContext (pure): the default set of
// containerd 2.x and CRI-O, `privileged`, and capabilities.add/drop in Kubernetes' order.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podrun/spec/security.hpp"

namespace podrun::confine {

using CapMask = uint64_t;  // bit N = capability N (linux/capability.h)

// "CAP_NET_ADMIN", "NET_ADMIN", "net_admin" -> 12; nullopt if no such capability.
std::optional<int> cap_number(std::string_view name);
// 12 -> "CAP_NET_ADMIN" ("CAP_<n>" for a number podrun has no name for).
std::string cap_name(int n);
// "CAP_CHOWN, CAP_KILL" or "none".
std::string cap_list(CapMask m);

// Every capability up to the kernel's last (/proc/sys/kernel/cap_last_cap).
CapMask all_caps(int last_cap);
// CHOWN, DAC_OVERRIDE, FSETID, FOWNER, SETGID, SETUID, SETPCAP, NET_BIND_SERVICE, KILL:
// containerd 2.x's and CRI-O's defaults (Docker's 14 without AUDIT_WRITE, MKNOD, NET_RAW,
// SETFCAP, SYS_CHROOT).
CapMask default_caps();

struct CapSets {
    CapMask bounding = 0, effective = 0, permitted = 0, inheritable = 0;
};

// The container's sets. privileged: every capability. Otherwise the default set, then, as
// containerd's CRI plugin does it: add ALL, drop ALL, each other add, each other drop.
// Effective = permitted = bounding; inheritable stays empty, as containerd >= 1.6.2 and
// CRI-O >= 1.23.2 leave it (CVE-2022-24769: inheritable capabilities let a non-root
// program gain them from file capabilities). A non-root user keeps none after execve
// (capabilities(7): no file capabilities, no ambient set). Names the kernel does not
// know are appended to `unknown` (each "<name>") and left out.
CapSets capability_sets(const spec::SecurityContext& sc, int last_cap, std::vector<std::string>* unknown = nullptr);

}  // namespace podrun::confine
