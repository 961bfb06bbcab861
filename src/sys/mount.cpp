// In-root resolution and fd-based mounts (see mount.hpp). Everything but attr_names and
// root_is_rootfs runs between fork and exec: raw syscalls on prepared strings, stack
// buffers only.
#include "podrun/sys/mount.hpp"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

static_assert(kResolveInRoot == RESOLVE_IN_ROOT && kResolveBeneath == RESOLVE_BENEATH &&
              kResolveNoMagiclinks == RESOLVE_NO_MAGICLINKS);
static_assert(kAttrRdonly == MOUNT_ATTR_RDONLY && kAttrNosuid == MOUNT_ATTR_NOSUID && kAttrNodev == MOUNT_ATTR_NODEV &&
              kAttrNoexec == MOUNT_ATTR_NOEXEC && kAttrStrictatime == MOUNT_ATTR_STRICTATIME);

static_assert(kMsNosuid == MS_NOSUID && kMsNodev == MS_NODEV && kMsNoexec == MS_NOEXEC && kMsBind == MS_BIND &&
              kMsRec == MS_REC && kMsPrivate == MS_PRIVATE && kMsSlave == MS_SLAVE);
static_assert(kCloneNewns == CLONE_NEWNS && kCloneNewcgroup == CLONE_NEWCGROUP);

std::string attr_names(uint64_t attr) {
    std::string out;
    const std::pair<uint64_t, const char*> names[] = {{kAttrRdonly, "RDONLY"},
                                                      {kAttrNosuid, "NOSUID"},
                                                      {kAttrNodev, "NODEV"},
                                                      {kAttrNoexec, "NOEXEC"},
                                                      {kAttrStrictatime, "STRICTATIME"}};
    for (auto& [bit, n] : names) {
        if (attr & bit) out += (out.empty() ? "MOUNT_ATTR_" : "|MOUNT_ATTR_") + std::string(n);
    }
    return out;
}

namespace {

int close_keep_errno(int fd) noexcept {
    int e = errno;
    if (fd >= 0) ::close(fd);
    errno = e;
    return 0;
}

// Copies rel without its leading slashes (in a base, "/x" and "x" are the same path).
int copy_rel(const char* rel, char* buf, size_t size) noexcept {
    while (*rel == '/') rel++;
    size_t n = std::strlen(rel);
    if (n >= size) return ENAMETOOLONG;
    std::memcpy(buf, rel, n + 1);
    while (n > 0 && buf[n - 1] == '/') buf[--n] = '\0';
    return 0;
}

// Splits buf in place into its parent (buf, "" for the base itself) and last component.
const char* split_last(char* buf) noexcept {
    char* slash = std::strrchr(buf, '/');
    if (!slash) {
        // The component moves right by one so that buf can be the empty parent.
        size_t n = std::strlen(buf);
        std::memmove(buf + 1, buf, n + 1);
        buf[0] = '\0';
        return buf + 1;
    }
    *slash = '\0';
    return slash + 1;
}

bool bad_component(const char* name) noexcept {
    return name[0] == '\0' || std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0;
}

// The parent directory of a path of base, as an O_PATH fd; the base itself is returned
// as is (owned = false).
int open_parent(int base, const char* parent, uint64_t resolve, bool* owned) noexcept {
    *owned = parent[0] != '\0';
    if (!*owned) return base;
    return open_in(base, parent, O_PATH | O_DIRECTORY, resolve);
}

}  // namespace

