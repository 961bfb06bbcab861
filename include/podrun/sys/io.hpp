// Files, directories and event sources: the small syscall wrappers every room above sys
// uses (cgroupfs writes, state files, epoll/signalfd/timerfd, locks).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

std::string read_file(const std::string& path);                 // throws SysError
std::optional<std::string> try_read_file(const std::string& path);
void write_file(const std::string& path, const std::string& data);  // existing file, one write
// tmp + fsync + rename, so a reader never sees a half-written file (DESIGN.md section 7).
void write_file_atomic(const std::string& path, const std::string& data, unsigned mode = 0644);
void mkdir_p(const std::string& path, unsigned mode = 0755);
bool exists(const std::string& path);
void rename_path(const std::string& from, const std::string& to);  // ENOENT is fine
bool is_dir(const std::string& path);
void remove_tree(const std::string& path);  // rm -rf, staying on one filesystem
// rmdir(2); returns errno (0 on success, ENOENT counts as success).
int rmdir_errno(const std::string& path);
std::vector<std::string> list_dir(const std::string& path);  // names, without . and ..
UniqueFd open_dir(const std::string& path);                 // O_PATH|O_DIRECTORY|O_CLOEXEC
UniqueFd open_file(const std::string& path, int flags, unsigned mode = 0644);
void set_cloexec(int fd, bool on);
// An exclusive open-file-description lock on the whole file (fcntl F_OFD_SETLK[W]: like
// flock, held by the open file, shared with a forked child, gone when the last fd closes);
// with nonblock, returns an empty fd if someone else holds it. Without create, a missing
// file throws (ENOENT) instead of being made: probes of another pod's lock must not
// re-create a file its teardown has just removed.
UniqueFd lock_file(const std::string& path, bool nonblock, bool create = true);
// Whether lock_file's lock on `path` is held, asked with F_OFD_GETLK: nothing is taken, so
// a probe (ps, logs -f) can never make a concurrent lock_file fail. Throws if `path` is
// missing.
bool lock_held(const std::string& path);
// flock(LOCK_EX), or LOCK_SH, on a directory (a short critical section across processes);
// with nonblock, an empty fd if it is held otherwise.
UniqueFd lock_dir(const std::string& path, bool shared = false, bool nonblock = false);

// Self as subreaper (PR_SET_CHILD_SUBREAPER) and parent-death signal.
void set_child_subreaper();

struct Pipe {
    UniqueFd read_end, write_end;
};
Pipe make_pipe(int flags);

// epoll, signalfd and timerfd, each owned by a UniqueFd.
class Epoll {
public:
    Epoll();
    void add(int fd, uint64_t tag, uint32_t events = 0x001 /* EPOLLIN */);
    void modify(int fd, uint64_t tag, uint32_t events);
    void remove(int fd);
    struct Event {
        uint64_t tag;
        uint32_t events;
    };
    // timeout_ms -1 = forever; EINTR returns an empty list.
    std::vector<Event> wait(int timeout_ms);
    int fd() const { return fd_.get(); }

private:
    UniqueFd fd_;
};

// Blocks `signals` for this process and returns a signalfd reading them.
UniqueFd block_and_signalfd(const std::vector<int>& signals);
// Reads one pending signal from a signalfd; 0 if none.
int read_signal(int sfd);
// The same with who sent it: code is the siginfo si_code (SI_USER from kill(2), SI_KERNEL
// for a terminal's ^C sent to its foreground process group, ...).
struct SignalInfo {
    int signo = 0;  // 0 if none was pending
    int code = 0;
    pid_t pid = 0;
};
SignalInfo read_signal_info(int sfd);
void unblock_signals(const std::vector<int>& signals);

UniqueFd timerfd_after_ms(int64_t ms);           // one-shot, CLOCK_MONOTONIC
void timerfd_rearm_ms(int fd, int64_t ms);       // 0 disarms
void timerfd_drain(int fd);

int64_t monotonic_ms();
std::string now_rfc3339(bool nanos = false);  // UTC, e.g. 2026-11-27T21:00:00Z

}  // namespace podrun::sys

namespace podrun::sys {
void set_nonblock(int fd);
// One read(2) / write(2), for relaying bytes: the count moved; 0 at the end (end of file,
// EIO from a pty master whose terminal side is closed everywhere, EPIPE); -1 when a
// non-blocking fd would block. Throws SysError on other errors.
ssize_t read_some(int fd, char* buf, size_t n);
ssize_t write_some(int fd, const char* buf, size_t n);
// A random RFC 4122 version-4 UUID (metadata.uid), from getrandom(2).
std::string random_uuid();
}  // namespace podrun::sys

namespace podrun::sys {
// mkdir(2): true if created, false if it already existed; throws otherwise.
bool make_dir(const std::string& path, unsigned mode);
void change_mode(const std::string& path, unsigned mode);
}  // namespace podrun::sys

namespace podrun::sys {
// poll(2) for POLLPRI (cgroup.events, /proc/self/mounts change notification).
void wait_priority(int fd, int timeout_ms);
void sleep_ms(int ms);
}  // namespace podrun::sys

namespace podrun::sys {
// From /proc/self/mountinfo: is "/" a mount point? (Not after a plain chroot(2) into a
// directory.) And the visible mounts whose parent is not visible: the tops of the tree
// as this process sees it.
bool root_is_mount_point();
std::vector<std::string> top_mount_points();
bool is_mount_point_listed(const std::string& path);
// umount2(MNT_DETACH); errno or 0.
int detach_mount(const std::string& path);
}  // namespace podrun::sys
