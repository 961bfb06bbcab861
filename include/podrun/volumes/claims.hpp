// persistentVolumeClaim volumes on one machine: a named directory that outlives the pod,
// <lib_root>/volumes/<claim>, and its record (what the claim asked for, who made it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace podrun::volumes {

struct ClaimRecord {
    std::string name;
    std::string namespace_ = "default";
    std::vector<std::string> access_modes;         // as the PersistentVolumeClaim says; ReadWriteOnce by default
    std::optional<int64_t> storage_request_bytes;  // recorded, not enforced (docs/manifest.md)
    std::string created_at;                        // RFC 3339
    std::string created_by;                        // "PersistentVolumeClaim in FILE" or "first use by pod POD"

    nlohmann::json to_json() const;
    static ClaimRecord from_json(const nlohmann::json& j);
};

// <lib_root>/volumes: one directory per claim, and .claims/<claim>.json beside them (a
// claim name, a DNS-1123 subdomain, never starts with '.').
std::string claims_root();
std::string claim_dir(const std::string& name);

// Every claim with a record, by name.
std::vector<ClaimRecord> list_claims();
std::optional<ClaimRecord> load_claim(const std::string& name);

// Makes the claim's directory (mode 0777, as the local provisioners make theirs) and its
// record unless they exist; a record given by a PersistentVolumeClaim object (`from_object`)
// replaces the recorded access modes and request. Returns true when the directory is new.
// Throws when the claim exists in another namespace.
bool ensure_claim(const ClaimRecord& want, bool from_object);

// Removes the claim's directory and record (the caller checked that no pod uses it).
void remove_claim(const std::string& name);

}  // namespace podrun::volumes
