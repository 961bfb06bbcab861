// Processes: clone3 with a pidfd, a child handle that kills and reaps on scope exit, and
// pidfd signalling/waiting. The only place podrun creates or waits for processes.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

struct CloneArgs {
    uint64_t flags = 0;    // CLONE_NEW*, CLONE_PARENT, ... (CLONE_PIDFD is added when wanted)
    int cgroup_fd = -1;    // >= 0: CLONE_INTO_CGROUP into this cgroup directory
    bool want_pidfd = true;
};

struct CloneResult {
    pid_t pid = -1;  // 0 in the child
    UniqueFd pidfd;  // parent only, when want_pidfd
};

// clone3(2) like fork(2): returns twice. Throws SysError in the parent on failure.
// The child must only make async-signal-safe calls until it execs or _exits.
CloneResult clone3_fork(const CloneArgs& args);

// Raw clone3 for use *inside a forked child*: never throws, returns -errno on failure.
long clone3_raw(uint64_t flags, int cgroup_fd, int* pidfd_out) noexcept;

struct ExitStatus {
    bool signaled = false;
    int code = 0;  // exit code, or the signal number when signaled
    // The shell convention: code, or 128 + signal.
    int shell_code() const { return signaled ? 128 + code : code; }
};

// A child process we own: pid + pidfd. Unless released or waited for, the destructor
// SIGKILLs and reaps it, so a failed `up` never leaves a stray process behind.
class ChildProcess {
public:
    ChildProcess() = default;
    ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
    ChildProcess(ChildProcess&& o) noexcept;
    ChildProcess& operator=(ChildProcess&& o) noexcept;
    ~ChildProcess();

    pid_t pid() const { return pid_; }
    int pidfd() const { return pidfd_.get(); }
    bool alive() const { return pid_ > 0; }

    // pidfd_send_signal: cannot hit a recycled pid. false if it already exited.
    bool signal(int sig) const;
    // Non-blocking reap; returns the status once it exited (then the handle is empty).
    std::optional<ExitStatus> try_wait();
    // Blocking reap.
    ExitStatus wait();
    // SIGKILL + reap (no-op if already reaped).
    void kill_and_wait();
    // Stop owning it (state or another owner keeps it). Returns the pid.
    pid_t release();

private:
    pid_t pid_ = -1;
    UniqueFd pidfd_;
};

// pidfd_open(2) for a child we have not reaped yet (so the pid cannot be recycled).
UniqueFd pidfd_open(pid_t pid);
// Has the process behind a pidfd exited? (the pidfd polls readable then; pidfd_open(2))
bool pidfd_exited(int pidfd);

// Reaps any child that is not `keep` (a pid whose state we own elsewhere): used by a
// subreaper to collect re-parented processes it does not track. Returns how many.
int reap_untracked(bool (*is_tracked)(pid_t, void*), void* ctx);

// Start time of a process in clock ticks since boot (/proc/PID/stat field 22), so a
// recorded pid is only trusted while its start time matches (crun's status.c habit).
std::optional<uint64_t> process_start_time(pid_t pid);

// Signals pid only if it is still the process that started at `start_time` (0 = any):
// a pidfd is opened first, then the start time checked, then the signal sent through the
// pidfd, so a recycled pid is never hit. Returns false if it is gone or different.
bool signal_if_same(pid_t pid, uint64_t start_time, int sig);

}  // namespace podrun::sys

namespace podrun::sys {
// `up -d`: forks a child in a new session with stdin/stdout on /dev/null and cwd "/".
// Both sides get one end of a CLOEXEC pipe: the child reports readiness on it, the parent
// reads it to EOF. `child` tells which side returned.
struct Detached {
    bool child = false;
    pid_t pid = -1;   // parent: the child's pid
    UniqueFd channel; // child: write end; parent: read end
};
Detached fork_detached();
// Points stderr at `file` (appending), for a detached process's own log.
void redirect_stderr(const std::string& file);
void write_all(int fd, const std::string& data);
std::string read_to_eof(int fd);
}  // namespace podrun::sys
