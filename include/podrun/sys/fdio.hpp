// Bytes through file descriptors: pipes, O_NONBLOCK, one partial read or write for relays
// and loops, and whole writes and reads for small messages (readiness, reports).
#pragma once

#include <sys/types.h>

#include <cstddef>
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
// Whole messages on a blocking fd; both stop quietly at an error or the end.
void write_all(int fd, const std::string& data);
std::string read_to_eof(int fd);

}  // namespace podrun::sys
