// persistentVolumeClaim volumes from the pod's side: made for `up` (first use, or a
// PersistentVolumeClaim object of the file), and `podrun volume ls|inspect|rm`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "podrun/spec/bundle.hpp"
#include "podrun/volumes/claims.hpp"

namespace podrun::pod {

struct VolumeInfo {
    volumes::ClaimRecord record;
    std::vector<std::string> used_by;  // pods whose state records the claim
};

// The pods (with a state directory) that use claim `name`.
std::vector<std::string> claim_users(const std::string& name);

// Every claim of `objects` and every claim `pod` mounts, made unless it exists (`source`
// names the manifest for the record). Returns the claims made now, which a failed `up`
// removes again.
std::vector<std::string> prepare_claims(const spec::Pod& pod, const std::vector<spec::PersistentVolumeClaim>& objects,
                                        const std::string& source);

std::vector<VolumeInfo> volume_list();
// Throws InvalidInput for a claim podrun does not have.
nlohmann::json volume_inspect(const std::string& name);
// Removes each claim no pod uses; the problems (not found, in use: naming the pod).
std::vector<std::string> volume_rm(const std::vector<std::string>& names);

}  // namespace podrun::pod
