// A detached supervisor: fork into a new session, its stderr into a file (see daemon.hpp).
#include "podrun/sys/daemon.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

Detached fork_detached() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) throw_errno("pipe2(readiness)");
    UniqueFd rd(fds[0]), wr(fds[1]);
    pid_t pid = ::fork();
    if (pid < 0) throw_errno("fork(detached supervisor)");
    Detached d;
    if (pid == 0) {
        rd.reset();
        ::setsid();  // no controlling terminal: a Ctrl-C in the caller's shell is not ours
        int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull >= 0) {
            ::dup2(devnull, 0);
            ::dup2(devnull, 1);
            ::close(devnull);
        }
        if (::chdir("/") < 0) throw_errno("chdir(/)");
        d.child = true;
        d.channel = std::move(wr);
        return d;
    }
    d.pid = pid;
    d.channel = std::move(rd);
    return d;
}

void redirect_stderr(const std::string& file) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return;
    ::dup2(fd, 2);
    ::close(fd);
}

}  // namespace podrun::sys
