// The supervisor's loop (see supervisor.hpp).
#include "podrun/supervisor/supervisor.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "podrun/sys/error.hpp"

namespace podrun::supervisor {

int64_t backoff_ms(int restarts_in_a_row) {
    int64_t ms = 10000;
    for (int i = 0; i < restarts_in_a_row && ms < 300000; i++) ms *= 2;
    return std::min<int64_t>(ms, 300000);
}

bool should_restart(spec::RestartPolicy policy, int exit_code) {
    switch (policy) {
        case spec::RestartPolicy::Always: return true;
        case spec::RestartPolicy::OnFailure: return exit_code != 0;
        case spec::RestartPolicy::Never: return false;
    }
    return false;
}

// A container that ran this long before exiting starts its back-off afresh (the kubelet
// resets after 10 minutes of running).
static constexpr int64_t kBackoffResetMs = 10 * 60 * 1000;

Supervisor::Supervisor(const launcher::LaunchContext& ctx, const SupervisorOptions& opts) : ctx_(ctx), opts_(opts) {
    for (const auto& c : ctx.pod.init_containers) {
        ContainerRun r;
        r.spec = &c;
        r.init = true;
        runs_.push_back(std::move(r));
    }
    n_init_ = runs_.size();
    for (const auto& c : ctx.pod.containers) {
        ContainerRun r;
        r.spec = &c;
        runs_.push_back(std::move(r));
    }
    int color = 0;
    for (auto& r : runs_) {
        std::string log = ctx.paths.log_file(r.spec->name);
        r.out = std::make_unique<LogStream>(r.spec->name, "stdout", log, color, opts_.logs);
        r.err = std::make_unique<LogStream>(r.spec->name, "stderr", log, color, opts_.logs);
        color++;
        r.reason = r.init ? "PodInitializing" : "ContainerCreating";
    }
    // SIGCHLD too: as subreaper we collect re-parented orphans (hostPID pods).
    sigfd_ = sys::block_and_signalfd({SIGINT, SIGTERM, SIGCHLD, SIGHUP});
    ::signal(SIGPIPE, SIG_IGN);
    epoll_.add(sigfd_.get(), tag(kSignal, 0), EPOLLIN);
    epoll_.add(ctx_.sandbox.pause.pidfd(), tag(kPause, 0), EPOLLIN);
}

void Supervisor::start(size_t i) {
    ContainerRun& r = runs_[i];
    launcher::Launched l;
    // Read before the start: an OOM kill can happen before launch() returns.
    r.oom_baseline = cgroup::PodTree::oom_kills(ctx_.cgroups.leaf_dir(r.spec->name));
    try {
        l = launcher::launch(ctx_, *r.spec);
    } catch (const sys::SysError& e) {
        bool anything_ran = std::any_of(runs_.begin(), runs_.end(), [](const ContainerRun& x) { return x.ever_ran; });
        if (!anything_ran) throw;  // nothing ran yet: `up` fails with 125 and rolls back
        spdlog::error("{}", e.what());
        r.state = CState::Terminated;
        r.reason = "StartError";
        r.exit_code = 128;
        r.finished_at = sys::now_rfc3339();
        on_exit(i);
        return;
    }
    if (r.restart_count > 0) {
        LogStream::rotate(ctx_.paths.log_file(r.spec->name));
        r.out->reopen();
        r.err->reopen();
    }
    r.proc = std::move(l.process);
    r.state = CState::Running;
    r.reason.clear();
    r.ever_ran = true;
    r.started_ms = sys::monotonic_ms();
    r.started_at = sys::now_rfc3339();
    r.finished_at.clear();
    r.out->attach(std::move(l.stdout_read));
    r.err->attach(std::move(l.stderr_read));
    epoll_.add(r.out->fd(), tag(kStdout, i), EPOLLIN);
    epoll_.add(r.err->fd(), tag(kStderr, i), EPOLLIN);
    epoll_.add(r.proc.pidfd(), tag(kExit, i), EPOLLIN);
    spdlog::debug("started container {} (pid {})", r.spec->name, r.proc.pid());
    changed();
}

void Supervisor::on_exit(size_t i) {
    ContainerRun& r = runs_[i];
    if (r.proc.alive()) {
        epoll_.remove(r.proc.pidfd());
        auto st = r.proc.try_wait();
        if (!st) return;  // spurious
        r.exit_code = st->shell_code();
        r.state = CState::Terminated;
        r.reason = r.exit_code == 0 ? "Completed" : "Error";
        // The kernel's word, not a guess from SIGKILL: the leaf's memory.events counts OOM
        // kills (with memory.oom.group=1 a kill takes the whole container).
        if (cgroup::PodTree::oom_kills(ctx_.cgroups.leaf_dir(r.spec->name)) > r.oom_baseline) r.reason = "OOMKilled";
        r.finished_at = sys::now_rfc3339();
        spdlog::info("container {} exited with code {}{}{}", r.spec->name, r.exit_code,
                     st->signaled ? " (signal " + std::to_string(st->code) + ")" : "",
                     r.reason == "OOMKilled" ? ": OOMKilled" : "");
    }
    const spec::RestartPolicy policy = ctx_.pod.restart_policy;
    if (!stopping_ && should_restart(policy, r.exit_code)) {
        int64_t ran = sys::monotonic_ms() - r.started_ms;
        if (r.ever_ran && ran >= kBackoffResetMs) r.backoff_streak = 0;
        int64_t delay = backoff_ms(r.backoff_streak);
        r.backoff_streak++;
        r.state = CState::Waiting;
        r.reason = "CrashLoopBackOff";
        spdlog::info("container {} restarts in {} s (back-off, restart {})", r.spec->name, delay / 1000,
                     r.restart_count + 1);
        r.backoff_timer = sys::timerfd_after_ms(delay);
        epoll_.add(r.backoff_timer.get(), tag(kBackoff, i), EPOLLIN);
        changed();
        return;
    }
    r.done = true;
    if (r.exit_code != 0 && !pod_failed_ && !stopping_) {
        failed_code_ = r.exit_code;
        pod_failed_ = true;
    }
    if (r.init) {
        if (r.exit_code != 0) {
            // An init container that failed for good fails the pod; nothing else starts.
            spdlog::error("init container {} failed with code {}: the pod fails", r.spec->name, r.exit_code);
            begin_stop("init container failed");
        } else if (!stopping_) {
            start_next_init_or_apps();
        }
    }
    changed();
}

void Supervisor::start_next_init_or_apps() {
    if (next_init_ < n_init_) {
        start(next_init_++);
        return;
    }
    if (!apps_started_) {
        apps_started_ = true;
        for (size_t i = n_init_; i < runs_.size() && !stopping_; i++) start(i);
        if (!stopping_ && opts_.on_running) {
            flush();  // `up -d` returns now: ps and inspect must already see every container
            opts_.on_running();
        }
    }
}

void Supervisor::begin_stop(const std::string& why) {
    if (stopping_) return;
    stopping_ = true;
    int64_t grace = ctx_.pod.termination_grace_period_seconds;
    if (opts_.grace_override) {
        if (auto g = opts_.grace_override()) grace = *g;
    }
    spdlog::info("stopping the pod ({}): SIGTERM, then SIGKILL after {} s", why, grace);
    for (auto& r : runs_) {
        if (r.backoff_timer) {
            epoll_.remove(r.backoff_timer.get());
            r.backoff_timer.reset();
            r.done = true;
        }
        if (r.state == CState::Waiting) r.done = true;
        if (r.proc.alive()) r.proc.signal(SIGTERM);
    }
    grace_timer_ = sys::timerfd_after_ms(std::max<int64_t>(1, grace * 1000));
    epoll_.add(grace_timer_.get(), tag(kGrace, 0), EPOLLIN);
    changed();
}

void Supervisor::kill_all() {
    if (killed_) return;
    killed_ = true;
    for (auto& r : runs_) {
        if (!r.proc.alive()) continue;
        // cgroup.kill takes the container's whole leaf, children included.
        try {
            cgroup::PodTree::kill_and_wait(ctx_.cgroups.leaf_dir(r.spec->name), 0);
        } catch (const std::exception&) {
        }
        r.proc.signal(SIGKILL);
    }
}

void Supervisor::on_signal(int sig) {
    if (sig == SIGCHLD) {
        sys::reap_untracked(
            [](pid_t pid, void* self) {
                for (auto& r : static_cast<Supervisor*>(self)->runs_) {
                    if (r.proc.pid() == pid) return true;
                }
                return false;
            },
            this);
        return;
    }
    if (stopping_) {
        spdlog::warn("second {}: killing the pod now", strsignal(sig));
        kill_all();
        return;
    }
    begin_stop(strsignal(sig));
}

bool Supervisor::all_stopped() const {
    return std::all_of(runs_.begin(), runs_.end(), [](const ContainerRun& r) { return !r.proc.alive(); });
}

bool Supervisor::finished() const {
    if (!all_stopped()) return false;
    if (stopping_) return true;
    // Every container has ended for good (init containers that never ran count as ended
    // only once the pod stops).
    for (size_t i = n_init_; i < runs_.size(); i++) {
        if (!runs_[i].done) return false;
    }
    return apps_started_;
}

int Supervisor::exit_code() const {
    if (pod_failed_) return failed_code_;
    for (const auto& r : runs_) {
        if (r.ever_ran && r.exit_code != 0) return r.exit_code;
    }
    return 0;
}

std::string Supervisor::phase() const {
    if (finished()) return exit_code() == 0 ? "Succeeded" : "Failed";
    return apps_started_ ? "Running" : "Pending";
}

void Supervisor::changed() { dirty_ = true; }

void Supervisor::flush() {
    if (!dirty_) return;
    dirty_ = false;
    if (opts_.on_change) opts_.on_change(runs_, phase());
}

int Supervisor::run() {
    start_next_init_or_apps();
    while (!finished()) {
        flush();  // what this turn changed is saved before we block
        for (const auto& ev : epoll_.wait(-1)) {
            Tag t = static_cast<Tag>(ev.tag >> 32);
            size_t i = ev.tag & 0xffffffffu;
            switch (t) {
                case kSignal:
                    while (int sig = sys::read_signal(sigfd_.get())) on_signal(sig);
                    break;
                case kExit: on_exit(i); break;
                case kStdout:
                case kStderr: {
                    LogStream& s = t == kStdout ? *runs_[i].out : *runs_[i].err;
                    int fd = s.fd();
                    if (!s.on_readable()) epoll_.remove(fd);
                    break;
                }
                case kBackoff: {
                    ContainerRun& r = runs_[i];
                    epoll_.remove(r.backoff_timer.get());
                    r.backoff_timer.reset();
                    r.restart_count++;
                    start(i);
                    break;
                }
                case kGrace:
                    epoll_.remove(grace_timer_.get());
                    spdlog::warn("grace period of {} s over: SIGKILL", ctx_.pod.termination_grace_period_seconds);
                    kill_all();
                    break;
                case kPause:
                    epoll_.remove(ctx_.sandbox.pause.pidfd());
                    if (!pause_died_) {
                        pause_died_ = true;
                        spdlog::error("pause (PID 1 of the pod) died: stopping the pod");
                        begin_stop("pause died");
                        kill_all();
                    }
                    break;
            }
        }
    }
    // Drain what the containers wrote last.
    for (auto& r : runs_) {
        if (r.out->fd() >= 0) r.out->on_readable();
        if (r.err->fd() >= 0) r.err->on_readable();
    }
    changed();
    flush();
    return exit_code();
}

}  // namespace podrun::supervisor
