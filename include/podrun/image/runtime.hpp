// What a container takes from its image, as the kubelet and the CRI runtimes combine them
// (Kubernetes "Define a command and arguments", the CRI's image config handling): a plain
// struct the image room produces and the launcher consumes, and the pure rules.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "podrun/image/manifest.hpp"
#include "podrun/image/reference.hpp"
#include "podrun/image/store.hpp"

namespace podrun::image {

struct ImageRuntime {
    std::string image;                   // the reference as normalised: docker.io/library/nginx:1.25
    std::string image_id;                // repo@sha256:<manifest> (containerStatuses[].imageID)
    std::string config_id;               // sha256:<config>: the image ID of the store
    std::vector<std::string> lowerdirs;  // the layer directories, top first (overlay's order)
    ImageConfig config;
};

enum class PullPolicy { Always, IfNotPresent, Never };
// imagePullPolicy, or Kubernetes' default: Always for :latest (and no tag), else IfNotPresent.
PullPolicy pull_policy(const std::string& field, const Reference& ref);

// Kubernetes' four cases: neither -> Entrypoint + Cmd; command only -> command; args only ->
// Entrypoint + args; both -> command + args. Returns {command part, args part}.
std::pair<std::vector<std::string>, std::vector<std::string>> combine_command(
    const std::vector<std::string>& command, const std::vector<std::string>& args,
    const std::optional<std::vector<std::string>>& entrypoint, const std::optional<std::vector<std::string>>& cmd);

// `$(VAR)` in image values must stay literal (Kubernetes expands only the container's own
// command, args and env): each '$' doubled, as Kubernetes' "$$" escape.
std::string escape_dollars(const std::string& s);

struct UserIds {
    int64_t uid = 0, gid = 0;
};
struct UserError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// The image's User ("name", "uid", "uid:gid", "name:group", "uid:group") against the
// image's own /etc/passwd and /etc/group (text; "" when the image has none). A user given
// by uid without a group gets the passwd entry's group, else 0, as runc and crun do.
UserIds resolve_user(const std::string& user, const std::string& passwd, const std::string& group);

// A file of the image as the overlay would show it: the topmost layer that has it (or a
// whiteout of it, or of a parent directory, or an opaque parent) decides. Read in the
// layer with openat2(RESOLVE_IN_ROOT): a symlink in the image cannot reach the host.
// nullopt when absent.
std::optional<std::string> read_image_file(const std::vector<std::string>& lowerdirs, const std::string& path);

// The runtime view of a stored image (layers in overlay order, the config).
ImageRuntime runtime_of(const Store& s, const ImageRecord& img, const Reference& ref);

}  // namespace podrun::image
