// `podrun exec`: a command in a running container of a pod, as `kubectl exec` runs it:
// the container's namespaces, root, cgroup leaf, environment and working directory; its
// exit code passed through; a terminal with -t.
#pragma once

#include <string>
#include <vector>

#include "podrun/state/state.hpp"

namespace podrun::pod {

// Exit codes of `podrun exec` besides the command's own (docs/cli.md): the shells' and
// podman exec's codes for a command that cannot be run or is not found.
inline constexpr int kExitCannotExec = 126;
inline constexpr int kExitNotFound = 127;

struct ExecOptions {
    std::string container;    // -c; empty: the pod's default container (kubectl's rule)
    bool stdin_open = false;  // -i: the command reads our stdin
    bool tty = false;         // -t: the command runs on a terminal of its own (a pty)
};

// Runs argv in the container and returns its exit code (128 + signal if it was killed;
// 126/127 if it could not be run / was not found). Throws InvalidInput (no such pod or
// container, container not running) or sys::SysError (entering it failed).
int exec(const std::string& pod, const std::vector<std::string>& argv, const ExecOptions& opts);

// Which container a `podrun exec`/`kubectl exec` without -c means: the one named by the
// annotation kubectl.kubernetes.io/default-container, else the first app container.
// `note` is kubectl's 'Defaulted container "a" out of: a, b, setup (init)' when the choice
// was not obvious (several containers), else empty. Throws InvalidInput naming the choices
// when `requested` is not a container of the pod. Pure: unit tested.
struct ContainerChoice {
    std::string name;
    std::string note;
};
ContainerChoice choose_container(const state::PodState& st, const std::string& requested);

// /proc/PID/environ ("K=V\0K=V\0") as "K=V" strings.
std::vector<std::string> parse_environ(const std::string& raw);

// The shell's code for an execve that failed with err: 127 not found, else 126.
int exec_failure_code(int err);

}  // namespace podrun::pod
