// Credentials and capabilities, applied by a child right before execve (see confine.hpp).
#include <linux/capability.h>
#include <linux/prctl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "podrun/sys/confine.hpp"
#include "podrun/sys/events.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::sys {

const char* confine_step_name(int step) {
    switch (step) {
        case kStepSeccompEarly:
            return "seccomp(SECCOMP_SET_MODE_FILTER) (before dropping CAP_SYS_ADMIN)";
        case kStepBounding:
            return "prctl(PR_CAPBSET_DROP)";
        case kStepKeepCaps:
            return "prctl(PR_SET_KEEPCAPS)";
        case kStepSetgroups:
            return "setgroups(supplementary groups)";
        case kStepSetresgid:
            return "setresgid(runAsGroup)";
        case kStepSetresuid:
            return "setresuid(runAsUser)";
        case kStepCapset:
            return "capset(effective, permitted, inheritable)";
        case kStepAmbient:
            return "prctl(PR_CAP_AMBIENT_CLEAR_ALL)";
        case kStepNoNewPrivs:
            return "prctl(PR_SET_NO_NEW_PRIVS)";
        case kStepSeccomp:
            return "seccomp(SECCOMP_SET_MODE_FILTER)";
        case kStepPdeathsigAgain:
            return "prctl(PR_SET_PDEATHSIG) after the user switch";
        default:
            return nullptr;
    }
}

int kernel_last_cap() {
    auto t = try_read_file("/proc/sys/kernel/cap_last_cap");
    if (!t) return CAP_LAST_CAP;
    try {
        return std::stoi(*t);
    } catch (const std::exception&) {
        return CAP_LAST_CAP;
    }
}

bool kernel_runs_x32() {
#if defined(__x86_64__)
    // Probed only where podrun itself is under no seccomp filter: an outer filter without
    // x32 (a systemd unit's SystemCallArchitectures=native, another runtime's profile) may
    // answer the probe with SIGSYS rather than the kernel's ENOSYS. Under one, assume x32 and
    // keep its section, as before the probe existed.
    static const bool yes = [] {
        auto status = try_read_file("/proc/self/status");
        auto at = status ? status->find("\nSeccomp:") : std::string::npos;
        if (at == std::string::npos || status->compare(at + 9, 2, "\t0") != 0) return true;
        return syscall(0x40000000L | SYS_getpid) >= 0;
    }();
    return yes;
#else
    return false;
#endif
}

ConfineFailure apply_confinement(const ChildConfinement& c, int parent_pidfd) noexcept {
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN (seccomp(2)): load it while
    // we still have it. The steps after it must then pass the filter (RuntimeDefault allows
    // them), as in runc.
    if (c.seccomp && !c.no_new_privs) {
        if (int e = load_seccomp_filter(c.seccomp)) return {kStepSeccompEarly, e};
    }
    for (int cap = 0; cap < 64; cap++) {
        if (c.bounding & (uint64_t{1} << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            // EINVAL: past the kernel's last capability (they are numbered without gaps).
            if (errno == EINVAL) break;
            return {kStepBounding, errno};
        }
    }
    // Keep the permitted set across a switch to a non-zero uid (capabilities(7), "Effect of
    // user ID changes"); capset below sets exactly what stays.
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return {kStepKeepCaps, errno};
    // Raw syscalls, not glibc's wrappers: those broadcast to every thread of a process they
    // think multi-threaded, and this child may share its parent's memory (CLONE_VM).
    if (syscall(SYS_setgroups, c.ngroups, c.groups) < 0) return {kStepSetgroups, errno};
    if (syscall(SYS_setresgid, c.gid, c.gid, c.gid) < 0) return {kStepSetresgid, errno};
    if (syscall(SYS_setresuid, c.uid, c.uid, c.uid) < 0) return {kStepSetresuid, errno};
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) return {kStepKeepCaps, errno};
    if (parent_pidfd >= 0 && (c.uid != 0 || c.gid != 0)) {
        // commit_creds() clears the parent-death signal when the euid or egid changes.
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) return {kStepPdeathsigAgain, errno};
        pollfd p{parent_pidfd, POLLIN, 0};
        if (poll(&p, 1, 0) != 0) return {kStepPdeathsigAgain, ESRCH};
    }
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2];
    for (int i = 0; i < 2; i++) {
        data[i].effective = static_cast<uint32_t>(c.effective >> (32 * i));
        data[i].permitted = static_cast<uint32_t>(c.permitted >> (32 * i));
        data[i].inheritable = static_cast<uint32_t>(c.inheritable >> (32 * i));
    }
    if (syscall(SYS_capset, &hdr, data) < 0) return {kStepCapset, errno};
    // EINVAL: a kernel without ambient capabilities (< 4.3) has none to clear.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return {kStepAmbient, errno};
    if (c.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return {kStepNoNewPrivs, errno};
    if (c.seccomp && c.no_new_privs) {
        if (int e = load_seccomp_filter(c.seccomp)) return {kStepSeccomp, e};
    }
    return {0, 0};
}

}  // namespace podrun::sys
