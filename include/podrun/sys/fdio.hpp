// Bytes through file descriptors: pipes, O_NONBLOCK, one partial read or write for relays
// and loops, and whole writes and reads for small messages (readiness, reports).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

struct Pipe {
    UniqueFd read_end, write_end;
};
Pipe make_pipe(int flags);  // pipe2(flags | O_CLOEXEC)

void set_nonblock(int fd);
// One read(2) / write(2), for relaying bytes: the count moved; 0 at the end (end of file,
// EIO from a pty master whose terminal side is closed everywhere, EPIPE); -1 when a
// non-blocking fd would block. Throws SysError on other errors.
ssize_t read_some(int fd, char* buf, size_t n);
ssize_t write_some(int fd, const char* buf, size_t n);
// One write(2) to a file: the count written, or -errno (ENOSPC, EIO, ...) for the caller
// to report - a full disk under a container's log is no failure of the pod.
ssize_t write_or_errno(int fd, const char* buf, size_t n);
// ftruncate(2); throws SysError.
void truncate_fd(int fd, uint64_t size);
// What an unprivileged writer may still add on fd's filesystem (fstatvfs: f_bavail *
// f_frsize); nullopt where the filesystem keeps no count (f_blocks 0: devpts, proc).
std::optional<uint64_t> free_bytes(int fd);
// Whole messages on a blocking fd; both stop quietly at an error or the end.
void write_all(int fd, const std::string& data);
std::string read_to_eof(int fd);

// Writes to an inherited fd (our stdout) without blocking and without changing the flags
// of the open file description it shares with the shell: a pipe, FIFO or terminal is
// opened again through /proc/self/fd (a description of our own, O_NONBLOCK | O_NOCTTY); a
// socket gets O_NONBLOCK, given back on destruction; anything else (a regular file,
// /dev/null) is written as it is - it never waits for a reader - and is not pollable.
class NonBlockingWriter {
  public:
    explicit NonBlockingWriter(int fd);
    ~NonBlockingWriter();
    NonBlockingWriter(const NonBlockingWriter&) = delete;
    NonBlockingWriter& operator=(const NonBlockingWriter&) = delete;
    int fd() const { return own_ ? own_.get() : fd_; }
    bool pollable() const { return pollable_; }

  private:
    int fd_;
    UniqueFd own_;
    int restore_flags_ = -1;
    bool pollable_ = false;
};
// poll(2) for POLLOUT: whether fd is writable within timeout_ms.
bool wait_writable(int fd, int timeout_ms);
// Waits up to timeout_ms for fd to be readable (or at its end); false on timeout.
bool wait_readable(int fd, int timeout_ms);
// The identity and size of an open file or a path (fstat/stat): a follower tells a rotated
// log (another inode at the path) from a grown one.
struct FileId {
    uint64_t dev = 0, ino = 0, size = 0;
    bool operator==(const FileId& o) const { return dev == o.dev && ino == o.ino; }
};
std::optional<FileId> file_id(int fd);
std::optional<FileId> file_id(const std::string& path);

}  // namespace podrun::sys
