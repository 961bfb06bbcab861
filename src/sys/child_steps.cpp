// The last steps of a child before exec (see child_steps.hpp).
#include "podrun/sys/child_steps.hpp"
#include "podrun/sys/confine.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace podrun::sys {

const char* child_step_name(int step) {
    switch (step) {
        case kStepSetns:
            return "setns(pause pidfd; the pod's mount namespace)";
        case kStepClone:
            return "clone3(into the pod)";
        case kStepExec:
            return "execve";
        case kStepStdio:
            return "dup2(stdio)";
        case kStepSignals:
            return "sigprocmask(unblock)";
        case kStepPdeathsig:
            return "prctl(PR_SET_PDEATHSIG)";
        case kStepRechroot:
            return "fchdir(podrun's root) after setns under a chroot";
        case kStepCtty:
            return "setsid + ioctl(TIOCSCTTY)";
        case kStepCloexec:
            return "close_range(3, ~0, CLOSE_RANGE_CLOEXEC)";
        case kStepAffinity:
            return "sched_setaffinity(the supervisor's CPUs)";
        case kStepSetsid:
            return "setsid";
        default: {
            const char* c = confine_step_name(step);
            return c ? c : "setup step";
        }
    }
}

ExecPlan::ExecPlan(std::vector<std::string> argv, std::vector<std::string> env, const std::string& path_var)
    : argv_(std::move(argv)), env_(std::move(env)) {
    const std::string& prog = argv_.empty() ? std::string() : argv_[0];
    if (prog.find('/') != std::string::npos) {
        candidates_.push_back(prog);
    } else {
        // execvp(3) semantics: each PATH entry in order, empty entry = current directory.
        size_t i = 0;
        while (i <= path_var.size()) {
            size_t j = path_var.find(':', i);
            if (j == std::string::npos) j = path_var.size();
            std::string dir = path_var.substr(i, j - i);
            candidates_.push_back((dir.empty() ? "." : dir) + "/" + prog);
            i = j + 1;
        }
    }
    for (auto& a : argv_) cargv_.push_back(a.data());
    cargv_.push_back(nullptr);
    for (auto& e : env_) cenv_.push_back(e.data());
    cenv_.push_back(nullptr);
}

int ExecPlan::exec() const noexcept {
    if (exec_fd_ >= 0) {
        syscall(SYS_execveat, exec_fd_, "", cargv_.data(), cenv_.data(), AT_EMPTY_PATH);
        return errno;
    }
    int saved = ENOENT;
    for (const auto& c : candidates_) {
        execve(c.c_str(), cargv_.data(), cenv_.data());
        // Like execvp: remember a permission problem, keep looking past "not found".
        if (errno != ENOENT && errno != ENOTDIR) saved = errno;
    }
    return saved;
}

int child_stdio(int in, int out, int err) noexcept {
    int fds[3] = {in, out, err};
    for (int i = 0; i < 3; i++) {
        if (fds[i] < 0 || fds[i] == i) continue;
        if (dup2(fds[i], i) < 0) return errno;
    }
    return 0;
}

int child_default_signals() noexcept {
    struct sigaction sa {};
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        sigaction(s, &sa, nullptr);  // EINVAL for reserved realtime signals is fine
    }
    sigset_t none;
    sigemptyset(&none);
    return sigprocmask(SIG_SETMASK, &none, nullptr) < 0 ? errno : 0;
}

int child_pdeathsig(int sig, int expected_parent) noexcept {
    if (prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) < 0) return errno;
    // The parent may have died between fork and prctl: then nobody would signal us.
    if (expected_parent > 0 && getppid() != expected_parent) return ESRCH;
    return 0;
}

int child_pdeathsig_pidfd(int sig, int parent_pidfd) noexcept {
    if (prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) < 0) return errno;
    pollfd p{parent_pidfd, POLLIN, 0};
    if (poll(&p, 1, 0) != 0) return ESRCH;  // readable (exited) or broken: do not run orphaned
    return 0;
}

int child_controlling_tty(int fd) noexcept {
    if (setsid() < 0) return errno;
    return ioctl(fd, TIOCSCTTY, 0) < 0 ? errno : 0;
}

int child_new_session() noexcept {
    return setsid() < 0 ? errno : 0;
}

int child_cloexec_from(unsigned first) noexcept {
    return syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0 ? errno : 0;
}

}  // namespace podrun::sys
