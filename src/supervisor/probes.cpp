// The supervisor's probes and hooks: period timers, checks in flight, their results
// (see supervisor.hpp; thresholds in policy.cpp).
#include <sys/epoll.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "podrun/spec/env.hpp"
#include "podrun/supervisor/supervisor.hpp"
#include "podrun/sys/clock.hpp"
#include "podrun/sys/error.hpp"

namespace podrun::supervisor {

namespace {
// initialDelaySeconds counts from the container's start, as the kubelet counts it (time
// spent in postStart or the startup probe is part of it).
int64_t probe_delay_ms(const ContainerRun& r, const spec::Probe& p) {
    return r.started_ms + p.initial_delay_seconds * 1000 - sys::monotonic_ms();
}
}  // namespace

void Supervisor::start_post_start(size_t i) {
    ContainerRun& r = runs_[i];
    std::unique_ptr<probe::HandlerRun> c;
    try {
        c = probe::start(*r.spec->lifecycle.post_start, target(i), 0);
    } catch (const sys::SysError& e) {
        spdlog::warn("container {}: postStart hook failed: {}: killing the container", r.spec->name, e.what());
        stop_container(i, ctx_.pod.termination_grace_period_seconds, "postStart hook failed");
        maybe_report_running();
        return;
    }
    spdlog::info("container {}: postStart hook: {}", r.spec->name, c->what());
    r.hook = begin_check(i, Purpose::PostStart, std::move(c));
}

void Supervisor::on_running(size_t i) {
    ContainerRun& r = runs_[i];
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
    changed();
    if (r.probes[1].spec) arm_probe(i, ProbeKind::Liveness, probe_delay_ms(r, *r.probes[1].spec));
    if (r.probes[2].spec) arm_probe(i, ProbeKind::Readiness, probe_delay_ms(r, *r.probes[2].spec));
    // A sidecar lets the next init container start once it has started (its startupProbe
    // passed), the first time only: a restart later does not re-run the sequence.
    if (!stopping_ && states_[i].take_gate()) start_next_init_or_apps();
}

void Supervisor::arm_probe(size_t i, ProbeKind k, int64_t delay_ms) {
    ProbeRun& p = runs_[i].probes[static_cast<int>(k)];
    p.counts = {};
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
    std::unique_ptr<probe::HandlerRun> c;
    spec::ProbeHandler handler = p.spec->handler;
    // The kubelet expands $(VAR) in an exec probe's command (literal env values only).
    if (auto* e = std::get_if<spec::ExecAction>(&handler)) e->command = spec::expand_static(e->command, *r.spec);
    try {
        c = probe::start(handler, target(i), p.spec->timeout_seconds * 1000);
    } catch (const sys::SysError& e) {
        probe_result(i, k, false, e.what());
        return;
    }
    Purpose purpose = k == ProbeKind::Startup    ? Purpose::Startup
                      : k == ProbeKind::Liveness ? Purpose::Liveness
                                                 : Purpose::Readiness;
    p.check = begin_check(i, purpose, std::move(c));
}

void Supervisor::probe_result(size_t i, ProbeKind k, bool ok, const std::string& why) {
    ContainerRun& r = runs_[i];
    RunState& s = states_[i];
    ProbeRun& p = r.probes[static_cast<int>(k)];
    const std::string& name = r.spec->name;
    p.counts.record(ok);
    if (!ok) {
        spdlog::info("container {}: {} probe failed ({}/{}): {}", name, probe_name(k), p.counts.failures,
                     p.spec->failure_threshold, why);
    }
    if (s.stopping() || stopping_) return;
    const int64_t grace = p.spec->termination_grace_period_seconds.value_or(ctx_.pod.termination_grace_period_seconds);
    switch (probe_verdict(k, p.counts, ok, *p.spec, s.ready())) {
        case ProbeVerdict::None:
            break;
        case ProbeVerdict::Started:
            spdlog::info("container {}: startup probe succeeded", name);
            epoll_.remove(p.timer.get());
            p.timer.reset();
            s.startup_passed(r.probes[2].spec);
            on_started(i);
            break;
        case ProbeVerdict::Stop:
            stop_container(
                i, grace, std::string(probe_name(k)) + " probe failed " + std::to_string(p.counts.failures) + " times");
            break;
        case ProbeVerdict::Ready:
            s.set_ready(true);
            spdlog::info("container {} is ready", name);
            changed();
            break;
        case ProbeVerdict::NotReady:
            s.set_ready(false);
            spdlog::info("container {} is not ready", name);
            changed();
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

uint32_t Supervisor::begin_check(size_t i, Purpose p, std::unique_ptr<probe::HandlerRun> c) {
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
    probe::HandlerRun& c = *it->second.check;
    epoll_.remove(c.fd());
    if (c.timer_fd() >= 0) epoll_.remove(c.timer_fd());
    checks_.erase(it);  // an exec handler's process is killed here, and reaped on SIGCHLD
}

void Supervisor::on_check(uint32_t id, bool deadline) {
    auto it = checks_.find(id);
    if (it == checks_.end()) return;
    probe::HandlerRun& c = *it->second.check;
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
        case Purpose::PreStop:
            r.hook = 0;
            break;
        default:
            r.probes[static_cast<int>(purpose)].check = 0;
            break;
    }
    cancel_check(done);
    switch (purpose) {
        case Purpose::Startup:
            probe_result(i, ProbeKind::Startup, ok, why);
            break;
        case Purpose::Liveness:
            probe_result(i, ProbeKind::Liveness, ok, why);
            break;
        case Purpose::Readiness:
            probe_result(i, ProbeKind::Readiness, ok, why);
            break;
        case Purpose::PostStart:
            if (ok) {
                spdlog::info("container {}: postStart hook done", r.spec->name);
                states_[i].running(r.probes[0].spec, r.probes[2].spec);
                on_running(i);
            } else {
                spdlog::warn("container {}: postStart hook {} failed: {}: killing the container", r.spec->name, what,
                             why);
                stop_container(i, ctx_.pod.termination_grace_period_seconds, "postStart hook failed");
                maybe_report_running();
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

}  // namespace podrun::supervisor
