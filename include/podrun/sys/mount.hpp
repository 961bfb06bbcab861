// Paths resolved inside a root, and mounts made through fds (STYLE.md example 13): the
// child-side primitives the setup ops use between fork and exec. Every function here is a
// few raw syscalls on caller-provided strings (no allocation, no exceptions) and returns 0
// or an errno; those returning an fd return it, or -errno.
//
// A path "in" a base fd is resolved with that fd as "/" (openat2 RESOLVE_IN_ROOT: ".." and
// absolute symlinks stop at the base) or beneath it (RESOLVE_BENEATH: leaving it is EXDEV),
// and never through /proc magic links (RESOLVE_NO_MAGICLINKS). A symlink in an image or a
// volume can therefore not make podrun create, open or mount anything outside.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

// RESOLVE_* (linux/openat2.h), repeated so that callers need not include kernel headers.
inline constexpr uint64_t kResolveInRoot = 0x10;        // RESOLVE_IN_ROOT
inline constexpr uint64_t kResolveBeneath = 0x08;       // RESOLVE_BENEATH
inline constexpr uint64_t kResolveNoMagiclinks = 0x02;  // RESOLVE_NO_MAGICLINKS
inline constexpr uint64_t kInRoot = kResolveInRoot | kResolveNoMagiclinks;
inline constexpr uint64_t kBeneath = kResolveBeneath | kResolveNoMagiclinks;

// MOUNT_ATTR_* (mount_setattr(2), fsmount(2)), repeated for the same reason.
inline constexpr uint64_t kAttrRdonly = 0x01;
inline constexpr uint64_t kAttrNosuid = 0x02;
inline constexpr uint64_t kAttrNodev = 0x04;
inline constexpr uint64_t kAttrNoexec = 0x08;
inline constexpr uint64_t kAttrStrictatime = 0x20;
std::string attr_names(uint64_t attr);
// mount(2) and clone(2) flags the op lists use (only sys/ includes the kernel's headers).
inline constexpr unsigned long kMsNosuid = 0x2, kMsNodev = 0x4, kMsNoexec = 0x8, kMsBind = 0x1000, kMsRec = 0x4000,
                               kMsPrivate = 1UL << 18, kMsSlave = 1UL << 19;
inline constexpr unsigned long kCloneNewns = 0x00020000,
                               kCloneNewcgroup = 0x02000000;  // "RDONLY|NOSUID", for narration (parent side)

// openat2(base, rel, flags|O_CLOEXEC, resolve); base < 0: a plain open(rel). fd or -errno.
int open_in(int base, const char* rel, int flags, uint64_t resolve) noexcept;
// mkdir -p of rel in base, each component resolved in base (a symlink is followed inside
// it, never out). 0 if it exists as a directory already. In a root (RESOLVE_IN_ROOT) a
// dangling symlink on the way is followed inside it and its target made there, as runc does.
int mkdir_p_in(int base, const char* rel, unsigned mode, uint64_t resolve) noexcept;
// Creates rel as an empty file if nothing is there (a bind-mount target); its parent must
// exist. A dangling symlink at rel: in a root (RESOLVE_IN_ROOT) its target is made inside
// the root (parents too, up to 40 links); beneath a volume (RESOLVE_BENEATH) EEXIST.
int touch_in(int base, const char* rel, unsigned mode, uint64_t resolve) noexcept;
int symlink_in(int base, const char* rel, const char* target, uint64_t resolve) noexcept;
int chmod_in(int base, const char* rel, unsigned mode, uint64_t resolve) noexcept;

// A new filesystem (fsopen/fsconfig/fsmount) attached on target_fd (move_mount): options are
// key=value (value empty: a flag). attr: MOUNT_ATTR_* of the new mount.
int new_mount_on(const char* fstype, const std::vector<std::pair<std::string, std::string>>& options, uint64_t attr,
                 int target_fd) noexcept;
// A bind mount: a copy of the tree at src_fd (or src_path when src_fd < 0; recursive or
// not), attr set on every mount of the copy before it is attached (mount_setattr
// AT_RECURSIVE: read-only and nosuid/nodev/noexec stay as they were or get stricter, never
// looser, unlike a MS_REMOUNT|MS_BIND), then moved onto target_fd.
// propagation (kMsPrivate or kMsSlave; 0: as cloned) is set on the copy as well: a volume's
// mountPropagation.
int bind_on(int src_fd, const char* src_path, bool recursive, uint64_t attr, int target_fd,
            uint64_t propagation = 0) noexcept;
// Sets attr on the mount at fd (and, recursive, every mount below it).
int set_attr(int fd, uint64_t attr, bool recursive, uint64_t propagation = 0) noexcept;
// Is fd a directory (1), something else (0), or -errno.
int is_dir_fd(int fd) noexcept;

// The new root: pivot_root(".", ".") and detach the old root (cwd must be the new root,
// a mount point); where pivot_root is refused with EINVAL (the initial rootfs of an
// initramfs, or "/" not a mount in a chroot), the new root is moved onto "/" (MS_MOVE) and
// chroot'ed into, as runc's --no-pivot. no_pivot: skip pivot_root.
int enter_root(bool no_pivot) noexcept;

// A joiner's entry into a pod (raw syscalls, for a child): setns(pause_pidfd, flags) for
// every namespace but the mount one, setns(mnt_ns) for the pod's mount namespace, and, if
// root >= 0 (podrun in a chroot), fchdir(root): the cwd is podrun's root, the root still
// the namespace's real one (the container keeps an fd of it to pivot_root from there, then
// chroots into its cwd). 0, an errno of the setns calls, or -errno of the fchdir.
int join_pod(int pause_pidfd, uint64_t flags, int mnt_ns, int root) noexcept;

// A root of a mount of its own that nothing is above: a detached copy of path
// (open_tree(OPEN_TREE_CLONE)), attr set on it, then fchdir + chroot into it. ".." cannot
// leave it, even through /proc/PID/root; the process may not mount (it is not in its mount
// namespace's tree), which pause never does.
int chroot_tree(const char* path, uint64_t attr) noexcept;

// Sends fd over a unix socket (SCM_RIGHTS), and receives one (parent side; -errno).
int send_fd(int sock, int fd) noexcept;
int recv_fd(int sock) noexcept;

// Parent side: a CLOEXEC AF_UNIX socketpair, and a received fd (throws SysError naming what).
struct SocketPair {
    UniqueFd a, b;
};
SocketPair make_socketpair();
UniqueFd receive_fd(int sock, const std::string& what);

// Parent side: the target of path if it is a symlink (lstat + readlink), else nullopt.
std::optional<std::string> symlink_target(const std::string& path);
// Parent side: the path of our own executable (/proc/self/exe), "" if unknown.
std::string self_exe();

// fsGroup on a volume directory (parent side): chown(path, -1, gid) and chmod(mode). Throws.
void set_volume_group(const std::string& path, int64_t gid, unsigned mode);

// Is "/" the initial rootfs (an initramfs never switched away from)? pivot_root(2) refuses
// to move it. From /proc/self/mountinfo.
bool root_is_rootfs();

// Does this kernel's overlayfs take its lower layers one by one (fsconfig(FSCONFIG_SET_STRING,
// "lowerdir+", dir), Linux 6.8), free of the one-page limit of a "lowerdir=a:b:c" string?
// Asked once (parent side): fsopen("overlay") and one "lowerdir+" of "/", never created.
bool overlay_takes_lowerdir_plus();

}  // namespace podrun::sys
