// persistentVolumeClaim volumes (see claims.hpp).
#include "podrun/volumes/claims.hpp"

#include <algorithm>
#include <stdexcept>

#include "podrun/state/state.hpp"
#include "podrun/sys/clock.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::volumes {
namespace {

std::string record_path(const std::string& name) {
    return claims_root() + "/.claims/" + name + ".json";
}

void save(const ClaimRecord& r) {
    sys::mkdir_p(claims_root() + "/.claims", 0700);
    sys::write_file_atomic(record_path(r.name), r.to_json().dump(2) + "\n", 0600);
}

}  // namespace

nlohmann::json ClaimRecord::to_json() const {
    nlohmann::json j{{"name", name},
                     {"namespace", namespace_},
                     {"accessModes", access_modes},
                     {"createdAt", created_at},
                     {"createdBy", created_by},
                     {"path", claim_dir(name)}};
    if (storage_request_bytes) j["storageRequestBytes"] = *storage_request_bytes;
    return j;
}

ClaimRecord ClaimRecord::from_json(const nlohmann::json& j) {
    ClaimRecord r;
    r.name = j.value("name", "");
    r.namespace_ = j.value("namespace", "default");
    r.access_modes = j.value("accessModes", std::vector<std::string>{});
    if (j.contains("storageRequestBytes") && j["storageRequestBytes"].is_number_integer())
        r.storage_request_bytes = j["storageRequestBytes"].get<int64_t>();
    r.created_at = j.value("createdAt", "");
    r.created_by = j.value("createdBy", "");
    return r;
}

std::string claims_root() {
    return state::lib_root() + "/volumes";
}

std::string claim_dir(const std::string& name) {
    return state::PodPaths::for_pod("").claim_dir(name);
}

std::optional<ClaimRecord> load_claim(const std::string& name) {
    auto text = sys::try_read_file(record_path(name));
    if (!text) return std::nullopt;
    try {
        return ClaimRecord::from_json(nlohmann::json::parse(*text));
    } catch (const nlohmann::json::exception&) {
        return std::nullopt;  // a torn or foreign file: treated as no record
    }
}

std::vector<ClaimRecord> list_claims() {
    std::vector<ClaimRecord> out;
    if (!sys::is_dir(claims_root() + "/.claims")) return out;
    for (const auto& f : sys::list_dir(claims_root() + "/.claims")) {
        if (f.size() <= 5 || f.substr(f.size() - 5) != ".json") continue;
        if (auto r = load_claim(f.substr(0, f.size() - 5))) out.push_back(std::move(*r));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

bool ensure_claim(const ClaimRecord& want, bool from_object) {
    auto have = load_claim(want.name);
    if (have && have->namespace_ != want.namespace_)
        throw std::runtime_error("persistentVolumeClaim \"" + want.name + "\" exists in namespace \"" +
                                 have->namespace_ + "\" (" + claim_dir(want.name) +
                                 "); podrun keeps one claim of a name per machine: use another claimName, or "
                                 "podrun volume rm " +
                                 want.name);
    sys::mkdir_p(claims_root(), 0755);
    const bool fresh = sys::make_dir(claim_dir(want.name), 0777);
    if (fresh) sys::change_mode(claim_dir(want.name), 0777);  // not narrowed by the umask
    if (!have) {
        ClaimRecord r = want;
        r.created_at = sys::now_rfc3339();
        save(r);
    } else if (from_object &&
               (have->access_modes != want.access_modes || have->storage_request_bytes != want.storage_request_bytes)) {
        have->access_modes = want.access_modes;
        have->storage_request_bytes = want.storage_request_bytes;
        save(*have);
    }
    return fresh;
}

void remove_claim(const std::string& name) {
    sys::remove_tree(claim_dir(name));
    sys::remove_tree(record_path(name));
    // The last claim gone: nothing of podrun's stays in /var/lib/podrun (rmdir only empties).
    sys::rmdir_errno(claims_root() + "/.claims");
    sys::rmdir_errno(claims_root());
}

}  // namespace podrun::volumes
