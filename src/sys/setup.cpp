// The child-side executor of setup ops (see setup.hpp). Everything in OpList::run runs
// between fork and exec: raw syscalls, no allocation, no exceptions, no logging.
#include "podrun/sys/setup.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "podrun/sys/error.hpp"
#include "podrun/sys/exec.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::sys {

namespace {

int mkdir_p(const char* path, unsigned mode) noexcept {
    // Nearly every call makes one directory under an existing parent (a container's root is
    // built top-down): try the whole path first, and walk it from "/" only on ENOENT.
    if (mkdir(path, mode) == 0 || errno == EEXIST) return 0;
    if (errno != ENOENT) return errno;
    char buf[PATH_MAX];
    size_t n = std::strlen(path);
    if (n == 0 || n >= sizeof buf) return ENAMETOOLONG;
    std::memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char saved = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, mode) < 0 && errno != EEXIST) return errno;
            buf[i] = saved;
        }
    }
    return 0;
}

int loopback_up() noexcept {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return errno;
    ifreq ifr;
    std::memset(&ifr, 0, sizeof ifr);
    std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
    int err = 0;
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
        err = errno;
    } else {
        ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) err = errno;
    }
    close(s);
    return err;
}

int write_all(const char* path, const std::string& data) noexcept {
    int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return errno;
    ssize_t w = write(fd, data.data(), data.size());
    int err = (w < 0) ? errno : (static_cast<size_t>(w) != data.size() ? EIO : 0);
    close(fd);
    return err;
}

int create_file(const char* path, const std::string& data, unsigned mode) noexcept {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, mode);
    if (fd < 0) return errno;
    ssize_t w = write(fd, data.data(), data.size());
    int err = (w < 0) ? errno : (static_cast<size_t>(w) != data.size() ? EIO : 0);
    close(fd);
    return err;
}

int run_one(const Op& op) noexcept {
    const char* a = op.a.c_str();
    switch (op.kind) {
        case OpKind::Mkdir:
            return (mkdir(a, op.mode) < 0 && errno != EEXIST) ? errno : 0;
        case OpKind::MkdirP:
            return mkdir_p(a, op.mode);
        case OpKind::Chmod:
            return chmod(a, op.mode) < 0 ? errno : 0;
        case OpKind::Touch: {
            // O_RDONLY: an existing file on a read-only mount is fine as a bind target. (Not
            // mknod, one call fewer: open follows a symlink in an image, mknod would not.)
            int fd = open(a, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, op.mode);
            if (fd < 0) return errno == EISDIR ? 0 : errno;
            close(fd);
            return 0;
        }
        case OpKind::Symlink:
            return (symlink(op.b.c_str(), a) < 0 && errno != EEXIST) ? errno : 0;
        case OpKind::Mount:
            return mount(op.a.empty() ? nullptr : a, op.b.c_str(),
                         op.c.empty() ? nullptr : op.c.c_str(), op.flags,
                         op.d.empty() ? nullptr : op.d.c_str()) < 0
                       ? errno
                       : 0;
        case OpKind::Unshare:
            return unshare(static_cast<int>(op.flags)) < 0 ? errno : 0;
        case OpKind::Setns:
            return setns(op.fd, static_cast<int>(op.flags)) < 0 ? errno : 0;
        case OpKind::Sethostname:
            return sethostname(a, op.a.size()) < 0 ? errno : 0;
        case OpKind::LoopbackUp:
            return loopback_up();
        case OpKind::Chdir:
            return chdir(a) < 0 ? errno : 0;
        case OpKind::PivotRoot:
            // pivot_root(".", "."): the old root ends up stacked under the new one and is
            // detached right away (pivot_root(2), "new_root and put_old may be the same").
            if (syscall(SYS_pivot_root, ".", ".") < 0) return errno;
            if (umount2(".", MNT_DETACH) < 0) return errno;
            return chdir("/") < 0 ? errno : 0;
        case OpKind::WriteFile:
            return write_all(a, op.d);
        case OpKind::CreateFile:
            return create_file(a, op.d, op.mode);
        case OpKind::Chroot:
            return chroot(a) < 0 ? errno : 0;
        case OpKind::CloseRange:
            return syscall(SYS_close_range, static_cast<unsigned>(op.flags), ~0U, 0) < 0 ? errno : 0;
        case OpKind::Fchdir:
            return fchdir(op.fd) < 0 ? errno : 0;
    }
    return EINVAL;
}

}  // namespace

StepFailure OpList::run(size_t begin, size_t end) const noexcept {
    for (size_t i = begin; i < end && i < ops_.size(); i++) {
        int err = run_one(ops_[i]);
        if (err != 0 && !ops_[i].optional) return StepFailure{static_cast<int>(i), err};
    }
    return StepFailure{-1, 0};
}

std::string OpList::step_text(int tag) const {
    if (tag >= 0) return describe(static_cast<size_t>(tag));
    return child_step_name(tag);
}

