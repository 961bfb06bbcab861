// Terminals: pseudo-terminal pairs, raw mode and window sizes, for `podrun exec -t`.
#pragma once

#include <termios.h>

#include <optional>
#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

struct Pty {
    UniqueFd master;   // ours: relayed to and from our own terminal (CLOEXEC, O_NOCTTY)
    UniqueFd slave;    // the program's stdio and controlling terminal (CLOEXEC, O_NOCTTY)
    std::string name;  // /dev/pts/N as seen where the devpts instance is mounted at /dev/pts
};

// A pty of the devpts instance at <root>/dev/pts, the path resolved as if `root` (an
// O_PATH directory fd) were "/" (openat2 RESOLVE_IN_ROOT): a container's own devpts, so the
// program inside finds its terminal at /dev/pts/N. The slave is opened through the master
// (TIOCGPTPEER), never by path. Throws SysError (ENOENT: no devpts there).
Pty open_pty_in(int root);
// A pty of our own /dev/ptmx (posix_openpt, grantpt, unlockpt, ptsname).
Pty open_pty();

bool is_terminal(int fd);

struct WinSize {
    unsigned short rows = 0, cols = 0;
};
// TIOCGWINSZ; nullopt if fd is not a terminal.
std::optional<WinSize> window_size(int fd);
// TIOCSWINSZ: on a pty master, the kernel sends SIGWINCH to the terminal's foreground group.
void set_window_size(int fd, WinSize ws);

// Puts a terminal in raw mode (cfmakeraw: no echo, no line editing, no ^C -> SIGINT: every
// byte goes through) and restores its settings on scope exit. With input = false only the
// output side is raw (no OPOST: a pty's "\r\n" is not made "\r\r\n" again) and ^C still
// signals us.
class RawMode {
  public:
    explicit RawMode(int fd, bool input = true);
    ~RawMode();
    RawMode(const RawMode&) = delete;
    RawMode& operator=(const RawMode&) = delete;

  private:
    int fd_ = -1;
    termios saved_{};
};

}  // namespace podrun::sys
