// The supervisor's pure decisions (see policy.hpp).
#include "podrun/supervisor/policy.hpp"

#include <algorithm>

namespace podrun::supervisor {

int64_t backoff_ms(int restarts_in_a_row) {
    int64_t ms = 10000;
    for (int i = 0; i < restarts_in_a_row && ms < 300000; i++) ms *= 2;
    return std::min<int64_t>(ms, 300000);
}

bool should_restart(spec::RestartPolicy policy, int exit_code) {
    switch (policy) {
        case spec::RestartPolicy::Always:
            return true;
        case spec::RestartPolicy::OnFailure:
            return exit_code != 0;
        case spec::RestartPolicy::Never:
            return false;
    }
    return false;
}

spec::RestartPolicy container_policy(spec::RestartPolicy pod, bool init, bool sidecar,
                                     std::optional<spec::RestartPolicy> own) {
    if (sidecar) return spec::RestartPolicy::Always;
    if (own) return *own;
    if (init && pod == spec::RestartPolicy::Always) return spec::RestartPolicy::OnFailure;
    return pod;
}

// A container that ran this long before exiting starts its back-off afresh (the kubelet
// resets after 10 minutes of running).
static constexpr int64_t kBackoffResetMs = 10 * 60 * 1000;

int backoff_streak_after(int streak, int64_t ran_ms) {
    return ran_ms >= kBackoffResetMs ? 0 : streak;
}

RestartDecision decide_restart(spec::RestartPolicy policy, int exit_code, bool pod_stopping, int streak, bool ran,
                               int64_t ran_ms, const std::vector<spec::RestartRule>& rules) {
    RestartDecision d;
    d.streak = streak;
    bool want = should_restart(policy, exit_code);
    for (const auto& r : rules) {
        if (r.matches(exit_code)) {
            want = true;  // the only action is Restart
            break;
        }
    }
    if (pod_stopping || !want) return d;
    if (ran) streak = backoff_streak_after(streak, ran_ms);
    d.restart = true;
    d.delay_ms = backoff_ms(streak);
    d.streak = streak + 1;
    return d;
}

const char* probe_name(ProbeKind k) {
    switch (k) {
        case ProbeKind::Startup:
            return "startup";
        case ProbeKind::Liveness:
            return "liveness";
        case ProbeKind::Readiness:
            return "readiness";
    }
    return "?";
}

void ProbeCounts::record(bool ok) {
    if (ok) {
        successes++;
        failures = 0;
    } else {
        failures++;
        successes = 0;
    }
}

ProbeVerdict probe_verdict(ProbeKind k, const ProbeCounts& c, bool ok, const spec::Probe& p, bool ready) {
    switch (k) {
        case ProbeKind::Startup:
            // One success is enough (Kubernetes requires successThreshold 1 for it).
            if (ok) return ProbeVerdict::Started;
            return c.failures >= p.failure_threshold ? ProbeVerdict::Stop : ProbeVerdict::None;
        case ProbeKind::Liveness:
            return !ok && c.failures >= p.failure_threshold ? ProbeVerdict::Stop : ProbeVerdict::None;
        case ProbeKind::Readiness:
            if (ok && !ready && c.successes >= p.success_threshold) return ProbeVerdict::Ready;
            if (!ok && ready && c.failures >= p.failure_threshold) return ProbeVerdict::NotReady;
            return ProbeVerdict::None;
    }
    return ProbeVerdict::None;
}

bool turn_to_stop(const PodRuns& pod, size_t i) {
    if (!pod.stopping || !pod.runs[i].sidecar()) return true;
    for (size_t j = i + 1; j < pod.runs.size(); j++) {
        if (pod.runs[j].alive()) return false;
    }
    return true;
}

bool sidecars_outlived_apps(const PodRuns& pod) {
    if (pod.stopping || !pod.apps_started) return false;
    for (size_t i = pod.n_init; i < pod.runs.size(); i++) {
        if (!pod.runs[i].done()) return false;
    }
    for (size_t i = 0; i < pod.n_init; i++) {
        if (pod.runs[i].sidecar() && !pod.runs[i].done()) return true;
    }
    return false;
}

bool apps_settled(const PodRuns& pod) {
    if (!pod.apps_started) return false;
    for (size_t i = pod.n_init; i < pod.runs.size(); i++) {
        if (!pod.runs[i].settled() && !pod.runs[i].done()) return false;
    }
    return true;
}

bool pod_finished(const PodRuns& pod) {
    if (std::any_of(pod.runs.begin(), pod.runs.end(), [](const RunState& r) { return r.alive(); })) return false;
    if (pod.stopping) return true;
    // Every app container has ended for good (init containers that never ran count as
    // ended only once the pod stops).
    for (size_t i = pod.n_init; i < pod.runs.size(); i++) {
        if (!pod.runs[i].done()) return false;
    }
    return pod.apps_started;
}

int pod_exit_code(const PodRuns& pod) {
    for (const auto& r : pod.runs) {
        // A sidecar's exit (SIGTERM when the pod ends) says nothing of the pod's success.
        // A container that could not start counts too (StartError, 128), as Kubernetes has it.
        if ((r.ever_ran() || r.reason() == "StartError") && !r.sidecar() && r.exit_code() != 0) return r.exit_code();
    }
    return pod.deadline_exceeded ? 1 : 0;
}

std::string pod_phase(const PodRuns& pod) {
    if (pod_finished(pod)) return pod_exit_code(pod) == 0 ? "Succeeded" : "Failed";
    return pod.apps_started ? "Running" : "Pending";
}

}  // namespace podrun::supervisor
