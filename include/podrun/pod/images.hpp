// The images a pod needs, before anything is created for it: pulled by imagePullPolicy
// (podrun-image), then each container rewritten with what its image gives (Kubernetes'
// rules, image/runtime.hpp): its layers as the overlay's lower dirs, command/args, env,
// workingDir, the user.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "podrun/spec/pod.hpp"
#include "podrun/state/state.hpp"

namespace podrun::pod {

// A pull that failed or was not allowed; reason is the kubelet's: ErrImagePull,
// ErrImageNeverPull, InvalidImageName, CreateContainerConfigError.
struct ImageProblem : std::runtime_error {
    std::string reason;
    std::string container;  // whose image it is (set for ErrImagePull)
    ImageProblem(std::string r, const std::string& what, std::string c = "")
        : std::runtime_error(r + ": " + what), reason(std::move(r)), container(std::move(c)) {}
};

// What a container runs from, for its status and for `rmi`'s in-use check.
struct ImageUse {
    std::string image;      // the reference, normalised
    std::string image_id;   // repo@sha256:<digest> (containerStatuses[].imageID)
    std::string config_id;  // sha256:<config>: the store's image ID
};

// For every container whose image is a reference (not a rootfs path); returns what each
// (by name) uses. Throws ImageProblem.
// `insecure`: --insecure-registry hosts, passed to each pull.
std::map<std::string, ImageUse> prepare_images(spec::Pod& pod, bool explain,
                                               const std::vector<std::string>& insecure = {});

// The kubelet's image pull back-off (pkg/kubelet/images: 10 s, doubled after each failure,
// at most 300 s). PODRUN_TEST_IMAGE_BACKOFF_MS replaces the 10 s, for tests only; the cap
// stays 30 times the first delay (docs/images.md).
struct PullBackoff {
    int64_t first_ms = 10'000, max_ms = 300'000;
    static PullBackoff from_env();
    int64_t delay_ms(int failures) const;  // before retry number `failures` (1 = the first)
};

struct PulledPod {
    spec::Pod pod;  // the manifest's pod with its images applied
    std::map<std::string, ImageUse> images;
};
// `up -d` after an ErrImagePull: the pod exists (its directory, lock and state.json, `st`)
// and waits. The container is recorded waiting with ErrImagePull, then ImagePullBackOff
// while the pull is retried with the back-off; `on_waiting` is called after the first
// failure (the caller of `up -d` returns then). Returns once every image is there, or
// nullopt when SIGTERM, SIGINT or SIGHUP came (`podrun down`). Other problems throw.
std::optional<PulledPod> wait_for_images(const spec::Pod& manifest, const ImageProblem& first,
                                         const state::PodPaths& paths, state::PodState st, bool explain,
                                         const std::vector<std::string>& insecure,
                                         const std::function<void(const std::string&)>& on_waiting);

}  // namespace podrun::pod