int open_in(int base, const char* rel, int flags, uint64_t resolve) noexcept {
    if (base < 0) {
        int fd = ::open(rel, flags | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }
    while (*rel == '/') rel++;
    open_how how;
    std::memset(&how, 0, sizeof how);
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = resolve;
    long fd = ::syscall(SYS_openat2, base, *rel ? rel : ".", &how, sizeof how);
    return fd < 0 ? -errno : static_cast<int>(fd);
}

namespace {

// Symlinks followed to make what a dangling one points to (the kernel's own limit, ELOOP).
constexpr int kMaxHops = 40;

// rel's last component is a symlink: where it points, as a path of base, into out - an
// absolute target from base's "/", a relative one from the link's directory (as the kernel
// resolves it with RESOLVE_IN_ROOT). EINVAL when it is no symlink.
int link_target_in(int base, const char* rel, uint64_t resolve, char* out, size_t size) noexcept {
    char buf[PATH_MAX];
    if (int e = copy_rel(rel, buf, sizeof buf)) return e;
    const char* name = split_last(buf);
    if (bad_component(name)) return EINVAL;
    bool owned = false;
    int parent = open_parent(base, buf, resolve, &owned);
    if (parent < 0) return -parent;
    char target[PATH_MAX];
    const ssize_t n = ::readlinkat(parent, name, target, sizeof target - 1);
    const int e = n < 0 ? errno : 0;
    if (owned) ::close(parent);
    if (e) return e;
    target[n] = '\0';
    if (target[0] == '/') return copy_rel(target, out, size);
    const size_t pl = std::strlen(buf);
    if (pl + 1 + static_cast<size_t>(n) + 1 > size) return ENAMETOOLONG;
    std::memcpy(out, buf, pl);
    size_t at = pl;
    if (pl > 0) out[at++] = '/';
    std::memcpy(out + at, target, static_cast<size_t>(n) + 1);
    return 0;
}

// One pass of mkdir -p over buf. 0 when done, an errno, or -1 with *at the length of the
// prefix of buf that is a dangling symlink (only inside a root: RESOLVE_IN_ROOT).
int mkdir_components(int base, char* buf, unsigned mode, uint64_t resolve, size_t* at) noexcept {
    const size_t n = std::strlen(buf);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') continue;
        const char saved = buf[i];
        buf[i] = '\0';
        int fd = open_in(base, buf, O_PATH | O_DIRECTORY, resolve);
        if (fd == -ENOENT) {
            // Make this component in its (already resolved) parent: mkdirat never follows
            // a symlink in the last component, so nothing is made outside the base.
            char* slash = std::strrchr(buf, '/');
            bool owned = slash != nullptr;
            const char* name = buf;
            int parent = base;
            if (slash) {
                *slash = '\0';
                parent = open_in(base, buf, O_PATH | O_DIRECTORY, resolve);
                *slash = '/';
                name = slash + 1;
                if (parent < 0) return -parent;
            }
            if (bad_component(name)) {
                if (owned) ::close(parent);
                return EINVAL;
            }
            int r = ::mkdirat(parent, name, mode);
            int e = errno;
            if (owned) ::close(parent);
            if (r < 0 && e != EEXIST) return e;
            // EEXIST here is a dangling symlink or a racing mkdir: the check below decides.
            fd = open_in(base, buf, O_PATH | O_DIRECTORY, resolve);
            if (fd == -ENOENT && r < 0 && (resolve & kResolveInRoot)) {
                buf[i] = saved;
                *at = i;
                return -1;
            }
        }
        if (fd < 0) return -fd;
        ::close(fd);
        buf[i] = saved;
    }
    return 0;
}

// Creates rel as an empty file (O_EXCL: never through a symlink); EEXIST if anything is there.
int create_excl(int base, const char* rel, unsigned mode, uint64_t resolve) noexcept {
    char buf[PATH_MAX];
    if (int e = copy_rel(rel, buf, sizeof buf)) return e;
    const char* name = split_last(buf);
    if (bad_component(name)) return EINVAL;
    bool owned = false;
    int parent = open_parent(base, buf, resolve, &owned);
    if (parent < 0) return -parent;
    int f = ::openat(parent, name, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
    int e = f < 0 ? errno : 0;
    if (f >= 0) ::close(f);
    if (owned) ::close(parent);
    return e;
}

}  // namespace

// A dangling symlink on the way (an image's `/data -> /nowhere/data`) is followed inside the
// root and what it points to is made there, as runc does (filepath-securejoin's MkdirAll):
// never on the host, and never a failed start.
int mkdir_p_in(int base, const char* rel, unsigned mode, uint64_t resolve) noexcept {
    // Nearly every call makes one directory under an existing parent, or none.
    int fd = open_in(base, rel, O_PATH | O_DIRECTORY, resolve);
    if (fd >= 0) return close_keep_errno(fd);
    if (fd != -ENOENT) return -fd;
    char buf[PATH_MAX], next[PATH_MAX];
    if (int e = copy_rel(rel, buf, sizeof buf)) return e;
    for (int hops = 0; hops <= kMaxHops; hops++) {
        size_t at = 0;
        int e = mkdir_components(base, buf, mode, resolve, &at);
        if (e >= 0) return e;
        // buf[0, at) is a dangling symlink: continue from where it points, the rest after it.
        const char saved = buf[at];
        buf[at] = '\0';
        e = link_target_in(base, buf, resolve, next, sizeof next);
        buf[at] = saved;
        if (e) return e;
        const size_t tl = std::strlen(next), rest = std::strlen(buf + at);
        if (tl + rest + 1 > sizeof next) return ENAMETOOLONG;
        std::memcpy(next + tl, buf + at, rest + 1);
        if (int c = copy_rel(next, buf, sizeof buf)) return c;
        if (buf[0] == '\0') return 0;  // it pointed at the root itself
    }
    return ELOOP;
}

// As for directories, a dangling symlink (`/etc/hosts -> /nowhere`) inside a root gets its
// target made inside it (parents too), as runc does; beneath a volume it stays EEXIST.
int touch_in(int base, const char* rel, unsigned mode, uint64_t resolve) noexcept {
    char cur[PATH_MAX], next[PATH_MAX];
    if (int e = copy_rel(rel, cur, sizeof cur)) return e;
    for (int hops = 0; hops <= kMaxHops; hops++) {
        int fd = open_in(base, cur, O_PATH, resolve);
        if (fd >= 0) return close_keep_errno(fd);
        if (fd != -ENOENT) return -fd;
        // O_EXCL never follows a symlink: a dangling one is EEXIST.
        int e = create_excl(base, cur, mode, resolve);
        if (e != EEXIST || !(resolve & kResolveInRoot)) return e;
        e = link_target_in(base, cur, resolve, next, sizeof next);
        if (e == EINVAL) continue;  // no symlink: made meanwhile by someone else; look again
        if (e) return e;
        if (next[0] == '\0') return EISDIR;  // it points at the root itself
        char parent[PATH_MAX];
        std::memcpy(parent, next, std::strlen(next) + 1);
        split_last(parent);
        if (parent[0] != '\0') {
            if (int m = mkdir_p_in(base, parent, 0755, resolve)) return m;
        }
        std::memcpy(cur, next, std::strlen(next) + 1);
    }
    return ELOOP;
}

int symlink_in(int base, const char* rel, const char* target, uint64_t resolve) noexcept {
    char buf[PATH_MAX];
    if (int e = copy_rel(rel, buf, sizeof buf)) return e;
    const char* name = split_last(buf);
    if (bad_component(name)) return EINVAL;
    bool owned = false;
    int parent = open_parent(base, buf, resolve, &owned);
    if (parent < 0) return -parent;
    int r = ::symlinkat(target, parent, name);
    int e = (r < 0 && errno != EEXIST) ? errno : 0;
    if (owned) ::close(parent);
    return e;
}

int chmod_in(int base, const char* rel, unsigned mode, uint64_t resolve) noexcept {
    int fd = open_in(base, rel, O_RDONLY | O_NOFOLLOW | O_NOCTTY, resolve);
    if (fd < 0) return -fd;
    int e = ::fchmod(fd, mode) < 0 ? errno : 0;
    ::close(fd);
    return e;
}

int new_mount_on(const char* fstype, const std::vector<std::pair<std::string, std::string>>& options, uint64_t attr,
                 int target_fd) noexcept {
    int fs = ::fsopen(fstype, FSOPEN_CLOEXEC);
    if (fs < 0) return errno;
    int e = 0;
    for (const auto& [k, v] : options) {
        int r = v.empty() ? ::fsconfig(fs, FSCONFIG_SET_FLAG, k.c_str(), nullptr, 0)
                          : ::fsconfig(fs, FSCONFIG_SET_STRING, k.c_str(), v.c_str(), 0);
        if (r < 0) {
            e = errno;
            break;
        }
    }
    if (e == 0 && ::fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) e = errno;
    int m = -1;
    if (e == 0) {
        m = ::fsmount(fs, FSMOUNT_CLOEXEC, static_cast<unsigned>(attr));
        if (m < 0) e = errno;
    }
    ::close(fs);
    if (e == 0 && ::move_mount(m, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) e = errno;
    if (m >= 0) ::close(m);
    return e;
}

int set_attr(int fd, uint64_t attr, bool recursive, uint64_t propagation) noexcept {
    mount_attr a;
    std::memset(&a, 0, sizeof a);
    a.attr_set = attr;
    a.propagation = propagation;
    return ::mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a) < 0 ? errno : 0;
}

int bind_on(int src_fd, const char* src_path, bool recursive, uint64_t attr, int target_fd,
            uint64_t propagation) noexcept {
    const unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0);
    int t = src_fd >= 0 ? ::open_tree(src_fd, "", flags | AT_EMPTY_PATH) : ::open_tree(AT_FDCWD, src_path, flags);
    if (t < 0) return errno;
    int e = attr || propagation ? set_attr(t, attr, true, propagation) : 0;
    if (e == 0 && ::move_mount(t, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) e = errno;
    ::close(t);
    return e;
}

int is_dir_fd(int fd) noexcept {
    struct stat st;
    if (::fstat(fd, &st) < 0) return -errno;
    return S_ISDIR(st.st_mode) ? 1 : 0;
}

int enter_root(bool no_pivot) noexcept {
    if (!no_pivot) {
        // pivot_root(".", "."): the old root is stacked under the new one and detached
        // right away (pivot_root(2), "new_root and put_old may be the same").
        if (::syscall(SYS_pivot_root, ".", ".") == 0) {
            if (::umount2(".", MNT_DETACH) < 0) return errno;
            return ::chdir("/") < 0 ? errno : 0;
        }
        if (errno != EINVAL) return errno;
    }
    // runc's --no-pivot: the new root (our cwd) moved over "/", then chroot into it.
    if (::mount(".", "/", nullptr, MS_MOVE, nullptr) < 0) return errno;
    if (::chroot(".") < 0) return errno;
    return ::chdir("/") < 0 ? errno : 0;
}

int join_pod(int pause_pidfd, uint64_t flags, int mnt_ns, int root) noexcept {
    if (flags && ::setns(pause_pidfd, static_cast<int>(flags)) < 0) return errno;
    if (mnt_ns >= 0 && ::setns(mnt_ns, CLONE_NEWNS) < 0) return errno;
    if (root >= 0 && ::fchdir(root) < 0) return -errno;
    return 0;
}

int chroot_tree(const char* path, uint64_t attr) noexcept {
    int t = ::open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
    if (t < 0) return errno;
    int e = attr ? set_attr(t, attr, true) : 0;
    if (e == 0 && (::fchdir(t) < 0 || ::chroot(".") < 0 || ::chdir("/") < 0)) e = errno;
    ::close(t);  // the root keeps the detached mount alive
    return e;
}

int send_fd(int sock, int fd) noexcept {
    char byte = 0;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    std::memset(control, 0, sizeof control);
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    return ::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? errno : 0;
}

int recv_fd(int sock) noexcept {
    char byte = 0;
    iovec iov{&byte, 1};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (n == 0 || !c || c->cmsg_type != SCM_RIGHTS) return -ENOMSG;
    int fd;
    std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

SocketPair make_socketpair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, fds) < 0) throw_errno("socketpair(AF_UNIX)");
    return SocketPair{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

UniqueFd receive_fd(int sock, const std::string& what) {
    int fd = recv_fd(sock);
    if (fd < 0) throw SysError(-fd, "recvmsg(" + what + ")");
    return UniqueFd(fd);
}

std::optional<std::string> symlink_target(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) < 0 || !S_ISLNK(st.st_mode)) return std::nullopt;
    char buf[PATH_MAX];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<size_t>(n));
}

