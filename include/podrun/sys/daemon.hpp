// `up -d`: the supervisor as a detached process, and its stderr into the pod's log.
#pragma once

#include <sys/types.h>

#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

// Forks a child in a new session with stdin/stdout on /dev/null and cwd "/". Both sides
// get one end of a CLOEXEC pipe: the child reports readiness on it, the parent reads it to
// EOF. `child` tells which side returned.
struct Detached {
    bool child = false;
    pid_t pid = -1;    // parent: the child's pid
    UniqueFd channel;  // child: write end; parent: read end
};
Detached fork_detached();
// Points stderr at `file` (appending), for a detached process's own log.
void redirect_stderr(const std::string& file);

}  // namespace podrun::sys
