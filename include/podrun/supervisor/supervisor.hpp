// The pod's supervisor: one single-threaded epoll loop over a signalfd, the containers'
// pidfds, their output pipes, timerfds and the sockets and processes of probes and hooks.
// It runs init containers in order (a sidecar gates the next one on its startup), then the
// app containers; runs postStart, preStop and the three probes; applies restartPolicy with
// Kubernetes' back-off; and stops the pod on SIGINT/SIGTERM (preStop, SIGTERM, grace,
// SIGKILL; sidecars after the app containers, in reverse order). docs/lifecycle.md.
// The loop, starts and exits are in supervisor.cpp, probe and hook scheduling in
// probes.cpp, the ordered stop in stop.cpp; the decisions are pure (policy.hpp,
// run_state.hpp, save_batch.hpp).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "podrun/launcher/launcher.hpp"
#include "podrun/net/forwarder.hpp"
#include "podrun/probe/handler.hpp"
#include "podrun/spec/pod.hpp"
#include "podrun/supervisor/output.hpp"
#include "podrun/supervisor/policy.hpp"
#include "podrun/supervisor/run_state.hpp"
#include "podrun/supervisor/save_batch.hpp"
#include "podrun/sys/events.hpp"

namespace podrun::supervisor {

// One of a container's probes: its period timer and consecutive results.
struct ProbeRun {
    const spec::Probe* spec = nullptr;
    sys::UniqueFd timer;
    ProbeCounts counts;
    uint32_t check = 0;  // id of the check in flight, 0 = none
};

// What one container's run holds besides its state (RunState): its process, output,
// timers and the probes and hook in flight.
struct ContainerRun {
    const spec::Container* spec = nullptr;
    int backoff_streak = 0;
    sys::ChildProcess proc;
    std::unique_ptr<LogFile> log;  // both streams' lines, rotated by size
    std::unique_ptr<ContainerOutput> out, err;
    sys::UniqueFd backoff_timer;
    int64_t started_ms = 0;
    uint64_t oom_baseline = 0;  // memory.events oom_kill of the leaf before this start
    std::string started_at, finished_at;
    ProbeRun probes[3];
    uint32_t hook = 0;         // postStart or preStop check in flight, 0 = none
    sys::UniqueFd kill_timer;  // grace of a one-container stop (probe or hook failure)
};

// A container's status as state.json records it (plain data for the caller).
struct ContainerStatus {
    CState state = CState::Waiting;
    std::string reason;
    int exit_code = 0;
    int restart_count = 0;
    std::string started_at, finished_at;
    bool sidecar = false;
    bool started = false;
    bool ready = false;
    pid_t pid = 0;                // its main process while it runs, else 0
    std::string log_error;        // why lines were lost for its log file ("" = none were)
    uint64_t log_lines_lost = 0;  // how many
};

struct SupervisorOptions {
    OutputOptions output;
    // Called when the state changed (state.json). A turn that started a process (and the
    // first turn, which records pause) calls it before the loop waits again: `down`, `gc`,
    // `exec` and `tree` find every process of the pod by it. Other changes (exits, ready,
    // restart counts) wait up to save_batch_ms, so that exits landing in separate turns are
    // one call, and none when the pod ends first (teardown removes the file). Also right
    // before on_running, and once at the end. May be empty.
    // Returns false when the state could not be saved (a full disk): it is tried again with
    // the next batch.
    std::function<bool(const std::vector<ContainerStatus>&, const std::string& phase)> on_change;
    // Each save is an fsync (and, on a disk, the old file's blocks freed): 1-3 ms on a /run
    // on disk. Status may lag by this much. 0 = save every turn.
    int64_t save_batch_ms = 100;
    // Called once, when every app container has been started.
    std::function<void()> on_running;
    // Grace period to use instead of terminationGracePeriodSeconds (`podrun down --timeout`).
    std::function<std::optional<int64_t>()> grace_override;
    // The pod's hostPort forwarder (bound before any container starts), served by this
    // loop until the pod ends. May be null (no hostPorts, hostNetwork).
    net::Forwarder* forwarder = nullptr;
};

class Supervisor {
  public:
    Supervisor(const launcher::LaunchContext& ctx, const SupervisorOptions& opts);
    // Runs the pod to its end; returns the exit code of `up` (see docs/cli.md).
    // Throws SysError if no container could start at all (the caller exits 125).
    int run();

