// Capability names and the container's capability sets (see caps.hpp).
#include "podrun/confine/caps.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace podrun::confine {

namespace {

// linux/capability.h, 0..40 (CAP_CHECKPOINT_RESTORE, Linux 5.9).
constexpr std::array<const char*, 41> kNames = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

CapMask bit(int n) {
    return CapMask{1} << n;
}

}  // namespace

std::optional<int> cap_number(std::string_view name) {
    std::string up;
    for (char c : name) up += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (up.rfind("CAP_", 0) == 0) up = up.substr(4);
    for (size_t i = 0; i < kNames.size(); i++) {
        if (up == kNames[i]) return static_cast<int>(i);
    }
    return std::nullopt;
}

std::string cap_name(int n) {
    if (n >= 0 && static_cast<size_t>(n) < kNames.size()) return std::string("CAP_") + kNames[static_cast<size_t>(n)];
    return "CAP_" + std::to_string(n);
}

std::string cap_list(CapMask m) {
    std::string out;
    for (int i = 0; i < 64; i++) {
        if (m & bit(i)) out += (out.empty() ? "" : ", ") + cap_name(i);
    }
    return out.empty() ? "none" : out;
}

CapMask all_caps(int last_cap) {
    last_cap = std::clamp(last_cap, 0, 63);
    return last_cap == 63 ? ~CapMask{0} : bit(last_cap + 1) - 1;
}

CapMask default_caps() {
    CapMask m = 0;
    for (const char* n :
         {"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "KILL"}) {
        m |= bit(*cap_number(n));
    }
    return m;
}

CapSets capability_sets(const spec::SecurityContext& sc, int last_cap, std::vector<std::string>* unknown) {
    const CapMask all = all_caps(last_cap);
    CapMask caps = default_caps();
    if (sc.privileged) {
        caps = all;
    } else {
        auto is_all = [](const std::string& s) { return s == "ALL" || s == "all" || s == "CAP_ALL"; };
        const auto& add = sc.capabilities.add;
        const auto& drop = sc.capabilities.drop;
        if (std::any_of(add.begin(), add.end(), is_all)) caps = all;
        if (std::any_of(drop.begin(), drop.end(), is_all)) caps = 0;
        for (int pass = 0; pass < 2; pass++) {
            for (const auto& name : pass == 0 ? add : drop) {
                if (is_all(name)) continue;
                auto n = cap_number(name);
                if (!n || *n > last_cap) {
                    if (unknown) unknown->push_back(name);
                    continue;
                }
                if (pass == 0) {
                    caps |= bit(*n);
                } else {
                    caps &= ~bit(*n);
                }
            }
        }
    }
    caps &= all;
    CapSets s;
    s.bounding = s.effective = s.permitted = caps;
    s.inheritable = 0;
    return s;
}

}  // namespace podrun::confine
