// Entering a running container (`podrun exec`; exec probes and exec lifecycle hooks in the
// supervisor): a forked joiner takes the container's pid, net, ipc, uts and mount
// namespaces with one setns(container pidfd), then its root (fchdir + chroot), and clone3s
// the program with CLONE_PARENT directly into the container's cgroup leaf; that process joins
// the container's cgroup namespace, sets up its stdio and execs. As in launcher.hpp, every
// step between fork and exec is a raw syscall and a failure comes back as (step, errno).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "podrun/confine/confine.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/process.hpp"
#include "podrun/sys/tty.hpp"

namespace podrun::launcher {

struct EnterTarget {
    pid_t container_pid = 0;  // host pid of the container's main process (must be alive)
    std::string leaf_dir;     // the container's cgroup leaf: the new process starts in it
    uint64_t start_time = 0;  // its /proc/PID/stat start time as recorded; 0 = not checked
    std::string name;         // the container's name, for messages and --explain (may be empty)
};

struct EnterRequest {
    std::vector<std::string> argv;  // argv[0] looked up in PATH from env (like the container's own exec)
    std::vector<std::string> env;   // "K=V" strings
    // Inside the container. It must exist: a missing cwd fails the call at step chdir(cwd)
    // (runc exec does the same) rather than running somewhere else without a word.
    std::string cwd = "/";
    int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;  // -1 = /dev/null
    bool controlling_tty = false;                       // setsid() + TIOCSCTTY on stdin_fd (for -t)
    bool die_with_parent = true;  // SIGKILL when the calling process dies (pidfd-based, see sys::child_pdeathsig_pidfd)
    // The container's confinement (its user, capabilities, no_new_privs, seccomp program):
    // required, so that nothing is entered unconfined by omission. Kept alive by the caller.
    const confine::ContainerPlan* confine = nullptr;
};

// What enter() throws when everything worked but the execve itself: err() == ENOENT means
// argv[0] was not found (a shell's 127), anything else that it could not be run (126).
class ExecError : public sys::SysError {
  public:
    using sys::SysError::SysError;
};

// Starts argv inside a running container: its pid, net, ipc, uts, mount and cgroup
// namespaces, its root, and its cgroup leaf. Namespaces the caller already shares with
// the container (hostNetwork, hostPID, ...) are not joined again. The returned process is a
// child of the caller (CLONE_PARENT): the caller reaps it and reads its exit status - a
// subreaper that reaps children it does not track must count it as tracked. With
// die_with_parent, the parent-death signal follows the kernel's rule: it fires when the
// *thread* that called enter() exits, so call it from a thread that lives as long as the
// program should. Returns once the program has been exec'd; throws sys::SysError naming
// the failed step otherwise (ExecError for the execve), leaving nothing running.
sys::ChildProcess enter(const EnterTarget& t, const EnterRequest& r);

// A pseudo-terminal of the container's own devpts (its /dev/pts/ptmx, opened from the
// host through /proc/PID/root), so the program finds its terminal at /dev/pts/N (`tty`
// works) - runc hands exec terminals over the same way. Falls back, with a warning, to a
// pty of the caller's /dev/ptmx when the container has no /dev/pts/ptmx.
sys::Pty open_pty(const EnterTarget& t);

}  // namespace podrun::launcher
