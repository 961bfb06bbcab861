// Config data for containers: configMap/secret key references in env, envFrom, and
// configMap/secret volumes. Only the references are checked here; the objects are looked up
// when the pod starts (spec/resolve.hpp), as the kubelet does.
#include <cctype>

#include "names.hpp"
#include "validate.hpp"

namespace podrun::spec::detail {
namespace {

// Kubernetes' ValidateConfigMapKey / IsConfigMapKey: letters, digits, '-', '_', '.'.
std::string check_data_key(const std::string& key) {
    if (key.empty()) return "must not be empty";
    if (key.size() > 253) return "must be at most 253 characters";
    for (char ch : key)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_' || ch == '.'))
            return "must consist of letters, digits, '-', '_' or '.'";
    if (key == "." || key == ".." || key.rfind("..", 0) == 0) return "must not start with '..'";
    return {};
}

std::string object_name(Checker& ck, const Json& o, std::string_view key, const std::string& path) {
    auto name = ck.string(o, key, path);
    if (!name || name->empty()) {
        ck.error(join(path, std::string(key)), "required (the name of the object)");
        return {};
    }
    if (std::string why = check_dns1123_subdomain(*name); !why.empty())
        ck.error(join(path, std::string(key)), quote(*name) + " " + why);
    return *name;
}

}  // namespace

// defaultMode / items[].mode: Kubernetes takes 0 to 0777 (decimal in JSON, octal in YAML).
std::optional<unsigned> validate_mode(Checker& ck, const Json& o, std::string_view key, const std::string& path) {
    auto m = ck.integer(o, key, path);
    if (!m) return std::nullopt;
    if (*m < 0 || *m > 0777) {
        ck.error(join(path, std::string(key)),
                 std::to_string(*m) + " must be a file mode between 0 and 0777 (octal) or 511 (decimal)");
        return std::nullopt;
    }
    return static_cast<unsigned>(*m);
}

// Kubernetes' ValidateLocalNonReservedPath (items[].path, downwardAPI and token paths):
// relative, no '..' element, not "..x"; and each path once in its volume.
void validate_local_path(Checker& ck, const Json& o, const std::string& path, std::set<std::string>& seen,
                         std::string* out) {
    auto rel = ck.string(o, "path", path);
    const std::string p = join(path, "path");
    if (!rel) {
        if (member(o, "path") == nullptr) ck.error(p, "required");
        return;
    }
    if (rel->empty())
        ck.error(p, "required");
    else if (rel->front() == '/')
        ck.error(p, quote(*rel) + " must be a relative path");
    else if (has_dotdot_element(*rel) || rel->rfind("..", 0) == 0)
        ck.error(p, quote(*rel) + " must not contain '..' nor start with '..'");
    else if (!seen.insert(*rel).second)
        ck.error(p, quote(*rel) + " is already the path of another item");
    *out = *rel;
}

std::optional<KeyRef> validate_key_ref(Checker& ck, const Json& from, const std::string& vp) {
    const bool cm = member(from, "configMapKeyRef") != nullptr;
    const std::string p = join(vp, cm ? "configMapKeyRef" : "secretKeyRef");
    const Json* ref = ck.object(member(from, cm ? "configMapKeyRef" : "secretKeyRef"), p, Kind::KeySelector);
    if (ref == nullptr) return std::nullopt;
    KeyRef r;
    r.kind = cm ? ObjectKind::ConfigMap : ObjectKind::Secret;
    r.name = object_name(ck, *ref, "name", p);
    auto key = ck.string(*ref, "key", p);
    if (!key) {
        if (member(*ref, "key") == nullptr) ck.error(join(p, "key"), "required");
        return std::nullopt;
    }
    if (std::string why = check_data_key(*key); !why.empty()) ck.error(join(p, "key"), quote(*key) + " " + why);
    r.key = *key;
    r.optional = ck.boolean(*ref, "optional", p).value_or(false);
    return r;
}

void validate_env_from(Checker& ck, const Json& v, const std::string& path, Container& c) {
    const Json* arr = ck.array(v, "envFrom", path);
    if (arr == nullptr) return;
    for (size_t i = 0; i < arr->size(); ++i) {
        const std::string p = index(join(path, "envFrom"), i);
        const Json* e = ck.object(&(*arr)[i], p, Kind::EnvFromSource);
        if (e == nullptr) continue;
        const Json* cm = member(*e, "configMapRef");
        const Json* sec = member(*e, "secretRef");
        if ((cm == nullptr) == (sec == nullptr)) {
            ck.error(p, "must give exactly one of configMapRef or secretRef");
            continue;
        }
        EnvFromSource src;
        src.kind = cm ? ObjectKind::ConfigMap : ObjectKind::Secret;
        const std::string rp = join(p, cm ? "configMapRef" : "secretRef");
        const Json* ref = ck.object(cm ? cm : sec, rp, Kind::EnvFromRef);
        if (ref == nullptr) continue;
        src.name = object_name(ck, *ref, "name", rp);
        src.optional = ck.boolean(*ref, "optional", rp).value_or(false);
        src.prefix = ck.string(*e, "prefix", p).value_or("");
        if (!src.prefix.empty())
            if (std::string why = check_env_var_name(src.prefix); !why.empty())
                ck.error(join(p, "prefix"), quote(src.prefix) + " " + why);
        c.env_from.push_back(std::move(src));
    }
}

ObjectVolume validate_object_volume(Checker& ck, const Json& src, const std::string& path, ObjectKind kind, Kind table,
                                    std::set<std::string>& paths) {
    ObjectVolume vol;
    vol.kind = kind;
    if (ck.object(&src, path, table) == nullptr) return vol;
    // secret volumes name theirs secretName; projections and configMap volumes say name.
    vol.name = object_name(ck, src, table == Kind::SecretVolume ? "secretName" : "name", path);
    if (table == Kind::ConfigMapVolume || table == Kind::SecretVolume)
        if (auto m = validate_mode(ck, src, "defaultMode", path)) vol.default_mode = *m;
    vol.optional = ck.boolean(src, "optional", path).value_or(false);
    const Json* items = ck.array(src, "items", path);
    if (items == nullptr) return vol;
    for (size_t i = 0; i < items->size(); ++i) {
        const std::string p = index(join(path, "items"), i);
        const Json* o = ck.object(&(*items)[i], p, Kind::KeyToPath);
        if (o == nullptr) continue;
        KeyToPath kp;
        if (auto key = ck.string(*o, "key", p)) {
            if (std::string why = check_data_key(*key); !why.empty()) ck.error(join(p, "key"), quote(*key) + " " + why);
            kp.key = *key;
        } else if (member(*o, "key") == nullptr) {
            ck.error(join(p, "key"), "required");
        }
        validate_local_path(ck, *o, p, paths, &kp.path);
        kp.mode = validate_mode(ck, *o, "mode", p);
        vol.items.push_back(std::move(kp));
    }
    return vol;
}

}  // namespace podrun::spec::detail
