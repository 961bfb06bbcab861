// Processes: clone3 with a pidfd, a child handle that kills and reaps on scope exit, and
// pidfd signalling/waiting. The only place podrun creates or waits for processes.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

struct CloneArgs {
    uint64_t flags = 0;  // CLONE_NEW*, CLONE_PARENT, ... (CLONE_PIDFD is added when wanted)
    int cgroup_fd = -1;  // >= 0: CLONE_INTO_CGROUP into this cgroup directory
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

// Where the child of a vfork-style start runs. While a StartHere lives, the calling thread
// may run only on the CPU it is on now, and a child it makes inherits that: we sleep until
// the child execs, so the child takes the CPU our sleep frees instead of queueing behind
// whatever runs elsewhere (a container started just before). Before exec the child moves
// off that CPU, where we wake once it has exec'd, and takes back the mask we had
// (restore_in_child): the program it execs gets the CPUs it would have had. Left to
// itself the scheduler places a new child by load at fork time, when our CPU still looks
// busy (we have not slept yet), and execve's balancing keeps the program where our chain
// of starts continues; wakeups look for an idle CPU only among CPUs sharing a cache, which
// on a host whose CPUs share none (the 2-vCPU build machine) is no other (bench/RESULTS.md).
// Restores our mask when destroyed. Does nothing when we may run on one CPU only.
class StartHere {
  public:
    StartHere() noexcept;
    ~StartHere();
    StartHere(const StartHere&) = delete;
    StartHere& operator=(const StartHere&) = delete;
    // In the child, raw syscalls: off our CPU, then the mask we had; nothing if the kernel
    // already gave the child another mask (a cpuset of its own cgroup). 0 or errno.
    int restore_in_child() const noexcept;
    bool active() const { return pinned_; }
    int cpu() const { return cpu_; }

  private:
    cpu_set_t saved_;
    int cpu_ = -1;
    bool pinned_ = false;
};

// A stack for a child that shares our memory: mmap'd, with a guard page below it that turns
// an overflow into a fault instead of a write into our memory; unmapped on scope exit.
class ChildStack {
  public:
    explicit ChildStack(size_t bytes = 256 * 1024);
    ChildStack(const ChildStack&) = delete;
    ChildStack& operator=(const ChildStack&) = delete;
    ~ChildStack();
    char* base() const { return base_; }  // lowest usable byte
    size_t size() const { return size_; }
    char* top() const { return base_ + size_; }  // stacks grow down (x86-64, arm64)

  private:
    void* map_ = nullptr;
    size_t map_size_ = 0;
    char* base_ = nullptr;
    size_t size_ = 0;
};

// Runs fn(arg) in a child that shares our memory (CLONE_VM) on `stack`, while we are
// suspended until it exits (CLONE_VFORK), as posix_spawn does: no copy of our page tables
// is made, and none is torn down when it exits. fn runs between fork and exit: raw syscalls
// only, no allocation, and it writes our memory only through `arg` (errno included: read it
// there, ours may be clobbered). fn must end with _exit. Reaps the child and returns its
// exit code; throws SysError if it cannot be created. (Sanitizer builds give the child a
// copy of our memory instead.)
int vfork_call(int (*fn)(void*), void* arg, const ChildStack& stack);

// A new process made by clone3(flags, cgroup_fd for CLONE_INTO_CGROUP) that runs fn(arg),
// which must exec or _exit. Where the architecture has the trampoline (x86-64, not in
// sanitizer builds) it shares our memory on `stack` and we are suspended until it execs or
// exits (CLONE_VM|CLONE_VFORK): no copy of our memory is made (called in a vfork_call child,
// that memory is the vfork_call parent's). Elsewhere it is a fork that runs on its copy of
// our stack while we go on. Either way it writes nothing of ours (it reports on a pipe).
// Never throws; returns the pid, or -errno.
long clone3_run(uint64_t flags, int cgroup_fd, int (*fn)(void*), void* arg, const ChildStack& stack) noexcept;
// The flags clone3_run adds to the caller's: CLONE_VM|CLONE_VFORK (0x100|0x4000) where it
// has the trampoline, none where it forks. For narration.
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
inline constexpr uint64_t kClone3RunFlags = 0x100 | 0x4000;
#else
inline constexpr uint64_t kClone3RunFlags = 0;
#endif

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

// PR_SET_CHILD_SUBREAPER: orphans of our descendants are re-parented to us.
void set_child_subreaper();

// pidfd_open(2) for a child we have not reaped yet (so the pid cannot be recycled).
UniqueFd pidfd_open(pid_t pid);
// Our unreaped child `pid` as a ChildProcess. If its pidfd cannot be had (EMFILE), the child
// is SIGKILLed and reaped before the error is thrown: it is never left running or unreaped.
ChildProcess adopt_child(pid_t pid);
// Has the process behind a pidfd exited? (the pidfd polls readable then; pidfd_open(2))
bool pidfd_exited(int pidfd, int timeout_ms = 0);  // waits up to timeout_ms for it

// Reaps any child that is not `keep` (a pid whose state we own elsewhere): used by a
// subreaper to collect re-parented processes it does not track. Returns how many.
int reap_untracked(bool (*is_tracked)(pid_t, void*), void* ctx);
// Blocks until some child has exited and reaps it: its pid, or 0 when we have no child left.
pid_t reap_any();

// Start time of a process in clock ticks since boot (/proc/PID/stat field 22), so a
// recorded pid is only trusted while its start time matches (crun's status.c habit).
std::optional<uint64_t> process_start_time(pid_t pid);

// Signals pid only if it is still the process that started at `start_time` (0 = any):
// a pidfd is opened first, then the start time checked, then the signal sent through the
// pidfd, so a recycled pid is never hit. Returns false if it is gone or different.
bool signal_if_same(pid_t pid, uint64_t start_time, int sig);

}  // namespace podrun::sys
