// The supervisor's loop (see supervisor.hpp).
#include "podrun/supervisor/supervisor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "podrun/sys/error.hpp"
#include "podrun/spec/env.hpp"
#include "podrun/sys/net.hpp"

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

spec::RestartPolicy container_policy(spec::RestartPolicy pod, bool init, bool sidecar) {
    if (sidecar) return spec::RestartPolicy::Always;
    if (init && pod == spec::RestartPolicy::Always) return spec::RestartPolicy::OnFailure;
    return pod;
}

const char* probe_name(ProbeKind k) {
    switch (k) {
        case ProbeKind::Startup: return "startup";
        case ProbeKind::Liveness: return "liveness";
        case ProbeKind::Readiness: return "readiness";
    }
    return "?";
}

// A container that ran this long before exiting starts its back-off afresh (the kubelet
// resets after 10 minutes of running).
static constexpr int64_t kBackoffResetMs = 10 * 60 * 1000;

int backoff_streak_after(int streak, int64_t ran_ms) { return ran_ms >= kBackoffResetMs ? 0 : streak; }

Supervisor::Supervisor(const launcher::LaunchContext& ctx, const SupervisorOptions& opts) : ctx_(ctx), opts_(opts) {
    for (const auto& c : ctx.pod.init_containers) {
        ContainerRun r;
        r.spec = &c;
        r.init = true;
        r.sidecar = c.is_sidecar();
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
}

// ---- starting ----

void Supervisor::start(size_t i) {
    ContainerRun& r = runs_[i];
    launcher::Launched l;
    try {
        // A new instance gets a new leaf, as a runtime gives each container it creates its
        // own cgroup. It also must: once cgroup.kill was written to a cgroup (leftovers of
        // the last instance, a grace period that ran out), this host's kernel (6.18) SIGKILLs
        // every process later made in it with CLONE_INTO_CGROUP (its fork-versus-kill
        // check reads the creating process's cgroup, not the target's).
        if (r.ever_ran && !ctx_.cgroups.remove_leaf(r.spec->name, 2000)) {
            throw sys::SysError(EBUSY, "container \"" + r.spec->name + "\": processes of its previous instance are "
                                       "still in " + ctx_.cgroups.leaf_dir(r.spec->name) + " 2 s after cgroup.kill");
        }
        // Read before the start: an OOM kill can happen before launch() returns.
        r.oom_baseline = cgroup::PodTree::oom_kills(ctx_.cgroups.leaf_dir(r.spec->name));
        l = launcher::launch(ctx_, *r.spec);
    } catch (const sys::SysError& e) {
        bool anything_ran = std::any_of(runs_.begin(), runs_.end(), [](const ContainerRun& x) { return x.ever_ran; });
        if (!anything_ran) throw;  // nothing ran yet: `up` fails with 125 and rolls back
        spdlog::error("{}", e.what());
        r.state = CState::Terminated;
        r.reason = "StartError";
        r.exit_code = 128;
        r.started_ms = sys::monotonic_ms();  // a failed start is no long run: no back-off reset
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
    r.ever_ran = true;
    r.started_ms = sys::monotonic_ms();
    r.started_at = sys::now_rfc3339();
    r.finished_at.clear();
    r.started = r.ready = r.post_start_done = false;
    r.stopping = r.term_sent = false;
    r.out->attach(std::move(l.stdout_read));
    r.err->attach(std::move(l.stderr_read));
    epoll_.add(r.out->fd(), tag(kStdout, i), EPOLLIN);
    epoll_.add(r.err->fd(), tag(kStderr, i), EPOLLIN);
    epoll_.add(r.proc.pidfd(), tag(kExit, i), EPOLLIN);
    spdlog::debug("started container {} (pid {})", r.spec->name, r.proc.pid());
    changed(true);
    if (const auto& hook = r.spec->lifecycle.post_start) {
        // Kubernetes shows the container as still being created until postStart succeeds.
        r.state = CState::Waiting;
        r.reason = r.init ? "PodInitializing" : "ContainerCreating";
        std::unique_ptr<probe::Check> c;
        try {
            c = probe::start(*hook, target(i), 0);
        } catch (const sys::SysError& e) {
            spdlog::warn("container {}: postStart hook failed: {}: killing the container", r.spec->name, e.what());
            r.settled = true;
            maybe_report_running();
            stop_container(i, ctx_.pod.termination_grace_period_seconds, "postStart hook failed");
            return;
        }
        spdlog::info("container {}: postStart hook: {}", r.spec->name, c->what());
        r.hook = begin_check(i, Purpose::PostStart, std::move(c));
        return;
    }
    on_running(i);
}

// initialDelaySeconds counts from the container's start, as the kubelet counts it (time
// spent in postStart or the startup probe is part of it).
static int64_t probe_delay_ms(const ContainerRun& r, const spec::Probe& p) {
    return r.started_ms + p.initial_delay_seconds * 1000 - sys::monotonic_ms();
}

void Supervisor::on_running(size_t i) {
    ContainerRun& r = runs_[i];
    r.state = CState::Running;
    r.reason.clear();
    r.post_start_done = true;
    r.settled = true;
    changed();
    if (r.probes[0].spec) {
        arm_probe(i, ProbeKind::Startup, probe_delay_ms(r, *r.probes[0].spec));
    } else {
        on_started(i);
    }
    maybe_report_running();
}

void Supervisor::on_started(size_t i) {
    ContainerRun& r = runs_[i];
    r.started = true;
    changed();
    if (r.probes[1].spec) arm_probe(i, ProbeKind::Liveness, probe_delay_ms(r, *r.probes[1].spec));
    if (r.probes[2].spec) {
        arm_probe(i, ProbeKind::Readiness, probe_delay_ms(r, *r.probes[2].spec));
    } else {
        r.ready = true;  // no readinessProbe: ready once started
    }
    // A sidecar lets the next init container start once it has started (its startupProbe
    // passed), the first time only: a restart later does not re-run the sequence.
    if (r.sidecar && !r.gated_next && !stopping_) {
        r.gated_next = true;
        start_next_init_or_apps();
    }
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
    if (reported_running_ || !apps_started_ || stopping_ || !opts_.on_running) return;
    for (size_t i = n_init_; i < runs_.size(); i++) {
        if (!runs_[i].settled && !runs_[i].done) return;
    }
    reported_running_ = true;
    flush();  // `up -d` returns now: ps and inspect must already see every container
    opts_.on_running();
}

// ---- exits and restarts ----

void Supervisor::on_exit(size_t i) {
    ContainerRun& r = runs_[i];
    if (r.proc.alive()) {
        // Out of epoll before try_wait closes the pidfd; back in if the wake-up was spurious.
        epoll_.remove(r.proc.pidfd());
        auto st = r.proc.try_wait();
        if (!st) {
            epoll_.add(r.proc.pidfd(), tag(kExit, i), EPOLLIN);
            return;
        }
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
    // Whatever ran for it ends with it: processes its main process left in the leaf (as a
    // runtime deletes the container's cgroup), probes, hooks, its own stop.
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
    r.stopping = r.term_sent = false;
    r.started = r.ready = false;
    r.settled = true;
    const spec::RestartPolicy policy = container_policy(ctx_.pod.restart_policy, r.init, r.sidecar);
    if (!stopping_ && should_restart(policy, r.exit_code)) {
        if (r.ever_ran) r.backoff_streak = backoff_streak_after(r.backoff_streak, sys::monotonic_ms() - r.started_ms);
        int64_t delay = backoff_ms(r.backoff_streak);
        r.backoff_streak++;
        r.state = CState::Waiting;
        r.reason = "CrashLoopBackOff";
        spdlog::info("container {} restarts in {} s (back-off, restart {})", r.spec->name, delay / 1000,
                     r.restart_count + 1);
        r.backoff_timer = sys::timerfd_after_ms(delay);
        epoll_.add(r.backoff_timer.get(), tag(kBackoff, i), EPOLLIN);
        changed();
        maybe_report_running();
        return;
    }
    r.done = true;
    if (r.init && !r.sidecar) {
        if (r.exit_code != 0) {
            // An init container that failed for good fails the pod; nothing else starts.
            spdlog::error("init container {} failed with code {}: the pod fails", r.spec->name, r.exit_code);
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

// Every app container has ended for good: the sidecars have nothing left to serve, so they
// are stopped (Kubernetes 1.29+), and the pod's phase comes from the app containers.
void Supervisor::apps_done_check() {
    if (stopping_ || !apps_started_) return;
    for (size_t i = n_init_; i < runs_.size(); i++) {
        if (!runs_[i].done) return;
    }
    bool sidecar_left = false;
    for (size_t i = 0; i < n_init_; i++) {
        if (runs_[i].sidecar && !runs_[i].done) sidecar_left = true;
    }
    if (sidecar_left) begin_stop("every app container has ended: stopping the sidecars");
}

// ---- probes ----

void Supervisor::arm_probe(size_t i, ProbeKind k, int64_t delay_ms) {
    ProbeRun& p = runs_[i].probes[static_cast<int>(k)];
    p.successes = p.failures = 0;
    // A zero timer would be disarmed: "at once" is 1 ms, through the loop.
    p.timer = sys::timerfd_after_ms(std::max<int64_t>(1, delay_ms));
    epoll_.add(p.timer.get(), tag(kProbeTimer, i * 3 + static_cast<size_t>(k)), EPOLLIN);
}

void Supervisor::run_probe(size_t i, ProbeKind k) {
    ContainerRun& r = runs_[i];
    ProbeRun& p = r.probes[static_cast<int>(k)];
    if (!p.timer) return;  // stopped earlier in this turn of the loop
    sys::timerfd_drain(p.timer.get());
    // Every periodSeconds from now; a probe still running at the next tick skips it.
    sys::timerfd_rearm_ms(p.timer.get(), p.spec->period_seconds * 1000);
    if (p.check != 0 || !r.proc.alive()) return;
    std::unique_ptr<probe::Check> c;
    spec::ProbeHandler handler = p.spec->handler;
    // The kubelet expands $(VAR) in an exec probe's command (literal env values only).
    if (auto* e = std::get_if<spec::ExecAction>(&handler)) e->command = spec::expand_static(e->command, *r.spec);
    try {
        c = probe::start(handler, target(i), p.spec->timeout_seconds * 1000);
    } catch (const sys::SysError& e) {
        probe_result(i, k, false, e.what());
        return;
    }
    Purpose purpose = k == ProbeKind::Startup ? Purpose::Startup : k == ProbeKind::Liveness ? Purpose::Liveness : Purpose::Readiness;
    p.check = begin_check(i, purpose, std::move(c));
}

void Supervisor::probe_result(size_t i, ProbeKind k, bool ok, const std::string& why) {
    ContainerRun& r = runs_[i];
    ProbeRun& p = r.probes[static_cast<int>(k)];
    const std::string& name = r.spec->name;
    if (ok) {
        p.successes++;
        p.failures = 0;
    } else {
        p.failures++;
        p.successes = 0;
        spdlog::info("container {}: {} probe failed ({}/{}): {}", name, probe_name(k), p.failures,
                     p.spec->failure_threshold, why);
    }
    if (r.stopping || stopping_) return;
    const int64_t grace = p.spec->termination_grace_period_seconds.value_or(ctx_.pod.termination_grace_period_seconds);
    switch (k) {
        case ProbeKind::Startup:
            if (ok) {
                spdlog::info("container {}: startup probe succeeded", name);
                epoll_.remove(p.timer.get());
                p.timer.reset();
                on_started(i);
            } else if (p.failures >= p.spec->failure_threshold) {
                stop_container(i, grace, "startup probe failed " + std::to_string(p.failures) + " times");
            }
            break;
        case ProbeKind::Liveness:
            if (!ok && p.failures >= p.spec->failure_threshold) {
                stop_container(i, grace, "liveness probe failed " + std::to_string(p.failures) + " times");
            }
            break;
        case ProbeKind::Readiness:
            if (ok && !r.ready && p.successes >= p.spec->success_threshold) {
                r.ready = true;
                spdlog::info("container {} is ready", name);
                changed();
            } else if (!ok && r.ready && p.failures >= p.spec->failure_threshold) {
                r.ready = false;
                spdlog::info("container {} is not ready", name);
                changed();
            }
            break;
    }
}

void Supervisor::stop_probes(size_t i) {
    for (auto& p : runs_[i].probes) {
        if (p.timer) {
            epoll_.remove(p.timer.get());
            p.timer.reset();
        }
        cancel_check(p.check);
    }
}

// ---- checks: a probe or hook in flight ----

probe::Target Supervisor::target(size_t i) const {
    const ContainerRun& r = runs_[i];
    probe::Target t;
    if (ctx_.sandbox.ns.net) {
        t.pod_net_pidfd = ctx_.sandbox.pause.pidfd();
        t.home_netns_fd = home_netns_.get();
    }
    t.container_pid = r.proc.pid();
    t.leaf_dir = ctx_.cgroups.leaf_dir(r.spec->name);
    for (auto& [k, v] : launcher::environment(ctx_, *r.spec)) t.env.push_back(k + "=" + v);
    t.cwd = r.spec->working_dir.empty() ? "/" : r.spec->working_dir;
    t.confine = ctx_.confine ? ctx_.confine->for_container(r.spec->name) : nullptr;
    return t;
}

uint32_t Supervisor::begin_check(size_t i, Purpose p, std::unique_ptr<probe::Check> c) {
    uint32_t id = next_check_++;
    epoll_.add(c->fd(), tag(kCheck, id), c->events());
    if (c->timer_fd() >= 0) epoll_.add(c->timer_fd(), tag(kCheckDeadline, id), EPOLLIN);
    checks_[id] = Pending{std::move(c), i, p};
    return id;
}

void Supervisor::cancel_check(uint32_t& id) {
    if (id == 0) return;
    auto it = checks_.find(id);
    id = 0;
    if (it == checks_.end()) return;
    probe::Check& c = *it->second.check;
    epoll_.remove(c.fd());
    if (c.timer_fd() >= 0) epoll_.remove(c.timer_fd());
    checks_.erase(it);  // an exec handler's process is killed here, and reaped on SIGCHLD
}

void Supervisor::on_check(uint32_t id, bool deadline) {
    auto it = checks_.find(id);
    if (it == checks_.end()) return;
    probe::Check& c = *it->second.check;
    if (deadline) {
        c.on_timeout();
        end_check(id, false, "timed out");
        return;
    }
    uint32_t before = c.events();
    probe::Result res = c.on_ready();
    if (res == probe::Result::Pending) {
        if (c.events() != before) {
            epoll_.remove(c.fd());
            epoll_.add(c.fd(), tag(kCheck, id), c.events());
        }
        return;
    }
    end_check(id, res == probe::Result::Success, c.message());  // by value: end_check destroys c
}

void Supervisor::end_check(uint32_t id, bool ok, std::string why) {
    auto it = checks_.find(id);
    if (it == checks_.end()) return;
    const size_t i = it->second.container;
    const Purpose purpose = it->second.purpose;
    const std::string what = it->second.check->what();
    uint32_t done = id;
    ContainerRun& r = runs_[i];
    // Forget it first: what follows may start the next check for this container.
    switch (purpose) {
        case Purpose::PostStart:
        case Purpose::PreStop: r.hook = 0; break;
        default: r.probes[static_cast<int>(purpose)].check = 0; break;
    }
    cancel_check(done);
    switch (purpose) {
        case Purpose::Startup: probe_result(i, ProbeKind::Startup, ok, why); break;
        case Purpose::Liveness: probe_result(i, ProbeKind::Liveness, ok, why); break;
        case Purpose::Readiness: probe_result(i, ProbeKind::Readiness, ok, why); break;
        case Purpose::PostStart:
            if (ok) {
                spdlog::info("container {}: postStart hook done", r.spec->name);
                on_running(i);
            } else {
                spdlog::warn("container {}: postStart hook {} failed: {}: killing the container", r.spec->name, what, why);
                r.settled = true;
                maybe_report_running();
                stop_container(i, ctx_.pod.termination_grace_period_seconds, "postStart hook failed");
            }
            break;
        case Purpose::PreStop:
            if (ok) {
                spdlog::info("container {}: preStop hook done", r.spec->name);
            } else {
                spdlog::warn("container {}: preStop hook {} failed: {}", r.spec->name, what, why);
            }
            advance_stops();
            break;
    }
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

// ---- stopping ----

void Supervisor::stop_container(size_t i, int64_t grace_s, const std::string& why) {
    ContainerRun& r = runs_[i];
    if (!r.proc.alive() || r.stopping) return;
    if (!stopping_) spdlog::info("container {}: {}: stopping it (grace {} s)", r.spec->name, why, grace_s);
    r.stopping = true;
    r.ready = false;
    stop_probes(i);
    cancel_check(r.hook);  // a postStart still running
    changed();
    if (const auto& pre = r.spec->lifecycle.pre_stop) {
        try {
            auto c = probe::start(*pre, target(i), 0);
            spdlog::info("container {}: preStop hook: {}", r.spec->name, c->what());
            r.hook = begin_check(i, Purpose::PreStop, std::move(c));
        } catch (const sys::SysError& e) {
            spdlog::warn("container {}: preStop hook failed: {}", r.spec->name, e.what());
        }
    }
    if (!stopping_) {
        r.kill_timer = sys::timerfd_after_ms(std::max<int64_t>(1, grace_s * 1000));
        epoll_.add(r.kill_timer.get(), tag(kKillTimer, i), EPOLLIN);
    }
    advance_stops();
}

// A sidecar's turn to be signalled comes once every app container and every sidecar
// declared after it has exited (Kubernetes stops sidecars in reverse order, last).
bool Supervisor::turn_to_stop(size_t i) const {
    if (!stopping_ || !runs_[i].sidecar) return true;
    for (size_t j = i + 1; j < runs_.size(); j++) {
        if (runs_[j].proc.alive()) return false;
    }
    return true;
}

// SIGTERM to every stopping container whose preStop is over and whose turn has come.
void Supervisor::advance_stops() {
    for (size_t i = 0; i < runs_.size(); i++) {
        ContainerRun& r = runs_[i];
        if (!r.proc.alive() || !r.stopping || r.term_sent || r.hook != 0 || !turn_to_stop(i)) continue;
        r.term_sent = true;
        spdlog::debug("container {}: SIGTERM", r.spec->name);
        r.proc.signal(SIGTERM);
    }
}

void Supervisor::begin_stop(const std::string& why) {
    if (stopping_) return;
    // Set first: from now on a sidecar waits for its turn and one pod-wide grace applies.
    stopping_ = true;
    int64_t grace = ctx_.pod.termination_grace_period_seconds;
    if (opts_.grace_override) {
        if (auto g = opts_.grace_override()) grace = *g;
    }
    spdlog::info("stopping the pod ({}): preStop hooks, SIGTERM, then SIGKILL after {} s", why, grace);
    for (size_t i = 0; i < runs_.size(); i++) {
        ContainerRun& r = runs_[i];
        if (r.backoff_timer) {
            epoll_.remove(r.backoff_timer.get());
            r.backoff_timer.reset();
            r.done = true;
        }
        if (r.state == CState::Waiting && !r.proc.alive()) r.done = true;
        stop_probes(i);
        // Every preStop starts now, sidecars' included; only their SIGTERM waits its turn.
        if (r.proc.alive()) stop_container(i, grace, why);
    }
    grace_timer_ = sys::timerfd_after_ms(std::max<int64_t>(1, grace * 1000));
    epoll_.add(grace_timer_.get(), tag(kGrace, 0), EPOLLIN);
    advance_stops();
    changed();
}

void Supervisor::kill_container(size_t i) {
    ContainerRun& r = runs_[i];
    if (!r.proc.alive()) return;
    // cgroup.kill takes the container's whole leaf, children included.
    try {
        cgroup::PodTree::kill_and_wait(ctx_.cgroups.leaf_dir(r.spec->name), 0);
    } catch (const std::exception&) {
    }
    r.proc.signal(SIGKILL);
}

void Supervisor::kill_all() {
    if (killed_) return;
    killed_ = true;
    for (size_t i = 0; i < runs_.size(); i++) kill_container(i);
}

void Supervisor::on_signal(int sig) {
    if (sig == SIGCHLD) {
        sys::reap_untracked(
            [](pid_t pid, void* self) { return static_cast<const Supervisor*>(self)->tracked_pid(pid); },
            this);
        return;
    }
    if (user_stop_) {
        spdlog::warn("second {}: killing the pod now", strsignal(sig));
        kill_all();
        return;
    }
    user_stop_ = true;
    if (stopping_) {
        // The pod was already stopping on its own (apps ended, an init container failed):
        // the user's first signal only brings in `down --timeout`, if given.
        if (opts_.grace_override) {
            if (auto g = opts_.grace_override()) {
                spdlog::info("{}: grace period now {} s", strsignal(sig), *g);
                sys::timerfd_rearm_ms(grace_timer_.get(), std::max<int64_t>(1, *g * 1000));
            }
        }
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

// docs/cli.md: the first container, init containers first and then in manifest order, that
// failed.
int Supervisor::exit_code() const {
    for (const auto& r : runs_) {
        // A sidecar's exit (SIGTERM when the pod ends) says nothing of the pod's success.
        // A container that could not start counts too (StartError, 128), as Kubernetes has it.
        if ((r.ever_ran || r.reason == "StartError") && !r.sidecar && r.exit_code != 0) return r.exit_code;
    }
    return 0;
}

std::string Supervisor::phase() const {
    if (finished()) return exit_code() == 0 ? "Succeeded" : "Failed";
    return apps_started_ ? "Running" : "Pending";
}

void Supervisor::changed(bool new_process) {
    if (!dirty_) dirty_since_ms_ = sys::monotonic_ms();
    dirty_ = true;
    save_now_ = save_now_ || new_process;
}

void Supervisor::flush() {
    if (!dirty_) return;
    dirty_ = false;
    save_now_ = false;
    if (opts_.on_change) opts_.on_change(runs_, phase());
}

int Supervisor::save_wait_ms() {
    if (!dirty_) return -1;
    int64_t left = dirty_since_ms_ + opts_.save_batch_ms - sys::monotonic_ms();
    if (left > 0 && !save_now_) return static_cast<int>(left);
    flush();
    return -1;
}

int Supervisor::run() {
    start_next_init_or_apps();
    while (!finished()) {
        // A change is saved when its batch is due; the wait wakes for it.
        for (const auto& ev : epoll_.wait(save_wait_ms())) {
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
                    if (!r.backoff_timer) break;  // the pod began to stop in this turn
                    epoll_.remove(r.backoff_timer.get());
                    r.backoff_timer.reset();
                    r.restart_count++;
                    start(i);
                    break;
                }
                case kProbeTimer: run_probe(i / 3, static_cast<ProbeKind>(i % 3)); break;
                case kCheck: on_check(static_cast<uint32_t>(i), false); break;
                case kCheckDeadline: on_check(static_cast<uint32_t>(i), true); break;
                case kKillTimer: {
                    ContainerRun& r = runs_[i];
                    if (!r.kill_timer) break;  // it exited in this turn of the loop
                    epoll_.remove(r.kill_timer.get());
                    r.kill_timer.reset();
                    spdlog::warn("container {}: grace period over: SIGKILL", r.spec->name);
                    cancel_check(r.hook);
                    kill_container(i);
                    break;
                }
                case kGrace:
                    epoll_.remove(grace_timer_.get());
                    for (auto& r : runs_) cancel_check(r.hook);  // preStop hooks still running
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
