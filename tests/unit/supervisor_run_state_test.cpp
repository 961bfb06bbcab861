// A container run's phases: each transition, the status it reports, and the transitions
// a phase refuses (pure, no root).
#include <gtest/gtest.h>

#include "podrun/supervisor/run_state.hpp"

namespace {

using podrun::supervisor::BadTransition;
using podrun::supervisor::CState;
using podrun::supervisor::Phase;
using podrun::supervisor::RunState;

TEST(SupervisorRunState, StartsPendingAndWaitingWithTheCreationReason) {
    RunState app(false, false), init(true, false);
    EXPECT_EQ(app.phase(), Phase::Pending);
    EXPECT_EQ(app.status(), CState::Waiting);
    EXPECT_EQ(app.reason(), "ContainerCreating");
    EXPECT_EQ(init.reason(), "PodInitializing");
    EXPECT_FALSE(app.alive());
    EXPECT_FALSE(app.ever_ran());
    EXPECT_FALSE(app.settled());
}

TEST(SupervisorRunState, WithoutHooksOrProbesALaunchedContainerIsReadyAtOnce) {
    RunState s(false, false);
    s.launched(false, false, false);
    EXPECT_EQ(s.phase(), Phase::Ready);
    EXPECT_EQ(s.status(), CState::Running);
    EXPECT_EQ(s.reason(), "");
    EXPECT_TRUE(s.started());
    EXPECT_TRUE(s.ready());
    EXPECT_TRUE(s.ever_ran());
    EXPECT_TRUE(s.settled());
}

TEST(SupervisorRunState, PostStartKeepsItWaitingUntilTheHookSucceeds) {
    RunState s(false, false);
    s.launched(true, false, true);
    EXPECT_EQ(s.phase(), Phase::PostStart);
    EXPECT_TRUE(s.alive());
    EXPECT_EQ(s.status(), CState::Waiting);
    EXPECT_EQ(s.reason(), "ContainerCreating");
    EXPECT_FALSE(s.settled());  // `up -d` waits for it
    s.running(false, true);
    EXPECT_EQ(s.phase(), Phase::Started);  // a readiness probe: started, not ready
    EXPECT_EQ(s.status(), CState::Running);
    EXPECT_TRUE(s.started());
    EXPECT_FALSE(s.ready());
    s.set_ready(true);
    EXPECT_TRUE(s.ready());
    s.set_ready(false);
    EXPECT_EQ(s.phase(), Phase::Started);
}

TEST(SupervisorRunState, AStartupProbeHoldsStartedBack) {
    RunState s(false, false);
    s.launched(false, true, false);
    EXPECT_EQ(s.phase(), Phase::Starting);
    EXPECT_FALSE(s.started());
    EXPECT_THROW(s.set_ready(true), BadTransition);  // readiness has not begun
    s.startup_passed(false);
    EXPECT_EQ(s.phase(), Phase::Ready);  // no readiness probe: ready once started
}

TEST(SupervisorRunState, AStopGoesThroughStoppingAndTerminatingAndKeepsStatus) {
    RunState s(false, false);
    s.launched(false, false, true);
    s.stop();
    EXPECT_EQ(s.phase(), Phase::Stopping);
    EXPECT_TRUE(s.stopping());
    EXPECT_TRUE(s.started());  // stays started until it exits, as in Kubernetes
    EXPECT_FALSE(s.ready());   // but is no longer ready
    EXPECT_EQ(s.status(), CState::Running);
    EXPECT_THROW(s.stop(), BadTransition);
    s.term_sent();
    EXPECT_EQ(s.phase(), Phase::Terminating);
    EXPECT_THROW(s.term_sent(), BadTransition);
    s.exited(143, "Error", false);
    EXPECT_EQ(s.phase(), Phase::Ended);
    EXPECT_EQ(s.status(), CState::Terminated);
    EXPECT_EQ(s.exit_code(), 143);
    EXPECT_FALSE(s.started());
}

TEST(SupervisorRunState, AStoppedPostStartStaysWaitingCreating) {
    RunState s(true, false);
    s.launched(true, false, false);
    s.stop();  // the hook failed
    EXPECT_EQ(s.status(), CState::Waiting);
    EXPECT_EQ(s.reason(), "PodInitializing");
    EXPECT_FALSE(s.started());
    EXPECT_TRUE(s.settled());
}

TEST(SupervisorRunState, AnExitToBeRestartedBacksOffThenCountsTheRestart) {
    RunState s(false, false);
    s.launched(false, false, false);
    s.exited(1, "Error", true);
    EXPECT_EQ(s.phase(), Phase::BackOff);
    EXPECT_FALSE(s.alive());
    EXPECT_EQ(s.status(), CState::Waiting);
    EXPECT_EQ(s.reason(), "CrashLoopBackOff");
    EXPECT_EQ(s.exit_code(), 1);  // the last exit stays on record
    EXPECT_EQ(s.restart_count(), 0);
    EXPECT_THROW(s.launched(false, false, false), BadTransition);  // only after the timer
    s.restarting();
    EXPECT_EQ(s.phase(), Phase::Pending);
    EXPECT_EQ(s.restart_count(), 1);
    s.launched(true, false, false);
    EXPECT_TRUE(s.settled());  // a restart's postStart does not hold `up -d` again
}

TEST(SupervisorRunState, AFailedStartIsAStartErrorWithCode128) {
    RunState s(false, false);
    s.start_failed(false);
    EXPECT_EQ(s.phase(), Phase::Ended);
    EXPECT_EQ(s.status(), CState::Terminated);
    EXPECT_EQ(s.reason(), "StartError");
    EXPECT_EQ(s.exit_code(), 128);
    EXPECT_FALSE(s.ever_ran());
    EXPECT_THROW(s.exited(0, "Completed", false), BadTransition);
}

TEST(SupervisorRunState, ThePodsStopEndsWaitingContainersButNotRunningOnes) {
    RunState pending(false, false), backoff(false, false), running(false, false);
    pending.end();
    EXPECT_TRUE(pending.done());
    EXPECT_EQ(pending.status(), CState::Waiting);  // it never ran: still waiting, as before
    backoff.launched(false, false, false);
    backoff.exited(2, "Error", true);
    backoff.end();
    EXPECT_TRUE(backoff.done());
    EXPECT_EQ(backoff.reason(), "CrashLoopBackOff");
    running.launched(false, false, false);
    EXPECT_THROW(running.end(), BadTransition);
}

TEST(SupervisorRunState, ASidecarGatesTheNextInitContainerOnceWhenStarted) {
    RunState sidecar(true, true), plain(true, false);
    EXPECT_FALSE(sidecar.take_gate());  // not started yet
    sidecar.launched(false, true, false);
    EXPECT_FALSE(sidecar.take_gate());  // startup probe still running
    sidecar.startup_passed(false);
    EXPECT_TRUE(sidecar.take_gate());
    EXPECT_FALSE(sidecar.take_gate());  // once only, restarts included
    plain.launched(false, false, false);
    EXPECT_FALSE(plain.take_gate());
}

}  // namespace
