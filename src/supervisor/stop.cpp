// The supervisor's ordered stop: one container (a failed probe or hook) or the whole pod
// (a signal, a failed init container, the end of the apps, pause dying): preStop, SIGTERM
// in turn, grace, SIGKILL through the cgroup (see supervisor.hpp; the turns in policy.cpp).
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "podrun/spec/signals.hpp"
#include "podrun/supervisor/supervisor.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::supervisor {

void Supervisor::stop_container(size_t i, int64_t grace_s, const std::string& why) {
    ContainerRun& r = runs_[i];
    RunState& s = states_[i];
    if (!r.proc.alive() || s.stopping()) return;
    if (!stopping_) spdlog::info("container {}: {}: stopping it (grace {} s)", r.spec->name, why, grace_s);
    s.stop();
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

// SIGTERM to every stopping container whose preStop is over and whose turn has come.
void Supervisor::advance_stops() {
    for (size_t i = 0; i < runs_.size(); i++) {
        ContainerRun& r = runs_[i];
        RunState& s = states_[i];
        if (!r.proc.alive() || s.phase() != Phase::Stopping || r.hook != 0 || !turn_to_stop(pod(), i)) continue;
        s.term_sent();
        // lifecycle.stopSignal or the image's StopSignal (pod/images.cpp), else SIGTERM.
        const std::string& name = r.spec->lifecycle.stop_signal;
        int sig = name.empty() ? SIGTERM : spec::kubernetes_signal(name).value_or(SIGTERM);
        spdlog::debug("container {}: {}", r.spec->name, name.empty() ? "SIGTERM" : name);
        r.proc.signal(sig);
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
        RunState& s = states_[i];
        if (r.backoff_timer) {
            epoll_.remove(r.backoff_timer.get());
            r.backoff_timer.reset();
        }
        // Nothing starts any more: a container waiting for its turn or a restart has ended.
        if (s.phase() == Phase::Pending || s.phase() == Phase::BackOff) s.end();
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
    } catch (const std::exception&) {}
    r.proc.signal(SIGKILL);
}

void Supervisor::kill_all() {
    if (killed_) return;
    killed_ = true;
    for (size_t i = 0; i < runs_.size(); i++) kill_container(i);
}

void Supervisor::on_kill_timer(size_t i) {
    ContainerRun& r = runs_[i];
    if (!r.kill_timer) return;  // it exited in this turn of the loop
    epoll_.remove(r.kill_timer.get());
    r.kill_timer.reset();
    spdlog::warn("container {}: grace period over: SIGKILL", r.spec->name);
    cancel_check(r.hook);
    kill_container(i);
}

void Supervisor::on_grace_over() {
    epoll_.remove(grace_timer_.get());
    for (auto& r : runs_) cancel_check(r.hook);  // preStop hooks still running
    spdlog::warn("grace period of {} s over: SIGKILL", ctx_.pod.termination_grace_period_seconds);
    kill_all();
}

void Supervisor::on_pause_died() {
    epoll_.remove(ctx_.sandbox.pause.pidfd());
    if (pause_died_) return;
    pause_died_ = true;
    spdlog::error("pause (PID 1 of the pod) died: stopping the pod");
    begin_stop("pause died");
    kill_all();
}

void Supervisor::on_signal(int sig) {
    if (sig == SIGCHLD) {
        sys::reap_untracked(
            [](pid_t pid, void* self) { return static_cast<const Supervisor*>(self)->tracked_pid(pid); }, this);
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

}  // namespace podrun::supervisor
