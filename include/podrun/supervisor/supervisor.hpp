// The pod's supervisor: one single-threaded epoll loop over a signalfd, the containers'
// pidfds, their log pipes, timerfds and the sockets and processes of probes and hooks.
// It runs init containers in order (a sidecar gates the next one on its startup), then the
// app containers; runs postStart, preStop and the three probes; applies restartPolicy with
// Kubernetes' back-off; and stops the pod on SIGINT/SIGTERM (preStop, SIGTERM, grace,
// SIGKILL; sidecars after the app containers, in reverse order). docs/lifecycle.md.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "podrun/launcher/launcher.hpp"
#include "podrun/probe/check.hpp"
#include "podrun/spec/pod.hpp"
#include "podrun/state/state.hpp"
#include "podrun/supervisor/logs.hpp"
#include "podrun/sys/events.hpp"

namespace podrun::supervisor {

// Kubernetes' crash back-off: 10 s doubling to 300 s (restart n waits backoff_ms(n)).
int64_t backoff_ms(int restarts_in_a_row);
// restartPolicy applied to one exit.
bool should_restart(spec::RestartPolicy policy, int exit_code);
// The policy a container's exits follow: a sidecar always restarts; another init container
// restarts only on failure (exit 0 is its success), and not at all under Never.
spec::RestartPolicy container_policy(spec::RestartPolicy pod, bool init, bool sidecar);
// The back-off streak to use for a restart after the container ran `ran_ms`: a container
// that ran 10 minutes starts afresh at 10 s, as the kubelet does.
int backoff_streak_after(int streak, int64_t ran_ms);

enum class CState { Waiting, Running, Terminated };

enum class ProbeKind { Startup = 0, Liveness = 1, Readiness = 2 };
const char* probe_name(ProbeKind k);

// One of a container's probes: its period timer and consecutive results.
struct ProbeRun {
    const spec::Probe* spec = nullptr;
    sys::UniqueFd timer;
    int successes = 0, failures = 0;
    uint32_t check = 0;  // id of the check in flight, 0 = none
};

struct ContainerRun {
    const spec::Container* spec = nullptr;
    bool init = false;
    bool sidecar = false;  // init container with restartPolicy Always
    CState state = CState::Waiting;
    std::string reason;  // ContainerCreating, CrashLoopBackOff, Completed, Error, StartError
    int exit_code = 0;
    int restart_count = 0;
    int backoff_streak = 0;
    bool ever_ran = false;
    bool done = false;  // ended for good
    sys::ChildProcess proc;
    std::unique_ptr<LogStream> out, err;
    sys::UniqueFd backoff_timer;
    int64_t started_ms = 0;
    uint64_t oom_baseline = 0;  // memory.events oom_kill of the leaf before this start
    std::string started_at, finished_at;
    // Kubernetes' `started` (startupProbe passed, or none) and `ready` (readinessProbe).
    bool started = false;
    bool ready = false;
    bool post_start_done = false;  // Running in status only once postStart succeeded
    bool settled = false;          // first start finished (postStart over, or exited)
    bool gated_next = false;       // sidecar: has let the next init container start
    ProbeRun probes[3];
    uint32_t hook = 0;  // postStart or preStop check in flight, 0 = none
    // Stopping this container: preStop first, then SIGTERM once its turn comes.
    bool stopping = false;
    bool term_sent = false;
    sys::UniqueFd kill_timer;  // grace of a one-container stop (probe or hook failure)
};

struct SupervisorOptions {
    LogOptions logs;
    // Called when the state changed (state.json). A turn that started a process (and the
    // first turn, which records pause) calls it before the loop waits again: `down`, `gc`,
    // `exec` and `tree` find every process of the pod by it. Other changes (exits, ready,
    // restart counts) wait up to save_batch_ms, so that exits landing in separate turns are
    // one call, and none when the pod ends first (teardown removes the file). Also right
    // before on_running, and once at the end. May be empty.
    std::function<void(const std::vector<ContainerRun>&, const std::string& phase)> on_change;
    // Each save is an fsync (and, on a disk, the old file's blocks freed): 1-3 ms on a /run
    // on disk. Status may lag by this much. 0 = save every turn.
    int64_t save_batch_ms = 100;
    // Called once, when every app container has been started.
    std::function<void()> on_running;
    // Grace period to use instead of terminationGracePeriodSeconds (`podrun down --timeout`).
    std::function<std::optional<int64_t>()> grace_override;
};

class Supervisor {
public:
    Supervisor(const launcher::LaunchContext& ctx, const SupervisorOptions& opts);
    // Runs the pod to its end; returns the exit code of `up` (see docs/cli.md).
    // Throws SysError if no container could start at all (the caller exits 125).
    int run();

private:
    enum Tag : uint64_t {
        kSignal = 1, kExit, kStdout, kStderr, kBackoff, kGrace, kPause,
        kProbeTimer,    // index = container * 3 + probe kind
        kCheck,         // index = check id
        kCheckDeadline, // index = check id
        kKillTimer,     // index = container
    };
    static uint64_t tag(Tag t, size_t i) { return (static_cast<uint64_t>(t) << 32) | i; }

