// The last thing a child does before execve: take the container's credentials and filters
// (groups, gid, uid, capability sets, no_new_privs, the seccomp filter), prepared by the
// parent as plain data. Raw syscalls only, no allocation: it runs between fork and exec.
// The order is runc's (libcontainer/standard_init_linux.go, finalizeNamespace).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>

struct sock_fprog;

namespace podrun::sys {

// Step codes of a child's report (next to child_steps.hpp's ChildStep, in a range of their own).
enum ConfineStep : int {
    kStepSeccompEarly = -20,
    kStepBounding = -21,
    kStepKeepCaps = -22,
    kStepSetgroups = -23,
    kStepSetresgid = -24,
    kStepSetresuid = -25,
    kStepCapset = -26,
    kStepAmbient = -27,
    kStepNoNewPrivs = -28,
    kStepSeccomp = -29,
    kStepPdeathsigAgain = -30,
};
// The name of a ConfineStep, or nullptr for a code that is not one.
const char* confine_step_name(int step);

// What the child applies. Every pointer points into memory the parent keeps alive (and
// does not touch) until the child has exec'd.
struct ChildConfinement {
    uint32_t uid = 0, gid = 0;
    const gid_t* groups = nullptr;  // the supplementary groups, exactly (setgroups)
    size_t ngroups = 0;
    // Capability sets as bit masks (bit N = capability N); ambient is always cleared.
    uint64_t bounding = 0, effective = 0, permitted = 0, inheritable = 0;
    int last_cap = 40;  // /proc/sys/kernel/cap_last_cap (bounding drops end at the first EINVAL)
    bool no_new_privs = false;
    const sock_fprog* seccomp = nullptr;  // nullptr: no filter (Unconfined, privileged)
};

struct ConfineFailure {
    int step = 0;  // 0: done; else a ConfineStep
    int err = 0;
};

// Applies c to the calling process, in runc's order: the seccomp filter first when
// no_new_privs is off (loading one needs CAP_SYS_ADMIN then, which the later steps drop);
// bounding-set drops; PR_SET_KEEPCAPS, setgroups, setresgid, setresuid (so a non-root
// user keeps the permitted set across the switch), PR_SET_KEEPCAPS off; capset (effective,
// permitted, inheritable); ambient cleared; PR_SET_NO_NEW_PRIVS; the seccomp filter last
// when no_new_privs is on, so as few syscalls as possible run after it. A change of uid or
// gid clears the parent-death signal (commit_creds): with parent_pidfd >= 0 it is set
// again and the parent checked alive. Raw syscalls only; async-signal-safe.
ConfineFailure apply_confinement(const ChildConfinement& c, int parent_pidfd) noexcept;

// seccomp(SECCOMP_SET_MODE_FILTER, 0, prog): 0 or errno.
int load_seccomp_filter(const sock_fprog* prog) noexcept;

// The highest capability number the running kernel knows (/proc/sys/kernel/cap_last_cap).
int kernel_last_cap();

// Whether the running kernel takes x32 system calls (x86_64 only; elsewhere false): one
// getpid with the x32 bit set, which a kernel built or booted without x32 (Debian's default,
// syscall.x32=n) answers with ENOSYS. Probed once per process, and only outside any seccomp
// filter (under one it says true: an outer filter might kill the probe).
bool kernel_runs_x32();

}  // namespace podrun::sys

#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {
// A memfd (MFD_CLOEXEC) for a program libseccomp exports, and everything written to it.
UniqueFd make_memfd(const char* name);
std::string read_memfd(int fd);
}  // namespace podrun::sys
