// Calls for writing inside a directory tree that holds untrusted content (image layers):
// opening with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), extended attributes on an
// fd, and a scoped working directory (libarchive's disk writer resolves against the cwd).
#pragma once

#include <optional>
#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

// openat2(dirfd, rel, flags|O_CLOEXEC, RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS):
// no component may be a symlink, nothing outside dirfd is reached. Returns an invalid fd
// and sets *err (ELOOP for a symlink on the way, EXDEV for an escape, ENOENT) on failure.
UniqueFd open_beneath(int dirfd, const std::string& rel, int flags, int* err);

// fsetxattr(2); throws SysError naming the attribute.
void set_xattr(int fd, const std::string& name, const std::string& value);

// fchdir(2) into dir for the scope, back to the previous cwd at its end.
class ScopedCwd {
  public:
    explicit ScopedCwd(int dirfd);
    ~ScopedCwd();
    ScopedCwd(const ScopedCwd&) = delete;
    ScopedCwd& operator=(const ScopedCwd&) = delete;

  private:
    UniqueFd old_;
};

}  // namespace podrun::sys

namespace podrun::sys {
// openat2(dirfd, rel, flags|O_CLOEXEC, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS): symlinks are
// followed, but as if dirfd were "/" - nothing outside it is reached. Throws SysError.
UniqueFd open_in_root(int dirfd, const std::string& rel, int flags);
}  // namespace podrun::sys

namespace podrun::sys {
// flock(2) on an open file, shared or exclusive; with nonblock returns false when held
// elsewhere. Throws SysError otherwise.
bool flock_fd(int fd, bool exclusive, bool nonblock, const std::string& what);
}  // namespace podrun::sys

namespace podrun::sys {
// fgetxattr(2) into a small buffer; nullopt when the attribute is absent (or unreadable).
std::optional<std::string> get_xattr(int fd, const std::string& name);
}  // namespace podrun::sys