    enum class Purpose { Startup, Liveness, Readiness, PostStart, PreStop };
    struct Pending {
        std::unique_ptr<probe::Check> check;
        size_t container = 0;
        Purpose purpose = Purpose::Startup;
    };

    void start(size_t i);
    void on_exit(size_t i);
    void on_signal(int sig);
    void begin_stop(const std::string& why);
    void kill_all();
    void start_next_init_or_apps();
    // The container passed postStart: Running; probes begin.
    void on_running(size_t i);
    // The container is started (startupProbe passed or none): liveness, readiness, gating.
    void on_started(size_t i);
    void maybe_report_running();
    // Probes.
    void arm_probe(size_t i, ProbeKind k, int64_t delay_ms);
    void run_probe(size_t i, ProbeKind k);
    void probe_result(size_t i, ProbeKind k, bool ok, const std::string& why);
    void stop_probes(size_t i);
    // Checks (probe or hook runs in flight).
    uint32_t begin_check(size_t i, Purpose p, std::unique_ptr<probe::Check> c);
    void on_check(uint32_t id, bool deadline);
    void end_check(uint32_t id, bool ok, std::string why);
    void cancel_check(uint32_t& id);
    probe::Target target(size_t i) const;
    bool tracked_pid(pid_t pid) const;
    // Stopping one container (probe or hook failure) or all of them.
    void stop_container(size_t i, int64_t grace_s, const std::string& why);
    void advance_stops();
    bool turn_to_stop(size_t i) const;
    void kill_container(size_t i);
    void apps_done_check();
    bool finished() const;
    bool all_stopped() const;
    int exit_code() const;
    void changed(bool new_process = false);  // marks the state dirty; a new process is saved this turn
    void flush();    // calls on_change if dirty
    int save_wait_ms();  // saves if the batch is due; how long the loop may block (-1 = forever)
    std::string phase() const;

    const launcher::LaunchContext& ctx_;
    SupervisorOptions opts_;
    sys::Epoll epoll_;
    sys::UniqueFd sigfd_;
    sys::UniqueFd grace_timer_;
    std::vector<ContainerRun> runs_;  // init containers first, then app containers
    size_t n_init_ = 0;
    size_t next_init_ = 0;
    bool apps_started_ = false;
    bool stopping_ = false;
    bool killed_ = false;
    bool pause_died_ = false;
    bool dirty_ = true;           // pause is not in state.json yet
    int64_t dirty_since_ms_ = 0;  // when the first unsaved change happened
    bool save_now_ = true;        // a process not yet in state.json (pause, at first)
    bool reported_running_ = false;
    bool user_stop_ = false;  // SIGINT/SIGTERM received: a second one kills
    std::map<uint32_t, Pending> checks_;
    uint32_t next_check_ = 1;
    sys::UniqueFd home_netns_;
};

}  // namespace podrun::supervisor
