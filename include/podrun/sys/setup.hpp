// Setup steps run between fork and exec: a plain list of ops built by the parent (which
// may allocate, log and narrate) and executed by the child with raw syscalls only.
// A failing step is reported back over a CLOEXEC pipe as (step index, errno); the parent
// turns it into a message. bubblewrap's "list of setup ops" and nsjail's error byte.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
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
    Fchdir,       // fchdir(fd); a = what the fd is, for messages
    Chmod,        // chmod(a, mode): mkdir's mode passes through the umask
};

struct Op {
    OpKind kind;
    std::string a, b, c, d;
    unsigned long flags = 0;
    unsigned mode = 0755;
    int fd = -1;
    bool optional = false;  // a failure is ignored (e.g. /dev/mqueue on old kernels)
    std::string why;        // narration: the step and the rule behind it
};

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
