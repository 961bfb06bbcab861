// openat2 confined to a tree, fsetxattr, a scoped cwd: for unpacking image layers.
#include "podrun/sys/beneath.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

UniqueFd open_beneath(int dirfd, const std::string& rel, int flags, int* err) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd =
        retry_eintr([&] { return ::syscall(SYS_openat2, dirfd, rel.empty() ? "." : rel.c_str(), &how, sizeof how); });
    if (fd < 0) {
        *err = errno;
        return UniqueFd();
    }
    *err = 0;
    return UniqueFd(static_cast<int>(fd));
}

void set_xattr(int fd, const std::string& name, const std::string& value) {
    if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0) throw_errno("fsetxattr(" + name + ")");
}

ScopedCwd::ScopedCwd(int dirfd) {
    old_ = UniqueFd(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!old_) throw_errno("open(. as the previous working directory)");
    if (::fchdir(dirfd) != 0) throw_errno("fchdir(layer directory)");
}

ScopedCwd::~ScopedCwd() {
    if (::fchdir(old_.get()) != 0) {
        // Nothing sensible to do in a destructor: the next relative path would be wrong,
        // so stop here rather than write somewhere unexpected.
        std::abort();
    }
}

}  // namespace podrun::sys

namespace podrun::sys {
UniqueFd open_in_root(int dirfd, const std::string& rel, int flags) {
    open_how how{};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = retry_eintr([&] { return ::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how); });
    if (fd < 0) throw_errno("openat2(" + rel + ", in root)");
    return UniqueFd(static_cast<int>(fd));
}
}  // namespace podrun::sys

#include <sys/file.h>

namespace podrun::sys {
bool flock_fd(int fd, bool exclusive, bool nonblock, const std::string& what) {
    int op = (exclusive ? LOCK_EX : LOCK_SH) | (nonblock ? LOCK_NB : 0);
    if (retry_eintr([&] { return ::flock(fd, op); }) == 0) return true;
    if (nonblock && errno == EWOULDBLOCK) return false;
    throw_errno(std::string("flock(") + what + (exclusive ? ", exclusive)" : ", shared)"));
}
}  // namespace podrun::sys

namespace podrun::sys {
std::optional<std::string> get_xattr(int fd, const std::string& name) {
    char buf[256];
    ssize_t n = ::fgetxattr(fd, name.c_str(), buf, sizeof buf);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
}
}  // namespace podrun::sys
