// clone3, pidfds and child handles (see process.hpp).
#include "podrun/sys/process.hpp"

#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

long clone3_raw(uint64_t flags, int cgroup_fd, int* pidfd_out) noexcept {
    clone_args ca;
    std::memset(&ca, 0, sizeof ca);
    ca.flags = flags;
    if (pidfd_out) {
        ca.flags |= CLONE_PIDFD;
        ca.pidfd = reinterpret_cast<uint64_t>(pidfd_out);
    }
    if (cgroup_fd >= 0) {
        ca.flags |= CLONE_INTO_CGROUP;
        ca.cgroup = static_cast<uint64_t>(cgroup_fd);
    }
    // clone3 refuses an exit signal with CLONE_PARENT: the child inherits ours (SIGCHLD,
    // since we were forked), and reports to our parent (kernel/fork.c, clone3_args_valid).
    ca.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
    long r = syscall(SYS_clone3, &ca, sizeof ca);
    return r < 0 ? -errno : r;
}

StartHere::StartHere() noexcept {
    CPU_ZERO(&saved_);
    if (::sched_getaffinity(0, sizeof saved_, &saved_) < 0 || CPU_COUNT(&saved_) < 2) return;
    int cpu = ::sched_getcpu();
    if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &saved_)) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    // Failing costs only the placement: the start itself does not depend on it.
    pinned_ = ::sched_setaffinity(0, sizeof one, &one) == 0;
    cpu_ = cpu;
}

StartHere::~StartHere() {
    if (pinned_) ::sched_setaffinity(0, sizeof saved_, &saved_);
}

int StartHere::restore_in_child() const noexcept {
    if (!pinned_) return 0;
    // Made into a cgroup with a cpuset of its own (CLONE_INTO_CGROUP), the child was given
    // that cpuset's CPUs by the kernel instead of our pin: that is its mask, leave it.
    cpu_set_t now;
    CPU_ZERO(&now);
    if (::sched_getaffinity(0, sizeof now, &now) < 0) return errno;
    if (CPU_COUNT(&now) != 1 || !CPU_ISSET(cpu_, &now)) return 0;
    cpu_set_t others = saved_;
    CPU_CLR(cpu_, &others);
    // Best effort: a cpuset may forbid the others; the mask we had is what matters.
    ::sched_setaffinity(0, sizeof others, &others);
    return ::sched_setaffinity(0, sizeof saved_, &saved_) < 0 ? errno : 0;
}

ChildStack::ChildStack(size_t bytes) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    size_ = (bytes + page - 1) / page * page;
    map_size_ = size_ + page;
    map_ = ::mmap(nullptr, map_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (map_ == MAP_FAILED) {
        map_ = nullptr;
        throw_errno("mmap(child stack)");
    }
    if (::mprotect(map_, page, PROT_NONE) < 0) {
        int e = errno;
        ::munmap(map_, map_size_);
        throw SysError(e, "mprotect(child stack guard)");
    }
    base_ = static_cast<char*>(map_) + page;
}

ChildStack::~ChildStack() {
    if (map_) ::munmap(map_, map_size_);
}

// AddressSanitizer keeps shadow state for every stack frame; a child writing that state into
// our memory (CLONE_VM) would leave it stale here. Sanitizer builds copy memory as before.
#if defined(__SANITIZE_ADDRESS__)
static constexpr int kShareMemory = 0;
#else
static constexpr int kShareMemory = CLONE_VM;
#endif

int vfork_call(int (*fn)(void*), void* arg, const ChildStack& stack) {
    // glibc's clone(2) wrapper switches to the new stack and calls fn there (a raw vfork
    // would run the child on our own stack frames).
    int pid = ::clone(fn, stack.top(), kShareMemory | CLONE_VFORK | SIGCHLD, arg);
    if (pid < 0) throw_errno("clone(CLONE_VM|CLONE_VFORK)");
    // The child has released our memory (CLONE_VFORK): reap it.
    siginfo_t si;
    std::memset(&si, 0, sizeof si);
    if (retry_eintr([&] { return waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED); }) < 0) {
        throw_errno("waitid(pid " + std::to_string(pid) + ")");
    }
    return si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
}

