// A helper program (pasta, a CNI plugin, podrun-image for HTTPS and gRPC probes) started
// from the supervisor: forked, held before exec until its pid is recorded, with the signal
// mask and dispositions a program expects.
#pragma once

#include <string>

#include "podrun/sys/child_steps.hpp"
#include "podrun/sys/fd.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::sys {

struct SpawnOptions {
    int in = -1, out = -1, err = -1;  // stdio of the program (-1: /dev/null)
    // The program dies with us (PR_SET_PDEATHSIG SIGKILL): a killed foreground supervisor
    // leaves no helper behind.
    bool die_with_parent = false;
    // Wait before exec until release() (the caller records the pid first).
    bool hold = false;
    // >= 0: join the network namespace of the process behind this pidfd (and no other): a
    // probe helper reaches the pod's 127.0.0.1 as the supervisor's own probe sockets do.
    int net_pidfd = -1;
    // Run as nobody (uid and gid 65534, no groups), with no capabilities and no_new_privs:
    // for a helper that parses what a container answers (untrusted bytes).
    bool as_nobody = false;
};

// A started helper. The child is in a session of its own (a terminal's Ctrl-C reaches only
// podrun, which stops its helpers in order), with every signal unblocked and at its
// default disposition: the supervisor blocks signals for its signalfd and ignores SIGPIPE,
// and a program inheriting that cannot install its handlers (pasta: "Couldn't install
// signal handlers").
class Spawned {
  public:
    ChildProcess child;
    // Lets a held child go on to exec. A held child whose Spawned goes without release()
    // sees EOF and exits 125 without running the program (and is killed and reaped).
    void release();
    UniqueFd go;  // write end of the hold pipe
};

// Forks and (once released, when held) execs plan. A failed exec exits 127.
Spawned spawn(const ExecPlan& plan, const SpawnOptions& opts);

}  // namespace podrun::sys