  private:
    enum Tag : uint64_t {
        kSignal = 1,
        kExit,
        kStdout,
        kStderr,
        kBackoff,
        kGrace,
        kPause,
        kProbeTimer,     // index = container * 3 + probe kind
        kCheck,          // index = check id
        kCheckDeadline,  // index = check id
        kKillTimer,      // index = container
        kDeadline,       // spec.activeDeadlineSeconds
        kTerminal,       // our stdout takes more of the queued lines
        kForward,        // the hostPort forwarder's epoll
    };
    static uint64_t tag(Tag t, size_t i) { return (static_cast<uint64_t>(t) << 32) | i; }

    enum class Purpose { Startup, Liveness, Readiness, PostStart, PreStop };
    struct Pending {
        std::unique_ptr<probe::HandlerRun> check;
        size_t container = 0;
        Purpose purpose = Purpose::Startup;
    };

    // supervisor.cpp: starts, exits, the loop.
    void start(size_t i);
    void on_exit(size_t i);
    void after_exit(size_t i);
    void on_backoff(size_t i);
    void start_next_init_or_apps();
    // The container passed postStart: Running; probes begin.
    void on_running(size_t i);
    // The container is started (startupProbe passed or none): liveness, readiness, gating.
    void on_started(size_t i);
    void maybe_report_running();
    void apps_done_check();
    bool tracked_pid(pid_t pid) const;
    PodRuns pod() const { return PodRuns{states_, n_init_, apps_started_, stopping_, deadline_exceeded_}; }
    void changed(bool new_process = false);  // marks the state dirty; a new process is saved this turn
    void flush();                            // calls on_change if dirty
    int save_wait_ms();                      // saves if the batch is due; how long the loop may block (-1 = forever)
    std::vector<ContainerStatus> statuses() const;
    void dispatch(const sys::Epoll::Event& ev);
    // Watches our stdout for EPOLLOUT exactly while lines wait for it.
    void sync_terminal_watch();
    // probes.cpp: probes and hooks.
    void arm_probe(size_t i, ProbeKind k, int64_t delay_ms);
    void run_probe(size_t i, ProbeKind k);
    void probe_result(size_t i, ProbeKind k, bool ok, const std::string& why);
    void stop_probes(size_t i);
    void start_post_start(size_t i);
    uint32_t begin_check(size_t i, Purpose p, std::unique_ptr<probe::HandlerRun> c);
    void on_check(uint32_t id, bool deadline);
    void end_check(uint32_t id, bool ok, std::string why);
    void cancel_check(uint32_t& id);
    probe::Target target(size_t i) const;
    // stop.cpp: stopping one container (probe or hook failure) or all of them.
    void on_signal(int sig);
    void begin_stop(const std::string& why);
    void stop_container(size_t i, int64_t grace_s, const std::string& why);
    void advance_stops();
    void kill_container(size_t i);
    void kill_all();
    void on_kill_timer(size_t i);
    void on_grace_over();
    void on_pause_died();

    const launcher::LaunchContext& ctx_;
    SupervisorOptions opts_;
    sys::Epoll epoll_;
    sys::UniqueFd sigfd_;
    sys::UniqueFd grace_timer_;
    std::vector<RunState> states_;    // init containers first, then app containers
    std::vector<ContainerRun> runs_;  // the same order: what each run holds
    size_t n_init_ = 0;
    size_t next_init_ = 0;
    bool apps_started_ = false;
    bool stopping_ = false;
    sys::UniqueFd deadline_timer_;
    bool deadline_exceeded_ = false;
    bool killed_ = false;
    bool pause_died_ = false;
    SaveBatch save_;
    bool reported_running_ = false;
    bool user_stop_ = false;  // SIGINT/SIGTERM received: a second one kills
    std::map<uint32_t, Pending> checks_;
    uint32_t next_check_ = 1;
    sys::UniqueFd home_netns_;
    std::unique_ptr<TerminalWriter> terminal_;  // the foreground's stdout; none detached
    int terminal_watched_ = -1;                 // the fd watched for EPOLLOUT, -1 none
};

}  // namespace podrun::supervisor
