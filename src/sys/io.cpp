// File, directory and event-source wrappers (see io.hpp).
#include "podrun/sys/io.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
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
        if (::unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) throw_errno(std::string("rmdir(") + name + ")");
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

void set_child_subreaper() {
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) throw_errno("prctl(PR_SET_CHILD_SUBREAPER)");
}

Pipe make_pipe(int flags) {
    int fds[2];
    if (::pipe2(fds, flags | O_CLOEXEC) < 0) throw_errno("pipe2");
    return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

Epoll::Epoll() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!fd_) throw_errno("epoll_create1");
}

void Epoll::add(int fd, uint64_t tag, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(fd_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) throw_errno("epoll_ctl(ADD, fd " + std::to_string(fd) + ")");
}

void Epoll::modify(int fd, uint64_t tag, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(fd_.get(), EPOLL_CTL_MOD, fd, &ev) < 0) throw_errno("epoll_ctl(MOD, fd " + std::to_string(fd) + ")");
}

void Epoll::remove(int fd) { ::epoll_ctl(fd_.get(), EPOLL_CTL_DEL, fd, nullptr); }

std::vector<Epoll::Event> Epoll::wait(int timeout_ms) {
    epoll_event evs[32];
    int n = ::epoll_wait(fd_.get(), evs, 32, timeout_ms);
    std::vector<Event> out;
    if (n < 0) {
        if (errno == EINTR) return out;
        throw_errno("epoll_wait");
    }
    for (int i = 0; i < n; i++) out.push_back({evs[i].data.u64, evs[i].events});
    return out;
}

UniqueFd block_and_signalfd(const std::vector<int>& signals) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals) sigaddset(&set, s);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0) throw_errno("sigprocmask");
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) throw_errno("signalfd");
    return UniqueFd(fd);
}

int read_signal(int sfd) {
    signalfd_siginfo si;
    ssize_t n = retry_eintr([&] { return ::read(sfd, &si, sizeof si); });
    if (n != sizeof si) return 0;
    return static_cast<int>(si.ssi_signo);
}

SignalInfo read_signal_info(int sfd) {
    signalfd_siginfo si;
    ssize_t n = retry_eintr([&] { return ::read(sfd, &si, sizeof si); });
    if (n != sizeof si) return {};
    return SignalInfo{static_cast<int>(si.ssi_signo), si.ssi_code, static_cast<pid_t>(si.ssi_pid)};
}

void unblock_signals(const std::vector<int>& signals) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals) sigaddset(&set, s);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

UniqueFd timerfd_after_ms(int64_t ms) {
    int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (fd < 0) throw_errno("timerfd_create");
    UniqueFd owner(fd);
    timerfd_rearm_ms(fd, ms);
    return owner;
}

void timerfd_rearm_ms(int fd, int64_t ms) {
    itimerspec its{};
    if (ms > 0) {
        its.it_value.tv_sec = ms / 1000;
        its.it_value.tv_nsec = (ms % 1000) * 1000000;
    }
    if (::timerfd_settime(fd, 0, &its, nullptr) < 0) throw_errno("timerfd_settime");
}

void timerfd_drain(int fd) {
    uint64_t n;
    ssize_t r = ::read(fd, &n, sizeof n);
    (void)r;
}

int64_t monotonic_ms() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

std::string now_rfc3339(bool nanos) {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    tm t{};
    ::gmtime_r(&ts.tv_sec, &t);
    char buf[64];
    size_t n = ::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    std::string out(buf, n);
    if (nanos) {
        char frac[16];
        std::snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
        out += frac;
    }
    return out + "Z";
}

}  // namespace podrun::sys

#include <sys/random.h>

namespace podrun::sys {

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

std::string random_uuid() {
    unsigned char b[16];
    if (::getrandom(b, sizeof b, 0) != sizeof b) throw_errno("getrandom");
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char out[37];
    std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return out;
}

}  // namespace podrun::sys

namespace podrun::sys {

bool make_dir(const std::string& path, unsigned mode) {
    if (::mkdir(path.c_str(), mode) == 0) return true;
    if (errno == EEXIST) return false;
    throw_errno("mkdir(" + path + ")");
}

void change_mode(const std::string& path, unsigned mode) {
    if (::chmod(path.c_str(), mode) < 0) throw_errno("chmod(" + path + ")");
}

}  // namespace podrun::sys

#include <poll.h>

namespace podrun::sys {
void wait_priority(int fd, int timeout_ms) {
    pollfd p{fd, POLLPRI, 0};
    ::poll(&p, 1, timeout_ms);
}

void sleep_ms(int ms) {
    timespec ts{ms / 1000, (ms % 1000) * 1000000L};
    retry_eintr([&] { return ::nanosleep(&ts, &ts); });
}
}  // namespace podrun::sys

#include <sys/mount.h>

#include <set>
#include <sstream>

namespace podrun::sys {

namespace {
struct MountEntry {
    int id = 0, parent = 0;
    std::string point;
};
std::vector<MountEntry> mount_entries() {
    std::vector<MountEntry> out;
    std::istringstream in(try_read_file("/proc/self/mountinfo").value_or(""));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        MountEntry e;
        std::string dev, root;
        f >> e.id >> e.parent >> dev >> root >> e.point;
        out.push_back(e);
    }
    return out;
}
}  // namespace

bool root_is_mount_point() {
    for (const auto& e : mount_entries()) {
        if (e.point == "/") return true;
    }
    return false;
}

std::vector<std::string> top_mount_points() {
    auto entries = mount_entries();
    std::set<int> ids;
    for (const auto& e : entries) ids.insert(e.id);
    std::vector<std::string> out;
    for (const auto& e : entries) {
        if (!ids.count(e.parent)) out.push_back(e.point);
    }
    return out;
}

bool is_mount_point_listed(const std::string& path) {
    for (const auto& e : mount_entries()) {
        if (e.point == path) return true;
    }
    return false;
}

int detach_mount(const std::string& path) { return ::umount2(path.c_str(), MNT_DETACH) < 0 ? errno : 0; }

}  // namespace podrun::sys