std::string self_exe() {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

void set_volume_group(const std::string& path, int64_t gid, unsigned mode) {
    if (::chown(path.c_str(), static_cast<uid_t>(-1), static_cast<gid_t>(gid)) < 0) {
        throw_errno("chown(" + path + ", -1, " + std::to_string(gid) + ")");
    }
    if (::chmod(path.c_str(), mode) < 0) throw_errno("chmod(" + path + ")");
}

bool root_is_rootfs() {
    std::ifstream f("/proc/self/mountinfo");
    std::string line;
    while (std::getline(f, line)) {
        // id parent dev root mountpoint opts... - fstype source superopts
        size_t p = 0;
        for (int field = 0; field < 4 && p != std::string::npos; field++) p = line.find(' ', p + 1);
        if (p == std::string::npos || line.compare(p + 1, 2, "/ ") != 0) continue;
        size_t dash = line.find(" - ");
        if (dash != std::string::npos && line.compare(dash + 3, 7, "rootfs ") == 0) return true;
    }
    return false;
}

bool overlay_takes_lowerdir_plus() {
    static const bool yes = [] {
        int fs = ::fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs < 0) return false;
        // Older kernels answer EINVAL: an unknown parameter.
        const bool ok = ::fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", "/", 0) == 0;
        ::close(fs);
        return ok;
    }();
    return yes;
}

}  // namespace podrun::sys
