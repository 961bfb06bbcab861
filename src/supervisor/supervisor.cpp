// The supervisor's loop, starts and exits (see supervisor.hpp). Probes and hooks are in
// probes.cpp, the ordered stop in stop.cpp, the decisions in policy.cpp and run_state.cpp.
#include "podrun/supervisor/supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "podrun/sys/clock.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::supervisor {

Supervisor::Supervisor(const launcher::LaunchContext& ctx, const SupervisorOptions& opts)
    : ctx_(ctx), opts_(opts), save_(opts.save_batch_ms) {
    for (const auto& c : ctx.pod.init_containers) {
        states_.emplace_back(true, c.is_sidecar());
        runs_.emplace_back().spec = &c;
    }
    n_init_ = runs_.size();
    for (const auto& c : ctx.pod.containers) {
        states_.emplace_back(false, false);
        runs_.emplace_back().spec = &c;
    }
    if (opts_.output.print) terminal_ = std::make_unique<TerminalWriter>(STDOUT_FILENO, opts_.output);
    int color = 0;
    for (auto& r : runs_) {
        const OutputOptions& o = opts_.output;
        r.log = std::make_unique<LogFile>(ctx.paths.log_file(r.spec->name), o.log_max_bytes, o.log_max_files);
        const size_t source = terminal_ ? terminal_->add_source(r.spec->name) : 0;
        r.out = std::make_unique<ContainerOutput>(r.spec->name, "stdout", *r.log, terminal_.get(), source, color, o);
        r.err = std::make_unique<ContainerOutput>(r.spec->name, "stderr", *r.log, terminal_.get(), source, color, o);
        color++;
        r.probes[0].spec = r.spec->startup_probe ? &*r.spec->startup_probe : nullptr;
        r.probes[1].spec = r.spec->liveness_probe ? &*r.spec->liveness_probe : nullptr;
        r.probes[2].spec = r.spec->readiness_probe ? &*r.spec->readiness_probe : nullptr;
    }
    // SIGCHLD too: as subreaper we collect re-parented orphans (hostPID pods).
    sigfd_ = sys::block_and_signalfd({SIGINT, SIGTERM, SIGCHLD, SIGHUP});
    ::signal(SIGPIPE, SIG_IGN);
    epoll_.add(sigfd_.get(), tag(kSignal, 0), EPOLLIN);
    epoll_.add(ctx_.sandbox.pause.pidfd(), tag(kPause, 0), EPOLLIN);
    // httpGet and tcpSocket sockets are made in the pod's network namespace; this is the
    // way back.
    if (ctx_.sandbox.ns.net) home_netns_ = sys::open_file("/proc/self/ns/net", O_RDONLY);
    if (opts_.forwarder) epoll_.add(opts_.forwarder->fd(), tag(kForward, 0), EPOLLIN);
}

// ---- starting ----

void Supervisor::start(size_t i) {
    ContainerRun& r = runs_[i];
    RunState& s = states_[i];
    launcher::Launched l;
    try {
        // A new instance gets a new leaf, as a runtime gives each container it creates its
        // own cgroup. It also must: once cgroup.kill was written to a cgroup (leftovers of
        // the last instance, a grace period that ran out), this host's kernel (6.18) SIGKILLs
        // every process later made in it with CLONE_INTO_CGROUP (its fork-versus-kill
        // check reads the creating process's cgroup, not the target's).
        if (s.ever_ran() && !ctx_.cgroups.remove_leaf(r.spec->name, 2000)) {
            throw sys::SysError(EBUSY, "container \"" + r.spec->name +
                                           "\": processes of its previous instance are "
                                           "still in " +
                                           ctx_.cgroups.leaf_dir(r.spec->name) + " 2 s after cgroup.kill");
        }
        // Read before the start: an OOM kill can happen before launch() returns.
        r.oom_baseline = cgroup::PodTree::oom_kills(ctx_.cgroups.leaf_dir(r.spec->name));
        l = launcher::launch(ctx_, *r.spec);
    } catch (const sys::SysError& e) {
        bool anything_ran = std::any_of(states_.begin(), states_.end(), [](const RunState& x) { return x.ever_ran(); });
        if (!anything_ran) throw;  // nothing ran yet: `up` fails with 125 and rolls back
        spdlog::error("{}", e.what());
        r.started_ms = sys::monotonic_ms();  // a failed start is no long run: no back-off reset
        r.finished_at = sys::now_rfc3339();
        const RestartDecision d =
            decide_restart(container_policy(ctx_.pod.restart_policy, s.init(), s.sidecar(), r.spec->restart_policy),
                           128, stopping_, r.backoff_streak, s.ever_ran(), 0, r.spec->restart_rules);
        r.backoff_streak = d.streak;
        s.start_failed(d.restart);
        after_exit(i);
        return;
    }
    // The previous instance's log becomes "<file>.previous" (`podrun logs --previous`).
    if (s.restart_count() > 0) r.log->new_instance();
    r.proc = std::move(l.process);
    r.started_ms = sys::monotonic_ms();
    r.started_at = sys::now_rfc3339();
    r.finished_at.clear();
    r.out->attach(std::move(l.stdout_read));
    r.err->attach(std::move(l.stderr_read));
    epoll_.add(r.out->fd(), tag(kStdout, i), EPOLLIN);
    epoll_.add(r.err->fd(), tag(kStderr, i), EPOLLIN);
    epoll_.add(r.proc.pidfd(), tag(kExit, i), EPOLLIN);
    spdlog::debug("started container {} (pid {})", r.spec->name, r.proc.pid());
    changed(true);
    const bool post_start = r.spec->lifecycle.post_start.has_value();
    s.launched(post_start, r.probes[0].spec, r.probes[2].spec);
    if (post_start) {
        start_post_start(i);
        return;
    }
    on_running(i);
}

