// A helper program of podrun's own (not a container's) started in a pod's network namespace:
// the supervisor runs podrun-image there for HTTPS and gRPC probes, which need TLS and
// HTTP/2 that the static podrun does not carry. The helper joins only the network namespace:
// it keeps the host's filesystem and pid namespace, as the supervisor's own probe sockets do.
#pragma once

#include <string>
#include <vector>

#include "podrun/sys/process.hpp"

namespace podrun::sys {

// Starts `path` with argv (argv[0] included) in the network namespace of the process behind
// net_pidfd (-1: ours), stdout and stderr on out_fd, stdin on /dev/null, no other fd, every
// signal unblocked, SIGKILL when we die, and as nobody (uid and gid 65534, no groups, no
// capabilities, no_new_privs): it talks to a container, whose answers are untrusted. Throws SysError if it cannot be
// started; a failed setns or exec in the child ends it with exit code 126 or 127.
ChildProcess spawn_in_netns(const std::string& path, const std::vector<std::string>& argv, int net_pidfd, int out_fd);

}  // namespace podrun::sys
