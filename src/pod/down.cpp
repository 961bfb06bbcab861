// `podrun down` and `podrun gc`: stopping a pod from outside its supervisor, and cleaning
// up after supervisors that are gone (killed with SIGKILL, or a crashed host process).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>

#include <spdlog/spdlog.h>

#include "podrun/pod/pod.hpp"
#include "podrun/sys/clock.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/locks.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::pod {

namespace {

// now + seconds, in ms, saturated: `down --timeout` takes any int64.
int64_t deadline_after_s(int64_t s) {
    const int64_t now = sys::monotonic_ms();
    if (s >= (INT64_MAX - now) / 1000) return INT64_MAX;
    return now + s * 1000;
}

// Stops the recorded container processes ourselves: SIGTERM, up to grace seconds.
void stop_processes(const state::PodState& st, int64_t grace_s) {
    bool any = false;
    for (const auto& c : st.containers) {
        if (c.process.pid > 0 && sys::signal_if_same(c.process.pid, c.process.start_time, SIGTERM)) any = true;
    }
    if (!any) return;
    int64_t deadline = deadline_after_s(grace_s);
    while (sys::monotonic_ms() < deadline) {
        bool alive = false;
        for (const auto& c : st.containers) alive = alive || c.process.matches();
        if (!alive) return;
        sys::sleep_ms(50);
    }
}

// The supervisor's teardown removes the lock file before the last of the directory: a
// `down` that saw the lock go waits for the rest, so that nothing is left when it returns.
std::vector<std::string> wait_removed(const state::PodPaths& paths) {
    for (int i = 0; i < 500 && sys::is_dir(paths.dir()); i++) sys::sleep_ms(10);
    if (sys::is_dir(paths.dir()))
        return {paths.dir() + " is still there 5 s after its lock went: podrun gc removes it"};
    return {};
}

}  // namespace

std::vector<std::string> down(const std::string& name, int64_t timeout_s) {
    state::PodPaths paths = state::PodPaths::for_pod(name);
    if (!sys::is_dir(paths.dir())) throw InvalidInput({"pod \"" + name + "\" not found (podrun ps lists pods)"});
    auto st = state::load(paths);
    sys::UniqueFd lock;
    try {
        // Under the short lock on /run/podrun: an `up` creating this pod has made its lock
        // file by the time it lets go.
        sys::UniqueFd roots = sys::lock_dir(paths.run_root);
        lock = sys::lock_file(paths.lock_file(), true, false);
    } catch (const std::exception&) {
        return wait_removed(paths);  // no lock file any more: the pod is being removed or is gone
    }
    if (!lock) {
        // A live supervisor holds the lock: it runs the shutdown (grace period, hooks).
        // The supervisor counts the grace in ms: a longer one is as good as for ever.
        if (timeout_s >= 0)
            sys::write_file_atomic(paths.stop_request_file(),
                                   std::to_string(std::min<int64_t>(timeout_s, INT64_MAX / 1000)));
        for (int i = 0; i < 40 && (!st || st->supervisor.pid == 0); i++) {
            sys::sleep_ms(50);  // an `up` still starting has not recorded itself yet
            st = state::load(paths);
        }
        if (st) sys::signal_if_same(st->supervisor.pid, st->supervisor.start_time, SIGTERM);
        int64_t grace = timeout_s >= 0 ? timeout_s : (st ? st->grace_seconds : 30);
        int64_t deadline = deadline_after_s(grace >= INT64_MAX - 15 ? grace : grace + 15);
        while (sys::monotonic_ms() < deadline) {
            if (!sys::is_dir(paths.dir())) return {};
            try {
                // Probed without taking it; taken only under /run/podrun's lock, as every
                // pod lock is, so that a new `up` of this name is never between its mkdir
                // and its lock when we take it.
                if (!sys::lock_held(paths.lock_file())) {
                    sys::UniqueFd roots = sys::lock_dir(paths.run_root);
                    lock = sys::lock_file(paths.lock_file(), true, false);
                }
            } catch (const std::exception&) {
                return wait_removed(paths);
            }
            if (lock) break;
            sys::sleep_ms(50);
        }
        if (!lock)
            return {"the supervisor of pod \"" + name + "\" did not stop within " + std::to_string(grace + 15) + " s"};
        if (!sys::is_dir(paths.dir())) return {};
    }
    // No supervisor (it was killed, or it has just finished): do it ourselves.
    if (st) {
        stop_processes(*st, timeout_s >= 0 ? timeout_s : st->grace_seconds);
    }
    std::string parent = st ? st->cgroup_parent : "";
    return teardown(paths, parent);
}

std::vector<std::string> gc() {
    std::vector<std::string> cleaned;
    for (const auto& name : state::list_pods()) {
        state::PodPaths paths = state::PodPaths::for_pod(name);
        try {
            // A live supervisor holds its lock: asked without taking it (see status.cpp).
            if (sys::lock_held(paths.lock_file())) continue;
        } catch (const std::exception&) {
            // No lock file: decided below.
        }
        // A pod lock is taken only under /run/podrun's lock, which every `up` holds from its
        // mkdir to its lock: no `up` of this name is half-way now.
        sys::UniqueFd roots = sys::lock_dir(paths.run_root);
        if (!sys::is_dir(paths.dir())) continue;
        sys::UniqueFd lock;
        try {
            lock = sys::lock_file(paths.lock_file(), true, false);
            if (!lock) continue;  // a supervisor took it meanwhile
            roots.reset();        // we hold the pod: others may go on while it is removed
        } catch (const std::exception&) {
            // No lock file: an `up` killed between mkdir and its lock, or a teardown cut
            // short. /run/podrun's lock stays held until it is gone.
        }
        auto st = state::load(paths);
        for (const auto& p : teardown(paths, st ? st->cgroup_parent : "")) spdlog::warn("gc {}: {}", name, p);
        cleaned.push_back(name);
    }
    return cleaned;
}

}  // namespace podrun::pod
