// Bytes through file descriptors: pipes, flags, partial and whole reads and writes (see fdio.hpp).
#include "podrun/sys/fdio.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

Pipe make_pipe(int flags) {
    int fds[2];
    if (::pipe2(fds, flags | O_CLOEXEC) < 0) throw_errno("pipe2");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void set_nonblock(int fd) {
    int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) throw_errno("fcntl(O_NONBLOCK)");
}

ssize_t read_some(int fd, char* buf, size_t n) {
    ssize_t r = retry_eintr([&] { return ::read(fd, buf, n); });
    if (r >= 0) return r;
    if (errno == EAGAIN) return -1;
    if (errno == EIO) return 0;  // pty master: no terminal side left open (pty(7))
    throw_errno("read(fd " + std::to_string(fd) + ")");
}

ssize_t write_some(int fd, const char* buf, size_t n) {
    ssize_t r = retry_eintr([&] { return ::write(fd, buf, n); });
    if (r >= 0) return r;
    if (errno == EAGAIN) return -1;
    if (errno == EIO || errno == EPIPE) return 0;
    throw_errno("write(fd " + std::to_string(fd) + ")");
}

void write_all(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = retry_eintr([&] { return ::write(fd, data.data() + off, data.size() - off); });
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

std::string read_to_eof(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = retry_eintr([&] { return ::read(fd, buf, sizeof buf); });
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

}  // namespace podrun::sys