void Supervisor::start_next_init_or_apps() {
    if (next_init_ < n_init_) {
        start(next_init_++);
        return;
    }
    if (!apps_started_) {
        apps_started_ = true;
        for (size_t i = n_init_; i < runs_.size() && !stopping_; i++) start(i);
        maybe_report_running();
    }
}

void Supervisor::maybe_report_running() {
    if (reported_running_ || stopping_ || !opts_.on_running || !apps_settled(pod())) return;
    reported_running_ = true;
    flush();  // `up -d` returns now: ps and inspect must already see every container
    opts_.on_running();
}

// ---- exits and restarts ----

void Supervisor::on_exit(size_t i) {
    ContainerRun& r = runs_[i];
    RunState& s = states_[i];
    if (!r.proc.alive()) return;
    // Out of epoll before try_wait closes the pidfd; back in if the wake-up was spurious.
    epoll_.remove(r.proc.pidfd());
    auto st = r.proc.try_wait();
    if (!st) {
        epoll_.add(r.proc.pidfd(), tag(kExit, i), EPOLLIN);
        return;
    }
    const int code = st->shell_code();
    // The kernel's word, not a guess from SIGKILL: the leaf's memory.events counts OOM
    // kills (with memory.oom.group=1 a kill takes the whole container).
    const bool oom = cgroup::PodTree::oom_kills(ctx_.cgroups.leaf_dir(r.spec->name)) > r.oom_baseline;
    const std::string reason = oom ? "OOMKilled" : code == 0 ? "Completed" : "Error";
    r.finished_at = sys::now_rfc3339();
    spdlog::info("container {} exited with code {}{}{}", r.spec->name, code,
                 st->signaled ? " (signal " + std::to_string(st->code) + ")" : "", oom ? ": OOMKilled" : "");
    const RestartDecision d =
        decide_restart(container_policy(ctx_.pod.restart_policy, s.init(), s.sidecar(), r.spec->restart_policy), code,
                       stopping_, r.backoff_streak, true, sys::monotonic_ms() - r.started_ms, r.spec->restart_rules);
    r.backoff_streak = d.streak;
    s.exited(code, reason, d.restart);
    after_exit(i);
}

// What follows an exit or a failed start: whatever ran for the container ends with it,
// then a back-off timer or the end for good.
void Supervisor::after_exit(size_t i) {
    ContainerRun& r = runs_[i];
    RunState& s = states_[i];
    // Processes its main process left in the leaf (as a runtime deletes the container's
    // cgroup), probes, hooks, its own stop.
    try {
        cgroup::PodTree::kill_and_wait(ctx_.cgroups.leaf_dir(r.spec->name), 0);
    } catch (const std::exception& e) {
        spdlog::warn("container {}: {}", r.spec->name, e.what());
    }
    stop_probes(i);
    cancel_check(r.hook);
    if (r.kill_timer) {
        epoll_.remove(r.kill_timer.get());
        r.kill_timer.reset();
    }
    if (s.phase() == Phase::BackOff) {
        const int64_t delay = backoff_ms(r.backoff_streak - 1);
        spdlog::info("container {} restarts in {} s (back-off, restart {})", r.spec->name, delay / 1000,
                     s.restart_count() + 1);
        r.backoff_timer = sys::timerfd_after_ms(delay);
        epoll_.add(r.backoff_timer.get(), tag(kBackoff, i), EPOLLIN);
        changed();
        maybe_report_running();
        return;
    }
    if (s.init() && !s.sidecar()) {
        if (s.exit_code() != 0) {
            // An init container that failed for good fails the pod; nothing else starts.
            spdlog::error("init container {} failed with code {}: the pod fails", r.spec->name, s.exit_code());
            begin_stop("init container failed");
        } else if (!stopping_) {
            start_next_init_or_apps();
        }
    }
    changed();
    maybe_report_running();
    apps_done_check();
    advance_stops();
}

void Supervisor::on_backoff(size_t i) {
    ContainerRun& r = runs_[i];
    if (!r.backoff_timer) return;  // the pod began to stop in this turn
    epoll_.remove(r.backoff_timer.get());
    r.backoff_timer.reset();
    states_[i].restarting();
    start(i);
}

// Every app container has ended for good: the sidecars have nothing left to serve, so they
// are stopped (Kubernetes 1.29+), and the pod's phase comes from the app containers.
void Supervisor::apps_done_check() {
    if (sidecars_outlived_apps(pod())) begin_stop("every app container has ended: stopping the sidecars");
}