#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define PODRUN_CLONE3_TRAMPOLINE 1
// clone3(args, size), then in the child fn(arg) on the new stack and exit_group(fn's value);
// the parent gets the pid or -errno. glibc has such a trampoline (__clone3) but does not
// export it; a C caller cannot switch stacks itself. r8 and r9 survive the syscall (only
// rcx and r11 are clobbered), and the child starts with the caller's registers and
// rsp = stack + stack_size (16-byte aligned: call then leaves the ABI's alignment).
extern "C" long podrun_clone3_call(clone_args* args, size_t size, int (*fn)(void*), void* arg);
asm(R"(
    .pushsection .text
    .globl podrun_clone3_call
    .hidden podrun_clone3_call
    .type podrun_clone3_call, @function
podrun_clone3_call:
    endbr64
    mov %rdx, %r8
    mov %rcx, %r9
    mov $435, %eax
    syscall
    test %rax, %rax
    jz 1f
    ret
1:  xor %ebp, %ebp
    mov %r9, %rdi
    call *%r8
    mov %eax, %edi
    mov $231, %eax
    syscall
    hlt
    .size podrun_clone3_call, .-podrun_clone3_call
    .popsection
)");
static_assert(SYS_clone3 == 435 && SYS_exit_group == 231, "x86-64 syscall numbers in the trampoline");
#endif

long clone3_run(uint64_t flags, int cgroup_fd, int (*fn)(void*), void* arg, const ChildStack& stack) noexcept {
#if defined(PODRUN_CLONE3_TRAMPOLINE)
    clone_args ca;
    std::memset(&ca, 0, sizeof ca);
    ca.flags = flags | CLONE_VM | CLONE_VFORK;
    if (cgroup_fd >= 0) {
        ca.flags |= CLONE_INTO_CGROUP;
        ca.cgroup = static_cast<uint64_t>(cgroup_fd);
    }
    // See clone3_raw on CLONE_PARENT and exit_signal.
    ca.exit_signal = (flags & CLONE_PARENT) ? 0 : SIGCHLD;
    ca.stack = reinterpret_cast<uint64_t>(stack.base());
    ca.stack_size = stack.size() & ~static_cast<size_t>(15);
    return podrun_clone3_call(&ca, sizeof ca, fn, arg);
#else
    (void)stack;
    long pid = clone3_raw(flags, cgroup_fd, nullptr);
    if (pid == 0) _exit(fn(arg));
    return pid;
#endif
}

CloneResult clone3_fork(const CloneArgs& args) {
    int pidfd = -1;
    long r = clone3_raw(args.flags, args.cgroup_fd, args.want_pidfd ? &pidfd : nullptr);
    if (r < 0) {
        throw SysError(static_cast<int>(-r), "clone3");
    }
    CloneResult res;
    res.pid = static_cast<pid_t>(r);
    if (r > 0 && args.want_pidfd) res.pidfd.reset(pidfd);
    return res;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept : pid_(std::exchange(o.pid_, -1)), pidfd_(std::move(o.pidfd_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
    if (this != &o) {
        kill_and_wait();
        pid_ = std::exchange(o.pid_, -1);
        pidfd_ = std::move(o.pidfd_);
    }
    return *this;
}

ChildProcess::~ChildProcess() {
    kill_and_wait();
}

bool ChildProcess::signal(int sig) const {
    if (pid_ <= 0) return false;
    if (pidfd_) return syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0) == 0;
    return ::kill(pid_, sig) == 0;
}

static ExitStatus decode(const siginfo_t& si) {
    ExitStatus st;
    if (si.si_code == CLD_EXITED) {
        st.code = si.si_status;
    } else {
        st.signaled = true;
        st.code = si.si_status;
    }
    return st;
}

std::optional<ExitStatus> ChildProcess::try_wait() {
    if (pid_ <= 0) return std::nullopt;
    siginfo_t si;
    std::memset(&si, 0, sizeof si);
    int r = retry_eintr([&] { return waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOHANG); });
    if (r < 0) throw_errno("waitid(pid " + std::to_string(pid_) + ")");
    if (si.si_pid == 0) return std::nullopt;
    pid_ = -1;
    pidfd_.reset();
    return decode(si);
}

