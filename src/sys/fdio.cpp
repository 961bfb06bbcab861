// Bytes through file descriptors: pipes, flags, partial and whole reads and writes (see fdio.hpp).
#include "podrun/sys/fdio.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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

ssize_t write_or_errno(int fd, const char* buf, size_t n) {
    ssize_t r = retry_eintr([&] { return ::write(fd, buf, n); });
    return r >= 0 ? r : -errno;
}

void truncate_fd(int fd, uint64_t size) {
    if (retry_eintr([&] { return ::ftruncate(fd, static_cast<off_t>(size)); }) < 0)
        throw_errno("ftruncate(fd " + std::to_string(fd) + ", " + std::to_string(size) + ")");
}

std::optional<uint64_t> free_bytes(int fd) {
    struct statvfs st {};
    if (::fstatvfs(fd, &st) < 0 || st.f_blocks == 0) return std::nullopt;
    return static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
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

NonBlockingWriter::NonBlockingWriter(int fd) : fd_(fd) {
    struct stat st {};
    if (::fstat(fd, &st) < 0) return;
    if (S_ISFIFO(st.st_mode) || (S_ISCHR(st.st_mode) && ::isatty(fd))) {
        // A new open file description of the same pipe or terminal: O_NONBLOCK on it leaves
        // the shell's description (and whoever else shares it) blocking.
        const std::string self = "/proc/self/fd/" + std::to_string(fd);
        int own = ::open(self.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (own >= 0) {
            own_.reset(own);
            pollable_ = true;
        }
        return;
    }
    if (S_ISSOCK(st.st_mode)) {
        int fl = ::fcntl(fd, F_GETFL);
        if (fl >= 0 && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0) {
            restore_flags_ = fl;
            pollable_ = true;
        }
    }
}

NonBlockingWriter::~NonBlockingWriter() {
    if (restore_flags_ >= 0) ::fcntl(fd_, F_SETFL, restore_flags_);
}

bool wait_writable(int fd, int timeout_ms) {
    pollfd p{fd, POLLOUT, 0};
    return retry_eintr([&] { return ::poll(&p, 1, timeout_ms); }) > 0 && (p.revents & POLLOUT);
}

bool wait_readable(int fd, int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    return retry_eintr([&] { return ::poll(&p, 1, timeout_ms); }) > 0;
}

static FileId to_id(const struct stat& st) {
    return FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                  static_cast<uint64_t>(st.st_size)};
}

std::optional<FileId> file_id(int fd) {
    struct stat st {};
    if (::fstat(fd, &st) < 0) return std::nullopt;
    return to_id(st);
}

std::optional<FileId> file_id(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) return std::nullopt;
    return to_id(st);
}

}  // namespace podrun::sys