bool Supervisor::tracked_pid(pid_t pid) const {
    if (pid == ctx_.sandbox.pause.pid()) return true;  // up reaps pause itself, after run()
    for (const auto& r : runs_) {
        if (r.proc.pid() == pid) return true;
    }
    for (const auto& [id, p] : checks_) {
        if (p.check->pid() == pid) return true;
    }
    return false;
}

// ---- state.json ----

std::vector<ContainerStatus> Supervisor::statuses() const {
    std::vector<ContainerStatus> out;
    for (size_t i = 0; i < runs_.size(); i++) {
        const RunState& s = states_[i];
        const ContainerRun& r = runs_[i];
        out.push_back(ContainerStatus{s.status(), s.reason(), s.exit_code(), s.restart_count(), r.started_at,
                                      r.finished_at, s.sidecar(), s.started(), s.ready(),
                                      r.proc.pid() > 0 ? r.proc.pid() : 0, r.log->error(), r.log->lines_lost()});
    }
    return out;
}

void Supervisor::changed(bool new_process) {
    save_.changed(sys::monotonic_ms(), new_process);
}

void Supervisor::flush() {
    if (!save_.dirty()) return;
    save_.saved();
    if (opts_.on_change && !opts_.on_change(statuses(), pod_phase(pod()))) changed();
}

int Supervisor::save_wait_ms() {
    const int64_t due = save_.due_in(sys::monotonic_ms());
    if (due > 0) return static_cast<int>(due);
    if (due == 0) flush();
    return -1;
}

// ---- the loop ----

void Supervisor::dispatch(const sys::Epoll::Event& ev) {
    const Tag t = static_cast<Tag>(ev.tag >> 32);
    const size_t i = ev.tag & 0xffffffffu;
    switch (t) {
        case kSignal:
            while (int sig = sys::read_signal(sigfd_.get())) on_signal(sig);
            break;
        case kExit:
            on_exit(i);
            break;
        case kStdout:
        case kStderr: {
            ContainerOutput& o = t == kStdout ? *runs_[i].out : *runs_[i].err;
            int fd = o.fd();
            if (!o.on_readable()) epoll_.remove(fd);
            if (runs_[i].log->take_changed()) changed();  // a log error for the status
            break;
        }
        case kBackoff:
            on_backoff(i);
            break;
        case kProbeTimer:
            run_probe(i / 3, static_cast<ProbeKind>(i % 3));
            break;
        case kCheck:
            on_check(static_cast<uint32_t>(i), false);
            break;
        case kCheckDeadline:
            on_check(static_cast<uint32_t>(i), true);
            break;
        case kKillTimer:
            on_kill_timer(i);
            break;
        case kGrace:
            on_grace_over();
            break;
        case kPause:
            on_pause_died();
            break;
        case kTerminal:
            terminal_->on_writable();
            break;
        case kForward:
            opts_.forwarder->on_ready();
            break;
        case kDeadline:
            // The kubelet's activeDeadlineSeconds: the pod fails with reason DeadlineExceeded and
            // its containers are stopped as `down` stops them (preStop, SIGTERM, grace).
            epoll_.remove(deadline_timer_.get());
            deadline_timer_.reset();
            deadline_exceeded_ = true;
            spdlog::error(
                "pod {}: DeadlineExceeded: Pod was active on the node longer than the specified deadline "
                "(activeDeadlineSeconds {})",
                ctx_.pod.metadata.name, ctx_.pod.active_deadline_seconds.value_or(0));
            begin_stop("DeadlineExceeded");
            break;
    }
}

void Supervisor::sync_terminal_watch() {
    if (!terminal_) return;
    const int want = terminal_->pending() ? terminal_->watch_fd() : -1;
    if (want == terminal_watched_) return;
    if (terminal_watched_ >= 0) epoll_.remove(terminal_watched_);
    if (want >= 0) epoll_.add(want, tag(kTerminal, 0), EPOLLOUT);
    terminal_watched_ = want;
}

int Supervisor::run() {
    // Counted from the pod's start, as the kubelet counts from its status.startTime.
    if (ctx_.pod.active_deadline_seconds) {
        deadline_timer_ = sys::timerfd_after_ms(*ctx_.pod.active_deadline_seconds * 1000);
        epoll_.add(deadline_timer_.get(), tag(kDeadline, 0), EPOLLIN);
    }
    start_next_init_or_apps();
    while (!pod_finished(pod())) {
        sync_terminal_watch();
        // A change is saved when its batch is due; the wait wakes for it.
        for (const auto& ev : epoll_.wait(save_wait_ms())) dispatch(ev);
    }
    // Drain what the containers wrote last; the terminal gets a moment to take it.
    for (auto& r : runs_) {
        r.out->drain();
        r.err->drain();
    }
    if (terminal_) {
        if (terminal_watched_ >= 0) epoll_.remove(terminal_watched_);
        terminal_watched_ = -1;
        terminal_->drain(500);
    }
    changed();
    flush();
    return pod_exit_code(pod());
}

}  // namespace podrun::supervisor
