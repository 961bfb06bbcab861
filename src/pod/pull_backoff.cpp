// `up -d` with an image that cannot be pulled yet: the pod waits with the kubelet's
// ErrImagePull / ImagePullBackOff, retrying with its back-off, and starts once the image is
// there; `podrun down` ends the wait (docs/images.md).
#include <signal.h>

#include <cstdlib>
#include <string>

#include <spdlog/spdlog.h>

#include "podrun/explain.hpp"
#include "podrun/pod/images.hpp"
#include "podrun/sys/events.hpp"

namespace podrun::pod {

PullBackoff PullBackoff::from_env() {
    PullBackoff b;
    if (const char* ms = std::getenv("PODRUN_TEST_IMAGE_BACKOFF_MS"); ms && std::atoll(ms) > 0) {
        b.first_ms = std::atoll(ms);
        b.max_ms = b.first_ms * 30;
    }
    return b;
}

int64_t PullBackoff::delay_ms(int failures) const {
    int64_t d = first_ms;
    for (int i = 1; i < failures && d < max_ms; ++i) d *= 2;
    return d < max_ms ? d : max_ms;
}

namespace {

void record(state::PodState& st, const std::string& container, const std::string& reason, const std::string& msg,
            const state::PodPaths& paths) {
    for (auto& c : st.containers) {
        if (c.name != container) continue;
        c.state = "waiting";
        c.reason = reason;
        c.message = msg;
    }
    state::save(paths, st);
}

}  // namespace

std::optional<PulledPod> wait_for_images(const spec::Pod& manifest, const ImageProblem& first,
                                         const state::PodPaths& paths, state::PodState st, bool explain_on,
                                         const std::vector<std::string>& insecure,
                                         const std::function<void(const std::string&)>& on_waiting) {
    const PullBackoff backoff = PullBackoff::from_env();
    // The signals `down` (and a terminal) send, read from a signalfd while we wait. They stay
    // blocked afterwards: the supervisor's own signalfd takes them over, so one that comes
    // during the last pull still stops the pod.
    sys::UniqueFd sfd = sys::block_and_signalfd({SIGTERM, SIGINT, SIGHUP});
    sys::Epoll ep;
    ep.add(sfd.get(), 0);
    std::string container = first.container, error = first.what();
    record(st, container, "ErrImagePull", error, paths);
    spdlog::warn("{}; retrying with back-off (ImagePullBackOff)", error);
    if (on_waiting) on_waiting(error + "; the pod waits for it (ImagePullBackOff), see podrun inspect " + st.name);
    for (int failures = 1;; ++failures) {
        // As the kubelet shows it: ErrImagePull right after the failure, ImagePullBackOff
        // once the next sync finds the back-off running (here: a fifth of the delay).
        const int64_t delay = backoff.delay_ms(failures), shown = delay / 5;
        explain("image", "ImagePullBackOff: next pull in " + std::to_string(delay) + " ms");
        bool stop = !ep.wait(static_cast<int>(shown)).empty();
        if (!stop) {
            record(st, container, "ImagePullBackOff", "Back-off pulling image: " + error, paths);
            stop = !ep.wait(static_cast<int>(delay - shown)).empty();
        }
        if (stop) {
            int sig = sys::read_signal(sfd.get());
            spdlog::info("{} while waiting for an image: stopping the pod (nothing ran)", strsignal(sig));
            return std::nullopt;
        }
        PulledPod out{manifest, {}};
        try {
            out.images = prepare_images(out.pod, explain_on, insecure);
            return out;
        } catch (const ImageProblem& e) {
            if (e.reason != "ErrImagePull") throw;
            container = e.container;
            error = e.what();
            spdlog::warn("{}; retry {} failed", error, failures);
            record(st, container, "ErrImagePull", error, paths);
        }
    }
}

}  // namespace podrun::pod
