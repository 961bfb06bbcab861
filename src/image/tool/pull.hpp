// `podrun pull` and `podrun load`: a registry or an archive as the source of ingest.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ingest.hpp"
#include "podrun/image/reference.hpp"
#include "registries_conf.hpp"

namespace podrun::image {

struct PullOptions {
    std::vector<std::string> insecure;  // --insecure-registry
    RegistriesConf registries;          // registries.conf: insecure and blocked registries
    std::optional<Platform> platform;   // --platform (default: the host's)
    Progress progress;
    std::function<void(const std::string&)> explain;
};

// Pulls ref into the store (held for adding inside). Returns the record; the digest to
// print is the one the reference resolved to (the index's for a multi-platform image).
struct Pulled {
    ImageRecord image;
    std::string digest;
};
Pulled pull(const Store& s, const Reference& ref, const PullOptions& opts);

// docker-archive (docker save / podman save / skopeo docker-archive:), oci-archive, or an
// OCI image layout directory. Returns every image loaded.
std::vector<ImageRecord> load(const Store& s, const std::string& path, const PullOptions& opts);

}  // namespace podrun::image
