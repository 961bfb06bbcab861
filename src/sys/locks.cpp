// flock(2) on files and directories (see locks.hpp).
#include "podrun/sys/locks.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include "podrun/sys/files.hpp"

#include "podrun/sys/error.hpp"

namespace podrun::sys {

UniqueFd lock_file(const std::string& path, bool nonblock, bool create) {
    UniqueFd fd = open_file(path, O_RDWR | (create ? O_CREAT : 0), 0600);
    int r = retry_eintr([&] { return ::flock(fd.get(), LOCK_EX | (nonblock ? LOCK_NB : 0)); });
    if (r < 0) {
        if (errno == EWOULDBLOCK) return UniqueFd();
        throw_errno("flock(" + path + ")");
    }
    return fd;
}

UniqueFd lock_dir(const std::string& path) {
    UniqueFd fd = open_file(path, O_RDONLY | O_DIRECTORY);
    if (retry_eintr([&] { return ::flock(fd.get(), LOCK_EX); }) < 0) throw_errno("flock(" + path + ")");
    return fd;
}

}  // namespace podrun::sys