ExitStatus ChildProcess::wait() {
    siginfo_t si;
    std::memset(&si, 0, sizeof si);
    int r = retry_eintr([&] { return waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED); });
    if (r < 0) throw_errno("waitid(pid " + std::to_string(pid_) + ")");
    pid_ = -1;
    pidfd_.reset();
    return decode(si);
}

void ChildProcess::kill_and_wait() {
    if (pid_ <= 0) return;
    signal(SIGKILL);
    siginfo_t si;
    retry_eintr([&] { return waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED); });
    pid_ = -1;
    pidfd_.reset();
}

pid_t ChildProcess::release() {
    pidfd_.reset();
    return std::exchange(pid_, -1);
}

UniqueFd pidfd_open(pid_t pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) throw_errno("pidfd_open(pid " + std::to_string(pid) + ")");
    return UniqueFd(static_cast<int>(fd));
}

ChildProcess adopt_child(pid_t pid) {
    try {
        return ChildProcess(pid, pidfd_open(pid));
    } catch (const SysError&) {
        ::kill(pid, SIGKILL);
        siginfo_t si;
        std::memset(&si, 0, sizeof si);
        retry_eintr([&] { return waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED); });
        throw;
    }
}

bool pidfd_exited(int pidfd, int timeout_ms) {
    pollfd p{pidfd, POLLIN, 0};
    return retry_eintr([&] { return ::poll(&p, 1, timeout_ms); }) != 0;  // readable, or broken: not a live process
}

int reap_untracked(bool (*is_tracked)(pid_t, void*), void* ctx) {
    // Re-parented orphans show up in our children list (we are a subreaper); tracked
    // children are left to their owner, who reaps them through their pidfd.
    std::ifstream f("/proc/self/task/" + std::to_string(getpid()) + "/children");
    int n = 0;
    pid_t pid;
    while (f >> pid) {
        if (is_tracked(pid, ctx)) continue;
        siginfo_t si;
        std::memset(&si, 0, sizeof si);
        if (waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG) == 0 && si.si_pid != 0) n++;
    }
    return n;
}

pid_t reap_any() {
    siginfo_t si;
    std::memset(&si, 0, sizeof si);
    if (retry_eintr([&] { return waitid(P_ALL, 0, &si, WEXITED); }) < 0) {
        if (errno == ECHILD) return 0;
        throw_errno("waitid(P_ALL)");
    }
    return si.si_pid;
}

std::optional<uint64_t> process_start_time(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(f, line)) return std::nullopt;
    // comm (field 2) may hold spaces and parentheses: parse after the last ')'.
    auto p = line.rfind(')');
    if (p == std::string::npos) return std::nullopt;
    std::istringstream rest(line.substr(p + 2));
    std::string field;
    // Fields 3..21 precede starttime (22).
    for (int i = 3; i <= 21; i++) rest >> field;
    uint64_t start = 0;
    if (!(rest >> start)) return std::nullopt;
    return start;
}

bool signal_if_same(pid_t pid, uint64_t start_time, int sig) {
    if (pid <= 0) return false;
    long fd = syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) return false;
    UniqueFd owner(static_cast<int>(fd));
    auto st = process_start_time(pid);
    if (!st || (start_time != 0 && *st != start_time)) return false;
    return syscall(SYS_pidfd_send_signal, owner.get(), sig, nullptr, 0) == 0;
}

void set_child_subreaper() {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_CHILD_SUBREAPER)");
}

}  // namespace podrun::sys
