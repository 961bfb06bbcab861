// Locks on files and directories (see locks.hpp).
#include "podrun/sys/locks.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include <cstring>

#include "podrun/sys/error.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::sys {

namespace {
struct flock whole_file_write_lock() {
    struct flock fl;
    std::memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;  // l_start = l_len = 0: the whole file
    return fl;
}
}  // namespace

UniqueFd lock_file(const std::string& path, bool nonblock, bool create) {
    UniqueFd fd = open_file(path, O_RDWR | (create ? O_CREAT : 0), 0600);
    struct flock fl = whole_file_write_lock();
    int r = retry_eintr([&] { return ::fcntl(fd.get(), nonblock ? F_OFD_SETLK : F_OFD_SETLKW, &fl); });
    if (r < 0) {
        if (errno == EAGAIN || errno == EACCES) return UniqueFd();
        throw_errno("fcntl(" + path + ", F_OFD_SETLK)");
    }
    // And flock, which podrun used before (a lock of another kind, not seen by F_OFD_GETLK):
    // a supervisor of an older podrun holds only that, and must still count as running.
    r = retry_eintr([&] { return ::flock(fd.get(), LOCK_EX | (nonblock ? LOCK_NB : 0)); });
    if (r < 0) {
        if (errno == EWOULDBLOCK) return UniqueFd();
        throw_errno("flock(" + path + ")");
    }
    return fd;
}

bool lock_held(const std::string& path) {
    UniqueFd fd = open_file(path, O_RDONLY);
    struct flock fl = whole_file_write_lock();
    if (::fcntl(fd.get(), F_OFD_GETLK, &fl) < 0) throw_errno("fcntl(" + path + ", F_OFD_GETLK)");
    return fl.l_type != F_UNLCK;
}

UniqueFd lock_dir(const std::string& path, bool shared, bool nonblock) {
    UniqueFd fd = open_file(path, O_RDONLY | O_DIRECTORY);
    const int op = (shared ? LOCK_SH : LOCK_EX) | (nonblock ? LOCK_NB : 0);
    if (retry_eintr([&] { return ::flock(fd.get(), op); }) < 0) {
        if (nonblock && errno == EWOULDBLOCK) return UniqueFd();
        throw_errno("flock(" + path + ")");
    }
    return fd;
}

}  // namespace podrun::sys
