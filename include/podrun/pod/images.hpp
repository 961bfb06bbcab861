// The images a pod needs, before anything is created for it: pulled by imagePullPolicy
// (podrun-image), then each container rewritten with what its image gives (Kubernetes'
// rules, image/runtime.hpp): its layers as the overlay's lower dirs, command/args, env,
// workingDir, the user.
#pragma once

#include <map>
#include <stdexcept>
#include <string>

#include "podrun/spec/pod.hpp"

namespace podrun::pod {

// A pull that failed or was not allowed; reason is the kubelet's: ErrImagePull,
// ErrImageNeverPull, InvalidImageName, CreateContainerConfigError.
struct ImageProblem : std::runtime_error {
    std::string reason;
    ImageProblem(std::string r, const std::string& what) : std::runtime_error(r + ": " + what), reason(std::move(r)) {}
};

// What a container runs from, for its status and for `rmi`'s in-use check.
struct ImageUse {
    std::string image;      // the reference, normalised
    std::string image_id;   // repo@sha256:<digest> (containerStatuses[].imageID)
    std::string config_id;  // sha256:<config>: the store's image ID
};

// For every container whose image is a reference (not a rootfs path); returns what each
// (by name) uses. Throws ImageProblem.
std::map<std::string, ImageUse> prepare_images(spec::Pod& pod, bool explain);

}  // namespace podrun::pod
