// Files and directories (see files.hpp).
#include "podrun/sys/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

std::optional<std::string> try_read_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    UniqueFd owner(fd);
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = retry_eintr([&] { return ::read(fd, buf, sizeof buf); });
        if (n < 0) return std::nullopt;
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

std::string read_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("open(" + path + ")");
    UniqueFd owner(fd);
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = retry_eintr([&] { return ::read(fd, buf, sizeof buf); });
        if (n < 0) throw_errno("read(" + path + ")");
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

void write_file(const std::string& path, const std::string& data) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) throw_errno("open(" + path + ")");
    UniqueFd owner(fd);
    // cgroupfs and procfs files take one write(2) per value.
    ssize_t n = retry_eintr([&] { return ::write(fd, data.data(), data.size()); });
    if (n < 0) throw_errno("write(" + path + ", \"" + data + "\")");
}

void rewrite_file_at(int dir_fd, const std::string& name, const std::string& data, const std::string& what) {
    int fd = ::openat(dir_fd, name.c_str(), O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw_errno("open(" + what + ")");
    UniqueFd owner(fd);
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = retry_eintr([&] { return ::write(fd, data.data() + off, data.size() - off); });
        if (n < 0) throw_errno("write(" + what + ")");
        off += static_cast<size_t>(n);
    }
}

void write_file_atomic(const std::string& path, const std::string& data, unsigned mode) {
    std::string tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) throw_errno("open(" + tmp + ")");
    UniqueFd owner(fd);
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = retry_eintr([&] { return ::write(fd, data.data() + off, data.size() - off); });
        if (n < 0) throw_errno("write(" + tmp + ")");
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd) < 0) throw_errno("fsync(" + tmp + ")");
    owner.reset();
    if (::rename(tmp.c_str(), path.c_str()) < 0) throw_errno("rename(" + tmp + ", " + path + ")");
}

void mkdir_p(const std::string& path, unsigned mode) {
    std::string cur;
    size_t i = 0;
    while (i <= path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        cur = path.substr(0, j);
        if (!cur.empty() && ::mkdir(cur.c_str(), mode) < 0 && errno != EEXIST) {
            throw_errno("mkdir(" + cur + ")");
        }
        i = j + 1;
    }
}

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

void rename_path(const std::string& from, const std::string& to) {
    if (::rename(from.c_str(), to.c_str()) < 0 && errno != ENOENT) throw_errno("rename(" + from + ", " + to + ")");
}

void remove_file(const std::string& path) {
    if (::unlink(path.c_str()) < 0 && errno != ENOENT) throw_errno("unlink(" + path + ")");
}

bool is_dir(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

static void remove_tree_at(int dirfd, const char* name, dev_t dev) {
    struct stat st;
    if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return;
    if (S_ISDIR(st.st_mode)) {
        // Never cross into another filesystem: a mount left inside is a bug to report,
        // not content to delete.
        if (st.st_dev != dev) throw SysError(EBUSY, std::string("remove_tree: mount point at ") + name);
        int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) throw_errno(std::string("open(") + name + ")");
        DIR* d = ::fdopendir(fd);
        if (!d) {
            ::close(fd);
            throw_errno("fdopendir");
        }
        std::vector<std::string> names;
        while (dirent* e = ::readdir(d)) {
            if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.push_back(e->d_name);
        }
        for (auto& n : names) remove_tree_at(::dirfd(d), n.c_str(), dev);
        ::closedir(d);
        if (::unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
            throw_errno(std::string("rmdir(") + name + ")");
    } else {
        if (::unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) throw_errno(std::string("unlink(") + name + ")");
    }
}

void remove_tree(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) < 0) return;
    remove_tree_at(AT_FDCWD, path.c_str(), st.st_dev);
}

int rmdir_errno(const std::string& path) {
    if (::rmdir(path.c_str()) < 0 && errno != ENOENT) return errno;
    return 0;
}

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> out;
    DIR* d = ::opendir(path.c_str());
    if (!d) return out;
    while (dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) out.emplace_back(e->d_name);
    }
    ::closedir(d);
    return out;
}

UniqueFd open_dir(const std::string& path) {
    int fd = ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("open(" + path + ")");
    return UniqueFd(fd);
}

UniqueFd open_file(const std::string& path, int flags, unsigned mode) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) throw_errno("open(" + path + ")");
    return UniqueFd(fd);
}

void set_cloexec(int fd, bool on) {
    int fl = ::fcntl(fd, F_GETFD);
    if (fl < 0) throw_errno("fcntl(F_GETFD)");
    ::fcntl(fd, F_SETFD, on ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC));
}

bool make_dir(const std::string& path, unsigned mode) {
    if (::mkdir(path.c_str(), mode) == 0) return true;
    if (errno == EEXIST) return false;
    throw_errno("mkdir(" + path + ")");
}

void change_mode(const std::string& path, unsigned mode) {
    if (::chmod(path.c_str(), mode) < 0) throw_errno("chmod(" + path + ")");
}

std::optional<FileKind> file_kind(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0) return std::nullopt;
    if (S_ISDIR(st.st_mode)) return FileKind::Directory;
    if (S_ISREG(st.st_mode)) return FileKind::Regular;
    if (S_ISSOCK(st.st_mode)) return FileKind::Socket;
    if (S_ISCHR(st.st_mode)) return FileKind::CharDevice;
    if (S_ISBLK(st.st_mode)) return FileKind::BlockDevice;
    return FileKind::Other;
}

int create_file(const std::string& path, unsigned mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, mode);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
}

bool executable(const std::string& path) {
    return ::access(path.c_str(), X_OK) == 0;
}

}  // namespace podrun::sys
