// The supervisor's pure decisions: back-off, restart policy, probe thresholds, the order
// of a pod's stop and the pod's outcome; and save batching (no root).
#include <gtest/gtest.h>

#include <vector>

#include "podrun/supervisor/policy.hpp"
#include "podrun/supervisor/save_batch.hpp"

namespace {

namespace sv = podrun::supervisor;
using podrun::spec::RestartPolicy;
using sv::Phase;
using sv::ProbeKind;
using sv::ProbeVerdict;
using sv::RunState;

TEST(SupervisorPolicy, BackOffDoublesFromTenSecondsToFiveMinutes) {
    EXPECT_EQ(sv::backoff_ms(0), 10000);
    EXPECT_EQ(sv::backoff_ms(1), 20000);
    EXPECT_EQ(sv::backoff_ms(4), 160000);
    EXPECT_EQ(sv::backoff_ms(5), 300000);
    EXPECT_EQ(sv::backoff_ms(50), 300000);
}

TEST(SupervisorPolicy, RestartDecisionsFollowThePolicyAndResetAfterTenMinutes) {
    auto d = sv::decide_restart(RestartPolicy::OnFailure, 1, false, 2, true, 1000);
    EXPECT_TRUE(d.restart);
    EXPECT_EQ(d.delay_ms, 40000);
    EXPECT_EQ(d.streak, 3);
    EXPECT_FALSE(sv::decide_restart(RestartPolicy::OnFailure, 0, false, 2, true, 1000).restart);
    EXPECT_FALSE(sv::decide_restart(RestartPolicy::Always, 1, true, 0, true, 0).restart);  // the pod stops
    d = sv::decide_restart(RestartPolicy::Always, 0, false, 4, true, 10 * 60 * 1000);
    EXPECT_EQ(d.delay_ms, 10000);  // ran 10 minutes: afresh
    EXPECT_EQ(d.streak, 1);
    d = sv::decide_restart(RestartPolicy::Always, 128, false, 4, false, 10 * 60 * 1000);
    EXPECT_EQ(d.delay_ms, 160000);  // a failed start resets nothing
}

TEST(SupervisorPolicy, InitContainersAndSidecarsHaveTheirOwnPolicies) {
    EXPECT_EQ(sv::container_policy(RestartPolicy::Never, true, true), RestartPolicy::Always);
    EXPECT_EQ(sv::container_policy(RestartPolicy::Always, true, false), RestartPolicy::OnFailure);
    EXPECT_EQ(sv::container_policy(RestartPolicy::Never, true, false), RestartPolicy::Never);
    EXPECT_EQ(sv::container_policy(RestartPolicy::Always, false, false), RestartPolicy::Always);
}

podrun::spec::Probe probe(int success, int failure) {
    podrun::spec::Probe p;
    p.success_threshold = success;
    p.failure_threshold = failure;
    return p;
}

ProbeVerdict feed(ProbeKind k, const podrun::spec::Probe& p, const std::vector<bool>& results, bool ready = false) {
    sv::ProbeCounts c;
    ProbeVerdict v = ProbeVerdict::None;
    for (bool ok : results) {
        c.record(ok);
        v = sv::probe_verdict(k, c, ok, p, ready);
    }
    return v;
}

TEST(SupervisorPolicy, LivenessStopsAfterFailureThresholdFailuresInARow) {
    auto p = probe(1, 3);
    EXPECT_EQ(feed(ProbeKind::Liveness, p, {false, false}), ProbeVerdict::None);
    EXPECT_EQ(feed(ProbeKind::Liveness, p, {false, false, false}), ProbeVerdict::Stop);
    // A success in between starts the count again.
    EXPECT_EQ(feed(ProbeKind::Liveness, p, {false, false, true, false, false}), ProbeVerdict::None);
}

TEST(SupervisorPolicy, StartupPassesOnOneSuccessAndStopsAtItsThreshold) {
    auto p = probe(1, 2);
    EXPECT_EQ(feed(ProbeKind::Startup, p, {false, true}), ProbeVerdict::Started);
    EXPECT_EQ(feed(ProbeKind::Startup, p, {false, false}), ProbeVerdict::Stop);
}

TEST(SupervisorPolicy, ReadinessNeedsItsSuccessThresholdAndLosesItAtTheFailureThreshold) {
    auto p = probe(2, 2);
    EXPECT_EQ(feed(ProbeKind::Readiness, p, {true}), ProbeVerdict::None);
    EXPECT_EQ(feed(ProbeKind::Readiness, p, {true, true}), ProbeVerdict::Ready);
    EXPECT_EQ(feed(ProbeKind::Readiness, p, {true, true}, true), ProbeVerdict::None);  // already ready
    EXPECT_EQ(feed(ProbeKind::Readiness, p, {false}, true), ProbeVerdict::None);
    EXPECT_EQ(feed(ProbeKind::Readiness, p, {false, false}, true), ProbeVerdict::NotReady);
    EXPECT_EQ(feed(ProbeKind::Readiness, p, {false, false, false}, false), ProbeVerdict::None);  // never restarts
}

RunState running(bool init, bool sidecar) {
    RunState s(init, sidecar);
    s.launched(false, false, false);
    return s;
}

RunState ended(bool init, bool sidecar, int code) {
    RunState s = running(init, sidecar);
    s.exited(code, code ? "Error" : "Completed", false);
    return s;
}

TEST(SupervisorPolicy, SidecarsGetSigtermLastInReverseOrder) {
    // Two sidecars, then one app container, all running, the pod stopping.
    std::vector<RunState> runs{running(true, true), running(true, true), running(false, false)};
    sv::PodRuns pod{runs, 2, true, true};
    EXPECT_FALSE(sv::turn_to_stop(pod, 0));
    EXPECT_FALSE(sv::turn_to_stop(pod, 1));  // the app still runs
    EXPECT_TRUE(sv::turn_to_stop(pod, 2));
    runs[2] = ended(false, false, 0);
    EXPECT_FALSE(sv::turn_to_stop(pod, 0));  // the later sidecar still runs
    EXPECT_TRUE(sv::turn_to_stop(pod, 1));
    runs[1] = ended(true, true, 143);
    EXPECT_TRUE(sv::turn_to_stop(pod, 0));
    // A one-container stop (a failed probe) of a sidecar needs no turn.
    std::vector<RunState> live{running(true, true), running(false, false)};
    EXPECT_TRUE(sv::turn_to_stop(sv::PodRuns{live, 1, true, false}, 0));
}

TEST(SupervisorPolicy, ThePodEndsWithItsAppsAndTheSidecarsAreStoppedThen) {
    std::vector<RunState> runs{running(true, true), running(false, false)};
    sv::PodRuns pod{runs, 1, true, false};
    EXPECT_FALSE(sv::sidecars_outlived_apps(pod));
    EXPECT_FALSE(sv::pod_finished(pod));
    EXPECT_EQ(sv::pod_phase(pod), "Running");
    runs[1] = ended(false, false, 0);
    EXPECT_TRUE(sv::sidecars_outlived_apps(pod));
    EXPECT_FALSE(sv::pod_finished(pod));  // the sidecar still runs
    runs[0] = ended(true, true, 143);
    pod.stopping = true;
    EXPECT_TRUE(sv::pod_finished(pod));
    EXPECT_EQ(sv::pod_exit_code(pod), 0);  // a sidecar's SIGTERM exit does not fail the pod
    EXPECT_EQ(sv::pod_phase(pod), "Succeeded");
}

TEST(SupervisorPolicy, TheExitCodeIsTheFirstFailedContainersAndStartErrorsCount) {
    RunState failed_start(false, false);
    failed_start.start_failed(false);
    std::vector<RunState> runs{ended(true, false, 0), ended(false, false, 0), ended(false, false, 3), failed_start};
    sv::PodRuns pod{runs, 1, true, false};
    EXPECT_TRUE(sv::pod_finished(pod));
    EXPECT_EQ(sv::pod_exit_code(pod), 3);
    EXPECT_EQ(sv::pod_phase(pod), "Failed");
    runs[2] = ended(false, false, 0);
    EXPECT_EQ(sv::pod_exit_code(pod), 128);
}

TEST(SupervisorPolicy, UpDetachedReturnsOnceEveryAppHasSettled) {
    RunState hooked(false, false);
    hooked.launched(true, false, false);
    std::vector<RunState> runs{running(false, false), hooked};
    sv::PodRuns pod{runs, 0, true, false};
    EXPECT_FALSE(sv::apps_settled(pod));
    runs[1].running(false, false);
    EXPECT_TRUE(sv::apps_settled(pod));
    EXPECT_FALSE(sv::apps_settled(sv::PodRuns{runs, 0, false, false}));
}

TEST(SupervisorSaveBatch, ANewProcessIsSavedAtOnceOtherChangesWithinTheBatch) {
    sv::SaveBatch b(100);
    EXPECT_EQ(b.due_in(0), 0);  // pause is not recorded yet
    b.saved();
    EXPECT_EQ(b.due_in(5), -1);
    b.changed(1000);
    EXPECT_EQ(b.due_in(1000), 100);
    b.changed(1050);  // joins the batch; its clock does not restart
    EXPECT_EQ(b.due_in(1060), 40);
    EXPECT_EQ(b.due_in(1100), 0);
    b.saved();
    b.changed(2000);
    b.changed(2010, true);
    EXPECT_EQ(b.due_in(2010), 0);
}

}  // namespace
