// Pseudo-terminals and terminal modes (see tty.hpp).
#include "podrun/sys/tty.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

namespace {

// The slave of a master whose devpts we may not reach by path (TIOCGPTPEER, Linux 4.13:
// the kernel opens it through the master's own devpts mount).
UniqueFd peer_of(int master) {
    int fd = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) throw_errno("ioctl(TIOCGPTPEER)");
    return UniqueFd(fd);
}

}  // namespace

Pty open_pty_in(int root) {
    open_how how{};
    how.flags = O_RDWR | O_NOCTTY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT;  // absolute symlinks stay inside root
    long fd = ::syscall(SYS_openat2, root, "/dev/pts/ptmx", &how, sizeof how);
    if (fd < 0) throw_errno("openat2(<root>/dev/pts/ptmx)");
    Pty p;
    p.master.reset(static_cast<int>(fd));
    int unlock = 0;
    if (::ioctl(p.master.get(), TIOCSPTLCK, &unlock) < 0) throw_errno("ioctl(TIOCSPTLCK)");
    unsigned n = 0;
    if (::ioctl(p.master.get(), TIOCGPTN, &n) < 0) throw_errno("ioctl(TIOCGPTN)");
    p.name = "/dev/pts/" + std::to_string(n);
    p.slave = peer_of(p.master.get());
    return p;
}

Pty open_pty() {
    int fd = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) throw_errno("posix_openpt");
    Pty p;
    p.master.reset(fd);
    if (::grantpt(fd) < 0) throw_errno("grantpt");
    if (::unlockpt(fd) < 0) throw_errno("unlockpt");
    char name[64];
    if (::ptsname_r(fd, name, sizeof name) != 0) throw_errno("ptsname");
    p.name = name;
    p.slave = peer_of(fd);
    return p;
}

bool is_terminal(int fd) {
    return ::isatty(fd) == 1;
}

std::optional<WinSize> window_size(int fd) {
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) < 0) return std::nullopt;
    return WinSize{ws.ws_row, ws.ws_col};
}

void set_window_size(int fd, WinSize w) {
    winsize ws{};
    ws.ws_row = w.rows;
    ws.ws_col = w.cols;
    if (::ioctl(fd, TIOCSWINSZ, &ws) < 0) throw_errno("ioctl(TIOCSWINSZ)");
}

RawMode::RawMode(int fd, bool input) {
    if (::tcgetattr(fd, &saved_) < 0) throw_errno("tcgetattr(fd " + std::to_string(fd) + ")");
    termios raw = saved_;
    if (input) {
        ::cfmakeraw(&raw);
    } else {
        raw.c_oflag &= ~static_cast<tcflag_t>(OPOST);
    }
    if (::tcsetattr(fd, TCSANOW, &raw) < 0) throw_errno("tcsetattr(raw)");
    fd_ = fd;
}

RawMode::~RawMode() {
    // TCSADRAIN: what we wrote in raw mode is shown before the line discipline comes back.
    if (fd_ >= 0) ::tcsetattr(fd_, TCSADRAIN, &saved_);
}

}  // namespace podrun::sys
