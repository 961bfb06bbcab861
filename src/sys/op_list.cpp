// The child-side executor of an OpList (see op_list.hpp). Everything in OpList::run runs
// between fork and exec: raw syscalls, no allocation, no exceptions, no logging.
#include "podrun/sys/op_list.hpp"

#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "podrun/sys/child_steps.hpp"
#include "podrun/sys/confine.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/mount.hpp"
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

const std::vector<std::pair<std::string, std::string>> kNoOptions;

// The directory an op's path is resolved in (a slot), or -1 for a plain path.
int base_of(const Op& op, const int* slots) noexcept {
    return op.in >= 0 && op.in < kSlots ? slots[op.in] : -1;
}
uint64_t resolve_of(const Op& op) noexcept {
    return op.resolve ? op.resolve : kInRoot;
}

// The mount target b of an op, opened (O_PATH) in its slot or as a plain path.
int open_target(const Op& op, const int* slots) noexcept {
    return open_in(base_of(op, slots), op.b.c_str(), O_PATH, resolve_of(op));
}

int run_bind(const Op& op, const int* slots) noexcept {
    const bool rec = op.flags & MS_REC;
    const int src = op.src >= 0 && op.src < kSlots ? slots[op.src] : -1;
    if (op.make_target) {
        int s = src >= 0 ? src : open_in(-1, op.a.c_str(), O_PATH, 0);
        if (s < 0) return -s;
        int dir = is_dir_fd(s);
        if (src < 0) ::close(s);
        if (dir < 0) return -dir;
        int e = dir ? (op.in >= 0 ? mkdir_p_in(base_of(op, slots), op.b.c_str(), 0755, resolve_of(op))
                                  : mkdir_p(op.b.c_str(), 0755))
                    : (op.in >= 0 ? touch_in(base_of(op, slots), op.b.c_str(), 0644, resolve_of(op))
                                  : touch_in(-1, op.b.c_str(), 0644, 0));
        if (e) return e;
    }
    int t = open_target(op, slots);
    if (t < 0) return -t;
    int e = bind_on(src, op.a.c_str(), rec, op.attr, t, op.propagation);
    ::close(t);
    return e;
}

int run_mask(const Op& op, const int* slots) noexcept {
    int t = open_target(op, slots);
    if (t == -ENOENT) return 0;  // this kernel has no such file: nothing to hide
    if (t < 0) return -t;
    int dir = is_dir_fd(t);
    int e = dir < 0 ? -dir
            : dir   ? new_mount_on("tmpfs", kNoOptions, kAttrRdonly | kAttrNosuid | kAttrNodev | kAttrNoexec, t)
                    : bind_on(-1, "/dev/null", false, 0, t);
    ::close(t);
    return e;
}

int run_readonly_self(const Op& op, const int* slots) noexcept {
    int t = open_target(op, slots);
    if (t == -ENOENT) return 0;
    if (t < 0) return -t;
    int e = bind_on(t, nullptr, true, kAttrRdonly, t);
    ::close(t);
    return e;
}

