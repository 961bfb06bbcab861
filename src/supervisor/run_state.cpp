// A container run's phases and transitions (see run_state.hpp).
#include "podrun/supervisor/run_state.hpp"

namespace podrun::supervisor {

const char* phase_name(Phase p) {
    switch (p) {
        case Phase::Pending:
            return "Pending";
        case Phase::PostStart:
            return "PostStart";
        case Phase::Starting:
            return "Starting";
        case Phase::Started:
            return "Started";
        case Phase::Ready:
            return "Ready";
        case Phase::Stopping:
            return "Stopping";
        case Phase::Terminating:
            return "Terminating";
        case Phase::BackOff:
            return "BackOff";
        case Phase::Ended:
            return "Ended";
    }
    return "?";
}

namespace {
const char* creating(bool init) {
    return init ? "PodInitializing" : "ContainerCreating";
}
}  // namespace

RunState::RunState(bool init, bool sidecar) : init_(init), sidecar_(sidecar), reason_(creating(init)) {}

void RunState::require(bool ok, const char* what) const {
    if (!ok) throw BadTransition(std::string(what) + " from phase " + phase_name(phase_));
}

bool RunState::alive() const {
    switch (phase_) {
        case Phase::PostStart:
        case Phase::Starting:
        case Phase::Started:
        case Phase::Ready:
        case Phase::Stopping:
        case Phase::Terminating:
            return true;
        default:
            return false;
    }
}

bool RunState::started() const {
    const Phase p = stopping() ? stopped_from_ : phase_;
    return p == Phase::Started || p == Phase::Ready;
}

bool RunState::settled() const {
    return restart_count_ > 0 || (phase_ != Phase::Pending && phase_ != Phase::PostStart);
}

void RunState::launched(bool post_start, bool startup_probe, bool readiness_probe) {
    require(phase_ == Phase::Pending, "launched");
    instances_++;
    if (post_start) {
        // Kubernetes shows the container as still being created until postStart succeeds.
        phase_ = Phase::PostStart;
        status_ = CState::Waiting;
        reason_ = creating(init_);
        return;
    }
    phase_ = Phase::PostStart;
    running(startup_probe, readiness_probe);
}

void RunState::running(bool startup_probe, bool readiness_probe) {
    require(phase_ == Phase::PostStart, "running");
    status_ = CState::Running;
    reason_.clear();
    phase_ = startup_probe ? Phase::Starting : readiness_probe ? Phase::Started : Phase::Ready;
}

void RunState::startup_passed(bool readiness_probe) {
    require(phase_ == Phase::Starting, "startup_passed");
    // Without a readinessProbe a container is ready once started.
    phase_ = readiness_probe ? Phase::Started : Phase::Ready;
}

void RunState::set_ready(bool ready) {
    require(phase_ == Phase::Started || phase_ == Phase::Ready, "set_ready");
    phase_ = ready ? Phase::Ready : Phase::Started;
}

void RunState::stop() {
    require(alive() && !stopping(), "stop");
    stopped_from_ = phase_;
    phase_ = Phase::Stopping;
}

void RunState::term_sent() {
    require(phase_ == Phase::Stopping, "term_sent");
    phase_ = Phase::Terminating;
}

void RunState::exited(int code, const std::string& reason, bool restart) {
    require(alive(), "exited");
    exit_code_ = code;
    status_ = CState::Terminated;
    reason_ = reason;
    after_exit(restart);
}

void RunState::start_failed(bool restart) {
    require(phase_ == Phase::Pending, "start_failed");
    exit_code_ = 128;
    status_ = CState::Terminated;
    reason_ = "StartError";
    after_exit(restart);
}

void RunState::after_exit(bool restart) {
    if (restart) {
        phase_ = Phase::BackOff;
        status_ = CState::Waiting;
        reason_ = "CrashLoopBackOff";
    } else {
        phase_ = Phase::Ended;
    }
}

void RunState::restarting() {
    require(phase_ == Phase::BackOff, "restarting");
    restart_count_++;
    phase_ = Phase::Pending;
}

void RunState::end() {
    require(phase_ == Phase::Pending || phase_ == Phase::BackOff || phase_ == Phase::Ended, "end");
    phase_ = Phase::Ended;
}

bool RunState::take_gate() {
    if (!sidecar_ || gated_ || !started()) return false;
    gated_ = true;
    return true;
}

}  // namespace podrun::supervisor
