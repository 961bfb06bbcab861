// The state of one container's run, as an explicit phase and its transitions (pure: no
// process, fd or clock). The supervisor's loop moves a container through it; status
// (waiting/running/terminated, reason, started, ready) is read off it. docs/lifecycle.md.
#pragma once

#include <stdexcept>
#include <string>

namespace podrun::supervisor {

// Kubernetes' container state, as status reports it.
enum class CState { Waiting, Running, Terminated };

enum class Phase {
    Pending,      // not started yet: waiting for its turn (init order; apps after inits)
    PostStart,    // its process runs; the postStart hook has not finished
    Starting,     // running; the startupProbe has not passed yet
    Started,      // running and started; not ready (readinessProbe not passed)
    Ready,        // running, started and ready
    Stopping,     // being stopped: its preStop runs or its turn has not come; no SIGTERM yet
    Terminating,  // SIGTERM sent; waiting for its exit (or the SIGKILL of its grace)
    BackOff,      // exited; restarts when its back-off timer fires (CrashLoopBackOff)
    Ended,        // ended for good
};
const char* phase_name(Phase p);

// Thrown by a transition the phase does not allow: a bug in the loop, never input.
struct BadTransition : std::logic_error {
    using std::logic_error::logic_error;
};

class RunState {
  public:
    RunState(bool init, bool sidecar);

    Phase phase() const { return phase_; }
    bool init() const { return init_; }
    bool sidecar() const { return sidecar_; }  // an init container with restartPolicy Always
    // Its process is alive (started and not yet reaped).
    bool alive() const;
    // Has an instance ever been started (a process made)?
    bool ever_ran() const { return instances_ > 0; }
    // Its first start is over: past its first postStart, or ended (`up -d` waits for it).
    bool settled() const;
    bool done() const { return phase_ == Phase::Ended; }
    // Kubernetes' `started`: the startupProbe passed (or there is none); it stays so while
    // the container is being stopped, until it exits.
    bool started() const;
    bool ready() const { return phase_ == Phase::Ready; }
    bool stopping() const { return phase_ == Phase::Stopping || phase_ == Phase::Terminating; }

    // Status.
    CState status() const { return status_; }
    const std::string& reason() const { return reason_; }
    int exit_code() const { return exit_code_; }
    int restart_count() const { return restart_count_; }

    // ---- transitions (each throws BadTransition from a phase it does not leave) ----
    // A process was made: Pending -> PostStart (a hook to run), else as running().
    void launched(bool post_start, bool startup_probe, bool readiness_probe);
    // postStart succeeded: PostStart -> Starting (a startupProbe), Started (a readinessProbe)
    // or Ready (neither).
    void running(bool startup_probe, bool readiness_probe);
    // The startupProbe passed: Starting -> Started, or Ready without a readinessProbe.
    void startup_passed(bool readiness_probe);
    // The readinessProbe changed its verdict: Started <-> Ready.
    void set_ready(bool ready);
    // A stop begins (pod stop, failed probe or hook): a running phase -> Stopping.
    void stop();
    // SIGTERM sent: Stopping -> Terminating.
    void term_sent();
    // Its process exited (code in shell convention; reason Completed, Error or OOMKilled):
    // an alive phase -> BackOff (restart) or Ended.
    void exited(int code, const std::string& reason, bool restart);
    // It could not be started (StartError, code 128): Pending -> BackOff or Ended.
    void start_failed(bool restart);
    // The back-off timer fired: BackOff -> Pending, one restart more.
    void restarting();
    // The pod stops: a container not running (Pending, BackOff) ends for good.
    void end();
    // A sidecar lets the next init container start once, the first time it is started:
    // true the first time it is asked while started.
    bool take_gate();

  private:
    void require(bool ok, const char* what) const;
    void after_exit(bool restart);
    bool init_, sidecar_;
    Phase phase_ = Phase::Pending;
    Phase stopped_from_ = Phase::Pending;  // the phase a stop began in
    int instances_ = 0;
    int restart_count_ = 0;
    int exit_code_ = 0;
    bool gated_ = false;
    // Status as Kubernetes reports it, set by the transitions (a stop or the pod's end
    // leave it as it was: waiting ContainerCreating during a postStart that is stopped).
    CState status_ = CState::Waiting;
    std::string reason_;
};

}  // namespace podrun::supervisor