int run_one(const Op& op, int* slots) noexcept {
    const char* a = op.a.c_str();
    const int base = base_of(op, slots);
    const bool in = op.in >= 0;
    switch (op.kind) {
        case OpKind::Mkdir:
            if (in) {
                int fd = open_in(base, a, O_PATH | O_DIRECTORY, resolve_of(op));
                if (fd >= 0) {
                    ::close(fd);
                    return 0;
                }
                return mkdir_p_in(base, a, op.mode, resolve_of(op));
            }
            return (mkdir(a, op.mode) < 0 && errno != EEXIST) ? errno : 0;
        case OpKind::MkdirP:
            return in ? mkdir_p_in(base, a, op.mode, resolve_of(op)) : mkdir_p(a, op.mode);
        case OpKind::Chmod:
            if (in) return chmod_in(base, a, op.mode, resolve_of(op));
            return chmod(a, op.mode) < 0 ? errno : 0;
        case OpKind::Touch: {
            if (in) {
                int e = touch_in(base, a, op.mode, resolve_of(op));
                return e == EISDIR ? 0 : e;
            }
            // O_RDONLY: an existing file on a read-only mount is fine as a bind target. (Not
            // mknod, one call fewer: open follows a symlink in an image, mknod would not.)
            int fd = open(a, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, op.mode);
            if (fd < 0) return errno == EISDIR ? 0 : errno;
            close(fd);
            return 0;
        }
        case OpKind::Symlink:
            if (in) return symlink_in(base, a, op.b.c_str(), resolve_of(op));
            return (symlink(op.b.c_str(), a) < 0 && errno != EEXIST) ? errno : 0;
        case OpKind::Mount:
            return mount(op.a.empty() ? nullptr : a, op.b.c_str(), op.c.empty() ? nullptr : op.c.c_str(), op.flags,
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
            // flags != 0: no pivot_root (detected by the parent), MS_MOVE + chroot at once.
            return enter_root(op.flags != 0);
        case OpKind::WriteFile:
            return write_all(a, op.d);
        case OpKind::CreateFile:
            return create_file(a, op.d, op.mode);
        case OpKind::Chroot:
            return chroot(a) < 0 ? errno : 0;
        case OpKind::CloseRange:
            return syscall(SYS_close_range, static_cast<unsigned>(op.flags), ~0U, 0) < 0 ? errno : 0;
        case OpKind::Fchdir:
            return fchdir(in ? base : op.fd) < 0 ? errno : 0;
        case OpKind::ChrootTree:
            return chroot_tree(a, op.attr);
        case OpKind::Open: {
            if (op.out < 0 || op.out >= kSlots) return EBADF;
            int fd = open_in(base, a, static_cast<int>(op.flags), resolve_of(op));
            if (fd == -ENOENT && op.make_target) {
                // A missing subPath is made as a directory (the kubelet does the same).
                if (int e = in ? mkdir_p_in(base, a, op.mode, resolve_of(op)) : mkdir_p(a, op.mode)) return e;
                fd = open_in(base, a, static_cast<int>(op.flags), resolve_of(op));
            }
            if (fd < 0) return -fd;
            if (slots[op.out] >= 0) ::close(slots[op.out]);
            slots[op.out] = fd;
            return 0;
        }
        case OpKind::NewMount: {
            int t = open_target(op, slots);
            if (t < 0) return -t;
            int e = new_mount_on(op.c.c_str(), op.options, op.attr, t);
            ::close(t);
            return e;
        }
        case OpKind::Bind:
            return run_bind(op, slots);
        case OpKind::SetAttr: {
            if (op.b.empty()) return base >= 0 ? set_attr(base, op.attr, op.flags & MS_REC) : EBADF;
            int t = open_target(op, slots);
            if (t < 0) return -t;
            int e = set_attr(t, op.attr, op.flags & MS_REC);
            ::close(t);
            return e;
        }
        case OpKind::Mask:
            return run_mask(op, slots);
        case OpKind::ReadOnlySelf:
            return run_readonly_self(op, slots);
        case OpKind::Mknod: {
            if (!in) return mknod(a, op.mode, static_cast<dev_t>(op.flags)) < 0 && errno != EEXIST ? errno : 0;
            char buf[PATH_MAX];
            size_t n = std::strlen(a);
            if (n >= sizeof buf) return ENAMETOOLONG;
            std::memcpy(buf, a, n + 1);
            char* slash = std::strrchr(buf, '/');
            if (!slash) return EINVAL;
            *slash = '\0';
            int parent = open_in(base, buf, O_PATH | O_DIRECTORY, resolve_of(op));
            if (parent < 0) return -parent;
            int r = mknodat(parent, slash + 1, op.mode, static_cast<dev_t>(op.flags));
            int e = (r < 0 && errno != EEXIST) ? errno : 0;
            ::close(parent);
            return e;
        }
        case OpKind::SendFd: {
            int fd = open_in(-1, a, static_cast<int>(op.flags), 0);
            if (fd < 0) return -fd;
            int e = send_fd(op.fd, fd);
            ::close(fd);
            return e;
        }
    }
    return EINVAL;
}

}  // namespace

StepFailure OpList::run(size_t begin, size_t end) const noexcept {
    int slots[kSlots];
    for (int& s : slots) s = -1;
    StepFailure f{-1, 0};
    for (size_t i = begin; i < end && i < ops_.size(); i++) {
        int err = run_one(ops_[i], slots);
        if (err != 0 && !ops_[i].optional) {
            f = StepFailure{static_cast<int>(i), err};
            break;
        }
    }
    for (int s : slots) {
        if (s >= 0) ::close(s);
    }
    return f;
}

