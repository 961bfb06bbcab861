// The last steps of a child before exec: stdio, signals, parent-death signal and the
// execve itself with a PATH search prepared by the parent. All noexcept and
// async-signal-safe: they run between fork and exec.
#pragma once

#include <string>
#include <vector>

namespace podrun::sys {

// Step codes of a child's report that are not indexes into an OpList.
enum ChildStep : int {
    kStepSetns = -2,
    kStepClone = -3,
    kStepExec = -4,
    kStepStdio = -5,
    kStepSignals = -6,
    kStepPdeathsig = -7,
    kStepRechroot = -8,
    kStepCtty = -9,
    kStepCloexec = -10,
    kStepAffinity = -11,
    kStepSetsid = -12,
};
const char* child_step_name(int step);

// argv/envp as C arrays plus the candidate paths of argv[0] (PATH search done up front,
// because the child cannot allocate). Build it, then never modify it before exec.
class ExecPlan {
  public:
    ExecPlan(std::vector<std::string> argv, std::vector<std::string> env, const std::string& path_var);
    // Tries each candidate; returns the errno to report (ENOENT if none existed).
    int exec() const noexcept;
    const std::vector<std::string>& argv() const { return argv_; }
    const std::vector<std::string>& env() const { return env_; }
    // exec() runs the file behind fd (execveat AT_EMPTY_PATH) instead of searching: for a
    // process whose root holds no binaries (pause, in its empty root). The fd stays ours.
    void exec_fd(int fd) { exec_fd_ = fd; }

  private:
    int exec_fd_ = -1;
    std::vector<std::string> argv_, env_, candidates_;
    std::vector<char*> cargv_, cenv_;
};

// dup2 the three fds onto 0, 1, 2 (-1 keeps the current one). Returns errno or 0.
int child_stdio(int in, int out, int err) noexcept;
// Unblock every signal and reset every disposition to default (the supervisor blocks
// signals for its signalfd and ignores SIGPIPE; children must not inherit that).
int child_default_signals() noexcept;
// PR_SET_PDEATHSIG, then check the parent did not die before it took effect.
int child_pdeathsig(int sig, int expected_parent) noexcept;
// The same for a child whose parent is outside its pid namespace (getppid() is 0 there):
// the parent's pidfd turns readable once it has exited.
int child_pdeathsig_pidfd(int sig, int parent_pidfd) noexcept;
// setsid(), then make `fd` (a terminal) the controlling terminal of that new session
// (TIOCSCTTY), as sshd or a terminal emulator does for the shell it starts.
int child_controlling_tty(int fd) noexcept;
// setsid(): a session of its own, without a controlling terminal.
int child_new_session() noexcept;
// Marks every fd >= first close-on-exec (close_range(2), CLOSE_RANGE_CLOEXEC): the program
// inherits only its stdio, while a CLOEXEC report pipe stays usable up to the exec itself.
int child_cloexec_from(unsigned first) noexcept;

}  // namespace podrun::sys