LaunchReport read_launch_report(int read_fd) {
    LaunchReport out;
    for (const auto& r : ReportPipe::read_all(read_fd)) {
        if (r.tag == ReportPipe::kValueTag) {
            auto pid = static_cast<pid_t>(r.value);
            out.process = adopt_child(pid);
        } else if (!out.failure) {
            out.failure = r;
        }
    }
    if (out.failure) out.process.kill_and_wait();
    return out;
}

std::string OpList::describe(size_t i) const {
    if (i >= ops_.size()) return "step " + std::to_string(i);
    const Op& op = ops_[i];
    switch (op.kind) {
        case OpKind::Mkdir:
        case OpKind::MkdirP: return "mkdir(" + op.a + ")";
        case OpKind::Touch: return "create(" + op.a + ")";
        case OpKind::Chmod: {
            char m[8];
            std::snprintf(m, sizeof m, "%04o", op.mode);
            return "chmod(" + op.a + ", " + m + ")";
        }
        case OpKind::Symlink: return "symlink(" + op.a + " -> " + op.b + ")";
        case OpKind::Mount: {
            if (op.flags & (MS_PRIVATE | MS_SLAVE | MS_SHARED)) {
                return std::string("mount(") + (op.flags & MS_REC ? "MS_REC|" : "") + "MS_PRIVATE on " + op.b + ")";
            }
            if (op.flags & MS_REMOUNT) {
                return "mount(MS_REMOUNT|MS_BIND" + std::string(op.flags & MS_RDONLY ? "|MS_RDONLY" : "") + " on " + op.b + ")";
            }
            if (op.flags & MS_BIND) return "mount(MS_BIND" + std::string(op.flags & MS_REC ? "|MS_REC " : " ") + op.a + " on " + op.b + ")";
            return "mount(" + op.c + " on " + op.b + (op.d.empty() ? "" : ", \"" + op.d + "\"") + ")";
        }
        case OpKind::Unshare: return "unshare(" + op.a + ")";
        case OpKind::Setns: return "setns(" + op.a + ")";
        case OpKind::Sethostname: return "sethostname(" + op.a + ")";
        case OpKind::LoopbackUp: return "ioctl(SIOCSIFFLAGS, lo up)";
        case OpKind::Chdir: return "chdir(" + op.a + ")";
        case OpKind::PivotRoot: return "pivot_root(" + op.a + ")";
        case OpKind::WriteFile: return "write(" + op.a + ", \"" + op.d + "\")";
        case OpKind::CreateFile: return "create(" + op.a + ", " + std::to_string(op.d.size()) + " bytes)";
        case OpKind::Chroot: return "chroot(" + op.a + ")";
        case OpKind::CloseRange: return "close_range(" + std::to_string(op.flags) + ", ~0)";
        case OpKind::Fchdir: return "fchdir(" + op.a + ")";
    }
    return "?";
}

ReportPipe ReportPipe::make() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) < 0) throw_errno("pipe2(report pipe)");
    return ReportPipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void ReportPipe::send(int fd, StepFailure f) noexcept {
    Record r{f.step, f.err};
    ssize_t w = write(fd, &r, sizeof r);  // <= PIPE_BUF: atomic
    (void)w;
}

void ReportPipe::send_value(int fd, int32_t tag, int64_t value) noexcept {
    Record r{tag, value};
    ssize_t w = write(fd, &r, sizeof r);
    (void)w;
}

std::vector<ReportPipe::Record> ReportPipe::read_all(int fd) {
    std::vector<Record> out;
    for (;;) {
        Record r;
        ssize_t n = retry_eintr([&] { return read(fd, &r, sizeof r); });
        if (n < 0) throw_errno("read(report pipe)");
        if (n == 0) break;
        if (n != sizeof r) break;  // a torn record cannot happen for <= PIPE_BUF writes
        out.push_back(r);
    }
    return out;
}

void child_setup_and_exec(int report_fd, int parent_pidfd, const OpList& ops, const ExecPlan& exec, int fail_code,
                          const StartHere* placement) noexcept {
    if (parent_pidfd >= 0) {
        if (int e = child_pdeathsig_pidfd(SIGKILL, parent_pidfd)) {
            ReportPipe::send(report_fd, {kStepPdeathsig, e});
            _exit(fail_code);
        }
    }
    StepFailure f = ops.run(0, ops.size());
    if (f.step >= 0) {
        ReportPipe::send(report_fd, f);
        _exit(fail_code);
    }
    if (int e = child_default_signals()) {
        ReportPipe::send(report_fd, {kStepSignals, e});
        _exit(fail_code);
    }
    if (placement) {
        if (int e = placement->restore_in_child()) {
            ReportPipe::send(report_fd, {kStepAffinity, e});
            _exit(fail_code);
        }
    }
    int e = exec.exec();
    ReportPipe::send(report_fd, {kStepExec, e});
    _exit(127);
}

}  // namespace podrun::sys