void add_root_mount(sys::OpList& ops) {
    // pivot_root(2) needs "/" to be a mount with a parent: not so in a chroot (a directory)
    // or on an initramfs (the rootfs has no parent). A recursive bind of "/" onto itself,
    // entered through "/.." (a ".." at the root lands on the root's dentry and crosses into
    // the mount now stacked there), gives one; pivot_root then detaches the rest as usual,
    // so /proc/PID/root/.. cannot climb out (which a plain MS_MOVE + chroot would allow).
    ops.add(Op{OpKind::Mount, "/", "/", "", "", MS_BIND | MS_REC, 0, -1, false,
               "no pivot_root from here (a chroot or an initramfs): \"/\" bound onto itself, recursively, "
               "so it becomes a mount of its own"});
    ops.add(
        Op{OpKind::Chdir, "/..", "", "", "", 0, 0, -1, false, "onto that new mount (\"..\" of the root lands on it)"});
    ops.add(
        Op{OpKind::Chroot, ".", "", "", "", 0, 0, -1, false, "the new mount becomes our root: pivot_root works now"});
}

std::string OpList::hint(int tag, int err) const {
    if (tag < 0 || static_cast<size_t>(tag) >= ops_.size()) return "";
    const Op& op = ops_[static_cast<size_t>(tag)];
    return op.hint_errno == 0 || op.hint_errno == err ? op.hint : "";
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
    // A path in a slot is shown after what the slot holds: "<root>/etc/hosts".
    auto at = [&](const std::string& p) {
        if (op.in < 0) return p;
        return op.in_name + (p.empty() || p[0] == '/' ? "" : "/") + p;
    };
    const char* how = (op.in >= 0 && (op.resolve & kResolveBeneath)) ? ", resolved beneath it"
                      : op.in >= 0                                   ? ", resolved in the root"
                                                                     : "";
    switch (op.kind) {
        case OpKind::Mkdir:
        case OpKind::MkdirP:
            return "mkdir(" + at(op.a) + how + ")";
        case OpKind::Touch:
            return "create(" + at(op.a) + how + ")";
        case OpKind::Chmod: {
            char m[8];
            std::snprintf(m, sizeof m, "%04o", op.mode);
            return "chmod(" + at(op.a) + ", " + m + ")";
        }
        case OpKind::Symlink:
            return "symlink(" + at(op.a) + " -> " + op.b + ")";
        case OpKind::Mount: {
            if (op.flags & (MS_PRIVATE | MS_SLAVE | MS_SHARED)) {
                const char* kind = op.flags & MS_SLAVE ? "MS_SLAVE" : op.flags & MS_SHARED ? "MS_SHARED" : "MS_PRIVATE";
                return std::string("mount(") + (op.flags & MS_REC ? "MS_REC|" : "") + kind + " on " + op.b + ")";
            }
            if (op.flags & MS_REMOUNT) {
                return "mount(MS_REMOUNT|MS_BIND" + std::string(op.flags & MS_RDONLY ? "|MS_RDONLY" : "") + " on " +
                       op.b + ")";
            }
            if (op.flags & MS_BIND)
                return "mount(MS_BIND" + std::string(op.flags & MS_REC ? "|MS_REC " : " ") + op.a + " on " + op.b + ")";
            return "mount(" + op.c + " on " + op.b + (op.d.empty() ? "" : ", \"" + op.d + "\"") + ")";
        }
        case OpKind::Unshare:
            return "unshare(" + op.a + ")";
        case OpKind::Setns:
            return "setns(" + op.a + ")";
        case OpKind::Sethostname:
            return "sethostname(" + op.a + ")";
        case OpKind::LoopbackUp:
            return "ioctl(SIOCSIFFLAGS, lo up)";
        case OpKind::Chdir:
            return "chdir(" + op.a + ")";
        case OpKind::PivotRoot:
            return op.flags ? "mount(MS_MOVE " + op.a + " on /); chroot(.)"
                            : "pivot_root(" + op.a + ") (on EINVAL: mount(MS_MOVE . on /); chroot(.))";
        case OpKind::WriteFile:
            return "write(" + op.a + ", \"" + op.d + "\")";
        case OpKind::CreateFile:
            return "create(" + op.a + ", " + std::to_string(op.d.size()) + " bytes)";
        case OpKind::Chroot:
            return "chroot(" + op.a + ")";
        case OpKind::CloseRange:
            return "close_range(" + std::to_string(op.flags) + ", ~0)";
        case OpKind::Fchdir:
            return "fchdir(" + (op.in >= 0 ? op.in_name : op.a) + ")";
        case OpKind::Open:
            if (op.make_target) {
                return "mkdir(" + at(op.a) + ") if missing, then open it" + how + " -> slot " + std::to_string(op.out);
            }
            return "open(" + at(op.a) + how + ") -> slot " + std::to_string(op.out);
        case OpKind::NewMount: {
            std::string opts;
            for (const auto& [k, v] : op.options) opts += (opts.empty() ? "" : ",") + k + (v.empty() ? "" : "=" + v);
            std::string attrs = attr_names(op.attr);
            return "fsopen(" + op.c + ")" + (opts.empty() ? "" : " {" + opts + "}") + ", fsmount(" +
                   (attrs.empty() ? "0" : attrs) + "), move_mount(on " + at(op.b) + how + ")";
        }
        case OpKind::Bind: {
            std::string attrs = attr_names(op.attr);
            if (op.propagation)
                attrs += std::string(attrs.empty() ? "" : "|") +
                         (op.propagation == MS_SLAVE ? "propagation MS_SLAVE" : "propagation MS_PRIVATE");
            std::string from = op.src >= 0 ? "slot " + std::to_string(op.src) + " (" + op.a + ")" : op.a;
            return std::string("open_tree(") + from + ", OPEN_TREE_CLONE" + (op.flags & MS_REC ? "|AT_RECURSIVE" : "") +
                   ")" + (attrs.empty() ? "" : ", mount_setattr(AT_RECURSIVE, " + attrs + ")") + ", move_mount(on " +
                   at(op.b) + how + ")";
        }
        case OpKind::SetAttr:
            return std::string("mount_setattr(") + (op.b.empty() ? op.in_name : at(op.b)) +
                   (op.flags & MS_REC ? ", AT_RECURSIVE, " : ", ") + attr_names(op.attr) + ")";
        case OpKind::Mask:
            return "mask(" + at(op.b) + ": a directory gets an empty read-only tmpfs, a file /dev/null)";
        case OpKind::ReadOnlySelf:
            return "open_tree(" + at(op.b) +
                   ", OPEN_TREE_CLONE|AT_RECURSIVE), mount_setattr(MOUNT_ATTR_RDONLY), "
                   "move_mount(onto itself)";
        case OpKind::Mknod:
            return "mknod(" + at(op.a) + how + ")";
        case OpKind::SendFd:
            return "open(" + op.a + "), sendmsg(SCM_RIGHTS) to the supervisor";
        case OpKind::ChrootTree:
            return "open_tree(" + op.a + ", OPEN_TREE_CLONE), mount_setattr(" + attr_names(op.attr) +
                   "), fchdir, chroot(.)";
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
                          const StartHere* placement, const ChildConfinement* confine) noexcept {
    // A session of its own: a terminal's signals (Ctrl-C, SIGHUP) reach only podrun, which
    // turns them into the grace protocol, and the process has no controlling terminal.
    if (::setsid() < 0) {
        ReportPipe::send(report_fd, {kStepSetsid, errno});
        _exit(fail_code);
    }
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
    // Only stdin, stdout and stderr cross the exec: every other fd (the caller's, ours) is
    // closed by it, while the CLOEXEC report pipe stays usable up to the exec itself.
    // Before the confinement: its seccomp filter is the last step before execve.
    if (int e = child_cloexec_from(3)) {
        ReportPipe::send(report_fd, {kStepCloexec, e});
        _exit(fail_code);
    }
    if (confine) {
        ConfineFailure cf = apply_confinement(*confine, parent_pidfd);
        if (cf.step != 0) {
            ReportPipe::send(report_fd, {cf.step, cf.err});
            _exit(fail_code);
        }
    }
    int e = exec.exec();
    ReportPipe::send(report_fd, {kStepExec, e});
    _exit(127);
}

}  // namespace podrun::sys
