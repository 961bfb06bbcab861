// Looking up the ConfigMaps and Secrets a pod reads, as the kubelet's
// makeEnvironmentVariables and its configmap/secret volume plugins do.
#include "podrun/spec/resolve.hpp"

#include "names.hpp"

namespace podrun::spec {
namespace {

// An object's keys and values (a ConfigMap's data and binaryData together).
struct Found {
    const std::map<std::string, std::string>* data = nullptr;
    const std::map<std::string, std::string>* binary = nullptr;
    const std::string* lookup(const std::string& key) const {
        if (auto it = data->find(key); it != data->end()) return &it->second;
        if (binary)
            if (auto it = binary->find(key); it != binary->end()) return &it->second;
        return nullptr;
    }
};

std::optional<Found> find(const Bundle& b, ObjectKind kind, const std::string& name, const std::string& ns) {
    if (kind == ObjectKind::ConfigMap) {
        for (const auto& cm : b.config_maps)
            if (cm.metadata.name == name && cm.metadata.namespace_ == ns) return Found{&cm.data, &cm.binary_data};
    } else {
        for (const auto& s : b.secrets)
            if (s.metadata.name == name && s.metadata.namespace_ == ns) return Found{&s.data, nullptr};
    }
    return std::nullopt;
}

// The kubelet's words: `configmap "cfg" not found`, `secret "db" not found`.
std::string not_found(ObjectKind kind, const std::string& name) {
    return std::string(kind == ObjectKind::ConfigMap ? "configmap" : "secret") + " \"" + name + "\" not found";
}

std::string kind_word(ObjectKind kind) {
    return kind == ObjectKind::ConfigMap ? "ConfigMap" : "Secret";
}

void resolve_env(const Pod& pod, Container& c, const Bundle& b, std::vector<std::string>& errors) {
    const std::string ns = pod.metadata.namespace_;
    const std::string where = "CreateContainerConfigError: container \"" + c.name + "\": ";
    std::vector<EnvVar> env;
    // envFrom first, then env: a later definition of a name wins (container_env).
    for (const auto& src : c.env_from) {
        auto obj = find(b, src.kind, src.name, ns);
        if (!obj) {
            if (!src.optional) errors.push_back(where + not_found(src.kind, src.name));
            continue;
        }
        // A ConfigMap's binaryData never becomes a variable (the kubelet reads only data).
        for (const auto& [k, v] : *obj->data) {
            // The kubelet skips a key that is not a valid variable name (with an event).
            const std::string name = src.prefix + k;
            if (!detail::check_env_var_name(name).empty()) continue;
            EnvVar e;
            e.name = name;
            e.value = v;
            e.verbatim = true;
            env.push_back(std::move(e));
        }
    }
    for (auto& e : c.env) {
        if (!e.key_ref) {
            env.push_back(std::move(e));
            continue;
        }
        const KeyRef& r = *e.key_ref;
        auto obj = find(b, r.kind, r.name, ns);
        const std::string* value = nullptr;
        if (obj)
            if (auto it = obj->data->find(r.key); it != obj->data->end()) value = &it->second;
        if (value == nullptr) {
            if (!r.optional)
                errors.push_back(
                    where + (obj ? "couldn't find key " + r.key + " in " + kind_word(r.kind) + " " + ns + "/" + r.name
                                 : not_found(r.kind, r.name)));
            continue;  // an optional reference that finds nothing defines no variable
        }
        e.value = *value;
        e.verbatim = true;
        e.key_ref.reset();
        env.push_back(std::move(e));
    }
    c.env = std::move(env);
    c.env_from.clear();
}

void resolve_volume(const Pod& pod, const std::string& volume, ObjectVolume& v, const Bundle& b,
                    std::vector<std::string>& errors) {
    const std::string where = "FailedMount: MountVolume.SetUp failed for volume \"" + volume + "\": ";
    v.files.clear();
    auto obj = find(b, v.kind, v.name, pod.metadata.namespace_);
    if (!obj) {
        if (!v.optional) errors.push_back(where + not_found(v.kind, v.name));
        return;
    }
    if (v.items.empty()) {
        for (const auto* m : {obj->data, obj->binary})
            if (m != nullptr)
                for (const auto& [k, val] : *m) v.files.push_back(DataFile{k, val, v.default_mode});
        return;
    }
    for (const auto& item : v.items) {
        const std::string* val = obj->lookup(item.key);
        if (val == nullptr) {
            if (!v.optional)
                errors.push_back(where + (v.kind == ObjectKind::ConfigMap ? "configmap" : "secret") +
                                 " references non-existent " +
                                 (v.kind == ObjectKind::ConfigMap ? "config key: " : "secret key: ") + item.key);
            continue;
        }
        v.files.push_back(DataFile{item.path, *val, item.mode.value_or(v.default_mode)});
    }
}

}  // namespace

std::vector<std::string> resolve_objects(Pod& pod, const Bundle& bundle) {
    std::vector<std::string> errors;
    for (auto& v : pod.volumes) {
        if (auto* ov = std::get_if<ObjectVolume>(&v.source)) resolve_volume(pod, v.name, *ov, bundle, errors);
        // A projected volume's configMap and secret sources, each on its own (optional applies
        // to that source only).
        if (auto* pv = std::get_if<ProjectedVolume>(&v.source))
            for (auto& src : pv->sources)
                if (auto* ov = std::get_if<ObjectVolume>(&src.source)) resolve_volume(pod, v.name, *ov, bundle, errors);
    }
    for (auto* list : {&pod.init_containers, &pod.containers})
        for (auto& c : *list) resolve_env(pod, c, bundle, errors);
    return errors;
}

}  // namespace podrun::spec
