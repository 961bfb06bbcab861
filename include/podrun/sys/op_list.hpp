// Setup steps run between fork and exec: a plain list of ops built by the parent (which
// may allocate, log and narrate) and executed by the child with raw syscalls only.
// A failing step is reported back over a CLOEXEC pipe as (step index, errno); the parent
// turns it into a message. bubblewrap's "list of setup ops" and nsjail's error byte.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "podrun/sys/fd.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::sys {

enum class OpKind {
    Mkdir,        // path=a, mode; EEXIST is fine
    MkdirP,       // path=a, mode; every missing component (ok if it exists)
    Touch,        // create an empty file a if missing (bind-mount target)
    Symlink,      // a -> target b; EEXIST is fine
    Mount,        // mount(a=source, b=target, c=fstype, flags, d=data)
    Unshare,      // unshare(flags); a = the flags' names, for messages
    Setns,        // setns(fd, flags); a = what is joined, for messages
    Sethostname,  // a
    LoopbackUp,   // bring "lo" up in the current net namespace
    Chdir,        // a
    PivotRoot,    // pivot_root(".", ".") then umount the old root (MNT_DETACH) - cwd is new root
    WriteFile,    // write d to existing file a (cgroup/proc style one-shot files)
    CreateFile,   // create a new file a (mode) holding d
    Chroot,       // a
    CloseRange,   // close every fd >= flags (except those dup'd into 0..2)
    Fchdir,       // fchdir(fd, or slot[in]); a = what the fd is, for messages
    Chmod,        // chmod(a, mode): mkdir's mode passes through the umask
    // fd-based steps (sys/mount.hpp). A path of an op whose `in` is a slot is resolved in
    // the directory that slot holds: a root (RESOLVE_IN_ROOT) or a volume (RESOLVE_BENEATH).
    Open,          // slot[out] = open(a, flags) (in a slot, or a plain path)
    NewMount,      // fsopen(c) + options + fsmount(attr), attached on b
    Bind,          // a copy of the tree at slot[src] (or path a; MS_REC in flags: recursive),
                   // attr set on all of it before it is attached on b (made first if make_target)
    SetAttr,       // mount_setattr(b, attr; MS_REC in flags: AT_RECURSIVE); b empty: slot[in] itself
    Mask,          // b: a directory gets an empty read-only tmpfs, a file /dev/null; absent: fine
    ReadOnlySelf,  // b bound onto itself read-only (recursively); absent: fine
    Mknod,         // mknod(a, mode, flags = dev)
    SendFd,        // open(a, flags) and send it over the unix socket fd (SCM_RIGHTS)
    ChrootTree,    // chroot into a detached copy of a (attr set on it): nothing above it
};

struct Op {
    // Positional, as the op lists are written: Op{kind, a, b, c, d, flags, mode, fd, optional, why}.
    Op(OpKind k = OpKind::Mkdir, std::string a_ = "", std::string b_ = "", std::string c_ = "", std::string d_ = "",
       unsigned long flags_ = 0, unsigned mode_ = 0755, int fd_ = -1, bool optional_ = false, std::string why_ = "")
        : kind(k),
          a(std::move(a_)),
          b(std::move(b_)),
          c(std::move(c_)),
          d(std::move(d_)),
          flags(flags_),
          mode(mode_),
          fd(fd_),
          optional(optional_),
          why(std::move(why_)) {}
    OpKind kind;
    std::string a, b, c, d;
    unsigned long flags = 0;
    unsigned mode = 0755;
    int fd = -1;
    bool optional = false;     // a failure is ignored (e.g. /dev/mqueue on old kernels)
    std::string why;           // narration: the step and the rule behind it
    int in = -1;               // slot the op's path (a; b for mounts) is resolved in; -1: plain path
    int src = -1;              // Bind: slot holding the source; -1: the plain path a
    int out = -1;              // Open: the slot that receives the fd
    uint64_t resolve = 0;      // RESOLVE_* for a path in a slot (0: sys::kInRoot)
    uint64_t attr = 0;         // MOUNT_ATTR_* of a NewMount, Bind or SetAttr
    uint64_t propagation = 0;  // Bind: kMsPrivate or kMsSlave for the copy (0: as cloned)
    std::vector<std::pair<std::string, std::string>> options;  // NewMount: fsconfig key=value
    bool make_target = false;  // Bind: make b first, a directory or a file like the source
    std::string in_name;       // what slot `in` holds, for messages ("<root>", a volume's path)
    std::string hint;          // added to the error message when this step fails
    int hint_errno = 0;        // ... with this errno (0: any)
};

