// The pod's supervisor: one single-threaded epoll loop over a signalfd, the containers'
// pidfds, their log pipes and timerfds. It runs init containers in order, then the app
// containers, applies restartPolicy with Kubernetes' back-off, and stops the pod on
// SIGINT/SIGTERM (SIGTERM, grace period, SIGKILL).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "podrun/launcher/launcher.hpp"
#include "podrun/spec/pod.hpp"
#include "podrun/state/state.hpp"
#include "podrun/supervisor/logs.hpp"
#include "podrun/sys/io.hpp"

namespace podrun::supervisor {

// Kubernetes' crash back-off: 10 s doubling to 300 s (restart n waits backoff_ms(n)).
int64_t backoff_ms(int restarts_in_a_row);
// restartPolicy applied to one exit.
bool should_restart(spec::RestartPolicy policy, int exit_code);

enum class CState { Waiting, Running, Terminated };

struct ContainerRun {
    const spec::Container* spec = nullptr;
    bool init = false;
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
};

struct SupervisorOptions {
    LogOptions logs;
    // Called once per turn of the loop in which the state changed (state.json), before the
    // loop blocks again, and once at the end; may be empty. Starting ten containers in one
    // turn is one call, not ten.
    std::function<void(const std::vector<ContainerRun>&, const std::string& phase)> on_change;
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
    enum Tag : uint64_t { kSignal = 1, kExit, kStdout, kStderr, kBackoff, kGrace, kPause };
    static uint64_t tag(Tag t, size_t i) { return (static_cast<uint64_t>(t) << 32) | i; }

    void start(size_t i);
    void on_exit(size_t i);
    void on_signal(int sig);
    void begin_stop(const std::string& why);
    void kill_all();
    void start_next_init_or_apps();
    bool finished() const;
    bool all_stopped() const;
    int exit_code() const;
    void changed();  // marks the state dirty
    void flush();    // calls on_change if dirty
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
    bool pod_failed_ = false;
    bool pause_died_ = false;
    bool dirty_ = false;
    int failed_code_ = 0;
};

}  // namespace podrun::supervisor
