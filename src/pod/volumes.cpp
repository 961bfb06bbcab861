// persistentVolumeClaim volumes for `up` and `podrun volume` (see volumes.hpp).
#include "podrun/pod/volumes.hpp"

#include <algorithm>

#include "podrun/explain.hpp"
#include "podrun/pod/pod.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/locks.hpp"

namespace podrun::pod {
namespace {

// One flock on the claims' root: `up` making a claim and `volume rm` removing it never
// interleave.
sys::UniqueFd lock_claims() {
    sys::mkdir_p(volumes::claims_root(), 0755);
    return sys::lock_dir(volumes::claims_root());
}

}  // namespace

std::vector<std::string> claim_users(const std::string& name) {
    std::vector<std::string> out;
    for (const auto& p : state::list_pods()) {
        auto st = state::load(state::PodPaths::for_pod(p));
        if (st && std::find(st->claims.begin(), st->claims.end(), name) != st->claims.end()) out.push_back(p);
    }
    return out;
}

std::vector<std::string> prepare_claims(const spec::Pod& pod, const std::vector<spec::PersistentVolumeClaim>& objects,
                                        const std::string& source) {
    std::vector<std::string> made;
    std::vector<spec::ClaimVolume> used;
    for (const auto& v : pod.volumes)
        if (const auto* c = std::get_if<spec::ClaimVolume>(&v.source)) used.push_back(*c);
    if (used.empty() && objects.empty()) return made;
    sys::UniqueFd lock = lock_claims();
    for (const auto& o : objects) {
        volumes::ClaimRecord r;
        r.name = o.metadata.name;
        r.namespace_ = o.metadata.namespace_;
        r.access_modes = o.access_modes;
        r.storage_request_bytes = o.storage_request_bytes;
        r.created_by = "PersistentVolumeClaim in " + (source == "-" ? std::string("<stdin>") : source);
        if (volumes::ensure_claim(r, true)) {
            made.push_back(r.name);
            explain("pod", "mkdir " + volumes::claim_dir(r.name) + " (PersistentVolumeClaim \"" + r.name + "\")");
        }
    }
    for (const auto& c : used) {
        if (std::find_if(objects.begin(), objects.end(), [&](const auto& o) { return o.metadata.name == c.claim; }) !=
            objects.end())
            continue;
        volumes::ClaimRecord r;
        r.name = c.claim;
        r.namespace_ = pod.metadata.namespace_;
        r.access_modes = {"ReadWriteOnce"};  // a claim's usual mode; nothing else asked for one
        r.created_by = "first use by pod " + pod.metadata.name;
        if (volumes::ensure_claim(r, false)) {
            made.push_back(r.name);
            explain("pod", "mkdir " + volumes::claim_dir(r.name) + " (persistentVolumeClaim \"" + r.name +
                               "\", made on first use)");
        }
    }
    return made;
}

std::vector<VolumeInfo> volume_list() {
    std::vector<VolumeInfo> out;
    for (auto& r : volumes::list_claims()) {
        VolumeInfo v;
        v.used_by = claim_users(r.name);
        v.record = std::move(r);
        out.push_back(std::move(v));
    }
    return out;
}

nlohmann::json volume_inspect(const std::string& name) {
    auto r = volumes::load_claim(name);
    if (!r) throw InvalidInput({"no volume \"" + name + "\" (podrun volume ls lists them)"});
    nlohmann::json j = r->to_json();
    j["usedBy"] = claim_users(name);
    return j;
}

std::vector<std::string> volume_rm(const std::vector<std::string>& names) {
    std::vector<std::string> problems;
    sys::UniqueFd lock = lock_claims();
    for (const auto& n : names) {
        if (!volumes::load_claim(n)) {
            problems.push_back("no volume \"" + n + "\" (podrun volume ls lists them)");
            continue;
        }
        auto users = claim_users(n);
        if (!users.empty()) {
            problems.push_back("volume \"" + n + "\" is used by pod \"" + users.front() +
                               "\"; stop it first (podrun down " + users.front() + ")");
            continue;
        }
        volumes::remove_claim(n);
    }
    return problems;
}

}  // namespace podrun::pod
