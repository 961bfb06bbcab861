// A helper started in a pod's network namespace (see spawn.hpp).
#include "podrun/sys/spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

namespace {
constexpr uid_t kNobody = 65534;  // nobody and nogroup on Debian
}  // namespace

ChildProcess spawn_in_netns(const std::string& path, const std::vector<std::string>& argv, int net_pidfd, int out_fd) {
    // Everything the child needs is made before the fork: it may only make raw calls.
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (auto& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    char* const env[] = {nullptr};
    UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null) throw SysError(errno, "open(/dev/null)");
    const pid_t parent = ::getpid();

    CloneResult r = clone3_fork(CloneArgs{});
    if (r.pid == 0) {
        // The supervisor blocks the signals it reads from a signalfd: its children would
        // inherit that mask through execve and never see SIGTERM.
        sigset_t none;
        sigemptyset(&none);
        if (::sigprocmask(SIG_SETMASK, &none, nullptr) < 0) ::_exit(126);
        if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || ::getppid() != parent) ::_exit(126);
        if (net_pidfd >= 0 && ::setns(net_pidfd, CLONE_NEWNET) < 0) ::_exit(126);
        if (::dup2(null.get(), 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(out_fd, 2) < 0) ::_exit(126);
        // The helper parses what a container answers: it runs as nobody, with no
        // capabilities and no way to gain any, so hostile bytes gain nothing of root's.
        if (::setgroups(0, nullptr) < 0 || ::setresgid(kNobody, kNobody, kNobody) < 0 ||
            ::setresuid(kNobody, kNobody, kNobody) < 0 || ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            ::_exit(126);
        // Nothing of the supervisor's (listeners, the state lock, pidfds) crosses.
        if (::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) ::_exit(126);
        ::execve(path.c_str(), args.data(), env);
        ::_exit(127);
    }
    return ChildProcess(r.pid, std::move(r.pidfd));
}

}  // namespace podrun::sys
