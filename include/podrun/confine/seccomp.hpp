// seccomp profiles in the OCI/containers JSON format (the one podman, CRI-O and Docker
// read: defaultAction, archMap, syscalls with includes/excludes): parsed and filtered for
// this architecture and a container's capabilities (pure), then compiled with libseccomp
// to a classic-BPF program in memory, once per distinct profile and pod. Loading it is the
// child's last step before execve (sys/confine.hpp): no JSON between fork and exec.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "podrun/confine/caps.hpp"

namespace podrun::confine {

// Where RuntimeDefault comes from: the profile Debian ships in golang-github-containers-common
// (podman's and CRI-O's default). PODRUN_SECCOMP_DEFAULT overrides it (tests).
std::string runtime_default_profile_path();
// Where Localhost profiles live: /etc/podrun/seccomp, or PODRUN_SECCOMP_DIR (tests), as the
// kubelet's <root-dir>/seccomp.
std::string localhost_profile_dir();

struct SeccompArg {
    unsigned index = 0;
    uint64_t value = 0, value_two = 0;
    std::string op;  // SCMP_CMP_EQ, ...
};

struct SeccompRule {
    std::vector<std::string> names;
    std::string action;  // SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, ...
    int errno_ret = -1;  // -1: EPERM for SCMP_ACT_ERRNO (runc's default)
    std::vector<SeccompArg> args;
};

// The part of a profile that applies to one container.
struct FilteredProfile {
    std::string default_action;
    int default_errno = -1;
    std::vector<std::string> arches;  // libseccomp names: the native one and its sub-architectures
    std::vector<SeccompRule> rules;   // those kept, in file order
    std::vector<size_t> kept;         // their indexes in the file's "syscalls"
    size_t total = 0;                 // rules in the file
    bool x32_left_out = false;        // the profile names x32, the kernel has none (FilterInputs::x32)
};

// What the filter is decided by besides the profile.
struct FilterInputs {
    std::string go_arch;               // "amd64", "arm64", ...: the names includes/excludes.arches use
    std::string scmp_arch;             // "SCMP_ARCH_X86_64": the archMap entry to use
    CapMask caps = 0;                  // the container's bounding set: includes/excludes.caps
    std::pair<int, int> kernel{0, 0};  // running kernel (major, minor): includes/excludes.minKernel
    bool x32 = true;                   // the kernel takes x32 calls: else SCMP_ARCH_X32 is left out
};
FilterInputs native_inputs(CapMask caps);

// Parses and filters a profile (JSON text). Rules whose includes are not all met, or any of
// whose excludes is met, are dropped (moby's and podman's semantics). Throws
// std::runtime_error naming `source` and the field for what podrun cannot honour (an
// unknown action, SCMP_ACT_NOTIFY, flags, listenerPath) or malformed JSON.
FilteredProfile filter_profile(const std::string& json_text, const std::string& source, const FilterInputs& in);

// A compiled program, shared by every container of the pod that uses it.
struct SeccompProgram {
    std::vector<sock_filter> insns;
    sock_fprog prog{};   // points into insns; what the child hands to seccomp(2)
    std::string source;  // the profile file
    std::string hash;    // 16 hex digits of FNV-1a over the profile text and the kept rules
    size_t rules_kept = 0, rules_total = 0;
    size_t syscalls_unknown = 0;  // names libseccomp does not know on this architecture (skipped)
    double compile_ms = 0;
    SeccompProgram() = default;
    SeccompProgram(const SeccompProgram&) = delete;
    SeccompProgram& operator=(const SeccompProgram&) = delete;
};

// The cache key of a filtered profile: its text and which of its rules were kept.
std::string cache_key(const std::string& json_text, const FilteredProfile& f);
std::string fnv1a_hex(const std::string& data);

// libseccomp: seccomp_init(defaultAction), the architectures, one rule per kept syscall
// name (arguments on one index more than once: one rule per condition, as runc does),
// exported as BPF to a memfd and read back. Throws std::runtime_error naming the profile.
std::shared_ptr<SeccompProgram> compile(const FilteredProfile& f, const std::string& source, const std::string& hash);

// The compiled programs of earlier pods: /var/cache/podrun/seccomp (PODRUN_SECCOMP_CACHE
// overrides it), root-only. <hash>.bpf is the program, <hash>.key the exact key it was
// compiled from (profile text, kept rules, architectures, libseccomp's version): a program
// is used only when its key matches byte for byte, so a hash collision cannot hand a
// container another profile's filter. Deleting the directory is always safe.
std::string cache_dir();
// The cached program for `key`, or null (absent, unreadable, or another key).
std::shared_ptr<SeccompProgram> cache_load(const std::string& key, const std::string& source, const std::string& hash);
// Stores a program; returns the error, if any, as text (the cache is an optimisation).
std::string cache_store(const std::string& key, const SeccompProgram& p);

// A program read back from the bytes a compile produced (podrun exec loads what up saved).
std::shared_ptr<SeccompProgram> program_from_bytes(const std::string& bytes, const std::string& source,
                                                   const std::string& hash);

}  // namespace podrun::confine