// Slots of fds an OpList holds while it runs (closed when it returns).
inline constexpr int kSlots = 4;

// The child's report of a failed step.
struct StepFailure {
    int step = -1;  // index into the ops list, or a negative code for steps outside it
    int err = 0;
};

// Pointers into Op strings, prepared before fork so the child touches no std::string.
class OpList {
  public:
    void add(Op op) { ops_.push_back(std::move(op)); }
    const std::vector<Op>& ops() const { return ops_; }
    std::vector<Op>& ops() { return ops_; }
    size_t size() const { return ops_.size(); }
    // Runs ops [begin, end) in the calling (forked) child. Returns the failing index and
    // errno, or -1. Async-signal-safe: raw syscalls on prepared strings only.
    StepFailure run(size_t begin, size_t end) const noexcept;
    std::string describe(size_t i) const;
    // A reported step in words: an op's description (tag >= 0) or the name of a child step
    // outside the list (a negative kStep* code).
    std::string step_text(int tag) const;
    // The hint of a reported step that failed with err (an op's `hint`), or "".
    std::string hint(int tag, int err) const;

  private:
    std::vector<Op> ops_;
};

// A CLOEXEC pipe for the child's (step, errno) report; EOF without a report means the
// exec succeeded.
struct ReportPipe {
    UniqueFd read_end, write_end;
    static ReportPipe make();
    // Child side: write the failure, then the caller _exits.
    static void send(int fd, StepFailure f) noexcept;
    // Child side: send a value (e.g. a pid) that is not a failure.
    static void send_value(int fd, int32_t tag, int64_t value) noexcept;
    // Parent side, after closing write_end: blocks until EOF or a record.
    struct Record {
        int32_t tag;    // >= 0: step failure index; kValueTag: a value
        int64_t value;  // errno, or the value
    };
    static constexpr int32_t kValueTag = -1000;
    static std::vector<Record> read_all(int fd);
};

// Where "/" cannot be pivoted away from (a chroot, an initramfs): the ops, right after an
// unshare(CLONE_NEWNS), that make "/" a mount pivot_root accepts (containers and pause).
void add_root_mount(OpList& ops);

class ExecPlan;

// The parent's side of a start reported on a ReportPipe (a container, an exec'd program):
// reads the report to EOF and returns the process the child reported (a kValueTag record:
// our own unreaped CLONE_PARENT child, so its pid cannot have been recycled) and the first
// failure. On a failure the process, if any, has already been killed and reaped.
struct LaunchReport {
    ChildProcess process;
    std::optional<ReportPipe::Record> failure;
};
LaunchReport read_launch_report(int read_fd);

class StartHere;
struct ChildConfinement;

// The last steps of a child podrun starts (pause, a container) once its stdio is set: the
// parent-death signal through parent_pidfd (if >= 0: the parent is outside the child's pid
// namespace, so getppid() cannot tell), the setup ops, default signal dispositions, the
// CPUs its starter had (if placement is given: StartHere), the container's credentials and
// filters (if confine is given: sys::apply_confinement), execve.
// A failing step is reported on report_fd and the child _exits with fail_code (127 for
// execve itself). Raw syscalls only; never returns.
[[noreturn]] void child_setup_and_exec(int report_fd, int parent_pidfd, const OpList& ops, const ExecPlan& exec,
                                       int fail_code, const StartHere* placement = nullptr,
                                       const ChildConfinement* confine = nullptr) noexcept;

}  // namespace podrun::sys
