// Several Kubernetes objects at once, as `kubectl apply -f` takes them: multi-document YAML,
// `kind: List`, JSON of either, from files, directories or stdin -> one validated Bundle.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "podrun/spec/load.hpp"
#include "podrun/spec/pod.hpp"

namespace podrun::spec {

// Where an object came from, for messages: "document 2 (Pod web)" or
// "document 1, items[3] (ConfigMap cfg)"; `source` is the file ("<stdin>" for -).
struct Origin {
    std::string source;
    std::string document;
};

struct ConfigMap {
    Metadata metadata;
    std::map<std::string, std::string> data;         // data, as written
    std::map<std::string, std::string> binary_data;  // binaryData, base64-decoded bytes
    bool immutable = false;
    Origin origin;
};

struct Secret {
    Metadata metadata;
    std::string type = "Opaque";
    // data (base64-decoded) with stringData merged over it, as the API server stores it.
    std::map<std::string, std::string> data;
    bool immutable = false;
    Origin origin;
};

struct PersistentVolumeClaim {
    Metadata metadata;
    std::vector<std::string> access_modes;  // ReadWriteOnce, ReadOnlyMany, ...
    std::optional<int64_t> storage_request_bytes;
    std::string volume_mode = "Filesystem";
    Origin origin;
};

struct Bundle {
    std::vector<Pod> pods;            // Pods, and the pod template of each workload (Deployment, ...)
    std::vector<Origin> pod_origins;  // parallel to pods
    std::vector<ConfigMap> config_maps;
    std::vector<Secret> secrets;
    std::vector<PersistentVolumeClaim> claims;
};

// One problem of a bundle: the Problem inside its object, and where that object came from.
struct BundleProblem {
    Origin origin;
    Problem problem;
    // "document 2 (Pod web): spec.containers[0].image: ..." (the source is left to the caller,
    // which prints it once).
    std::string to_string() const;
};

struct BundleResult {
    std::optional<Bundle> bundle;  // set only when errors is empty
    std::vector<BundleProblem> errors;
    std::vector<std::string> warnings;
    bool ok() const { return errors.empty() && bundle.has_value(); }
};

// Every object in `text` (named `source` in messages), validated all at once.
BundleResult load_bundle_text(std::string_view text, std::string_view source);

// Each of `paths`: a file, "-" (standard input), or a directory (every *.yaml, *.yml and
// *.json directly in it, in name order). All objects are validated together: names must be
// unique per kind across every file.
BundleResult load_bundle_files(const std::vector<std::string>& paths);

}  // namespace podrun::spec
