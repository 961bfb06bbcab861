// The supervisor's decisions, as pure functions of the containers' run states: restart
// policy and back-off, probe thresholds, the order of a pod's stop, and the pod's outcome
// (phase, exit code). No process, fd or clock: unit-tested without root.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "podrun/spec/pod.hpp"
#include "podrun/supervisor/run_state.hpp"

namespace podrun::supervisor {

// ---- restarts ----

// Kubernetes' crash back-off: 10 s doubling to 300 s (restart n waits backoff_ms(n)).
int64_t backoff_ms(int restarts_in_a_row);
// restartPolicy applied to one exit.
bool should_restart(spec::RestartPolicy policy, int exit_code);
// The policy a container's exits follow: a sidecar always restarts; another init container
// restarts only on failure (exit 0 is its success), and not at all under Never.
// A container's own restartPolicy (Kubernetes 1.34) replaces the pod's for it.
spec::RestartPolicy container_policy(spec::RestartPolicy pod, bool init, bool sidecar,
                                     std::optional<spec::RestartPolicy> own = std::nullopt);
// The back-off streak to use for a restart after the container ran `ran_ms`: a container
// that ran 10 minutes starts afresh at 10 s, as the kubelet does.
int backoff_streak_after(int streak, int64_t ran_ms);

// What follows one exit (or failed start) of a container.
struct RestartDecision {
    bool restart = false;
    int64_t delay_ms = 0;  // the back-off before the restart
    int streak = 0;        // the container's back-off streak from now on
};
// `ran` is false for a start that failed (its run time then resets nothing).
// `rules` (restartPolicyRules): the first whose exit codes match restarts the container,
// whatever `policy` says; an exit no rule matches follows `policy`.
RestartDecision decide_restart(spec::RestartPolicy policy, int exit_code, bool pod_stopping, int streak, bool ran,
                               int64_t ran_ms, const std::vector<spec::RestartRule>& rules = {});

// ---- probes ----

enum class ProbeKind { Startup = 0, Liveness = 1, Readiness = 2 };
const char* probe_name(ProbeKind k);

// Consecutive results of one probe.
struct ProbeCounts {
    int successes = 0, failures = 0;
    void record(bool ok);
};

enum class ProbeVerdict {
    None,      // nothing changes
    Started,   // startupProbe passed: liveness and readiness begin
    Stop,      // startup or liveness failed failureThreshold times: stop (and restart) it
    Ready,     // readiness passed successThreshold times
    NotReady,  // readiness failed failureThreshold times
};
// The verdict after `counts` recorded a result `ok` of a probe of kind k (ready: the
// container's readiness now).
ProbeVerdict probe_verdict(ProbeKind k, const ProbeCounts& counts, bool ok, const spec::Probe& p, bool ready);

// ---- the pod ----

// The containers of a pod as the supervisor holds them: init containers first.
struct PodRuns {
    const std::vector<RunState>& runs;
    size_t n_init = 0;
    bool apps_started = false;       // every app container has been started once
    bool stopping = false;           // the pod's stop has begun
    bool deadline_exceeded = false;  // activeDeadlineSeconds passed: the pod fails
};

// A container's turn to get SIGTERM in a stop: at once, except a sidecar during the pod's
// stop, whose turn comes once every app container and every sidecar declared after it has
// exited (Kubernetes stops sidecars last, in reverse order).
bool turn_to_stop(const PodRuns& pod, size_t i);
// Every app container has ended for good and a sidecar still runs: the sidecars have
// nothing left to serve and the pod stops (Kubernetes 1.29+).
bool sidecars_outlived_apps(const PodRuns& pod);
// Every app container has been started and finished its first start (`up -d` returns).
bool apps_settled(const PodRuns& pod);
// Every container's process is gone and nothing will start again.
bool pod_finished(const PodRuns& pod);
// docs/cli.md: the code of the first container, init containers first and then in
// manifest order, that failed (a sidecar's exit at the pod's end does not count); 0.
// A pod stopped by its activeDeadlineSeconds failed (DeadlineExceeded) even if its
// containers exited 0 on SIGTERM: then 1.
int pod_exit_code(const PodRuns& pod);
// Pending, Running, Succeeded, Failed.
std::string pod_phase(const PodRuns& pod);

}  // namespace podrun::supervisor
