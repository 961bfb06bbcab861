// ConfigMap, Secret and PersistentVolumeClaim objects with Kubernetes' rules, and the pod
// template of a workload (Deployment, Job, ...) turned into one Pod.
#include "bundle_objects.hpp"

#include <array>

#include "names.hpp"
#include "validate.hpp"

namespace podrun::spec::detail {
namespace {

constexpr size_t kMaxDataBytes = 1024 * 1024;  // Kubernetes' MaxSecretSize, also for ConfigMaps

// Kubernetes' IsConfigMapKey (ConfigMap and Secret keys: they become file names).
std::string check_data_key(std::string_view k) {
    if (k.empty() || k.size() > 253) return "must have 1 to 253 characters";
    for (char c : k)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
            return "must consist of letters, digits, '-', '_' or '.'";
    if (k == "." || k == "..") return "must not be '.' or '..'";
    if (k.substr(0, 2) == "..") return "must not start with '..'";
    return {};
}

void api_version(Checker& ck, const Json& doc, std::string_view want) {
    auto api = ck.string(doc, "apiVersion", "");
    if (!api && member(doc, "apiVersion") == nullptr)
        ck.error("apiVersion", "required; use " + quote(want));
    else if (api && *api != want)
        ck.error("apiVersion", quote(*api) + " is not supported; use " + quote(want));
}

// data-like maps: keys checked, values collected; `base64` decodes each value.
void data_map(Checker& ck, const Json& doc, const char* key, bool base64, std::map<std::string, std::string>& out,
              size_t& total) {
    const std::string p = key;
    for (const auto& [k, v] : ck.string_map(doc, key, "")) {
        const std::string kp = key_path(p, k);
        if (std::string why = check_data_key(k); !why.empty()) {
            ck.error(kp, "key " + quote(k) + " " + why);
            continue;
        }
        if (!base64) {
            out[k] = v;
            total += v.size();
        } else if (auto bytes = decode_base64(v)) {
            total += bytes->size();
            out[k] = std::move(*bytes);
        } else {
            ck.error(kp, "the value is not base64 (write the value base64-encoded, or use " +
                             std::string(std::string_view(key) == "data" ? "stringData" : "data") + " for plain text)");
        }
    }
}

std::string rewrite_template_path(const std::string& p) {
    if (p.empty() || p == "metadata.name" || p == "metadata.namespace") return p;
    if (p.rfind("spec", 0) == 0 || p.rfind("metadata", 0) == 0) return "spec.template." + p;
    return p;
}

int8_t b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return static_cast<int8_t>(c - 'A');
    if (c >= 'a' && c <= 'z') return static_cast<int8_t>(c - 'a' + 26);
    if (c >= '0' && c <= '9') return static_cast<int8_t>(c - '0' + 52);
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view s) {
    if (s.size() % 4 != 0) return std::nullopt;
    std::string out;
    out.reserve(s.size() / 4 * 3);
    for (size_t i = 0; i < s.size(); i += 4) {
        const bool last = i + 4 == s.size();
        int pad = 0;
        std::array<int, 4> v{};
        for (size_t j = 0; j < 4; ++j) {
            const char c = s[i + j];
            if (c == '=' && last && j >= 2) {
                ++pad;
                v[j] = 0;
                continue;
            }
            if (pad > 0) return std::nullopt;  // data after padding
            const int8_t b = b64_value(c);
            if (b < 0) return std::nullopt;
            v[j] = b;
        }
        const unsigned n = (unsigned(v[0]) << 18) | (unsigned(v[1]) << 12) | (unsigned(v[2]) << 6) | unsigned(v[3]);
        out.push_back(static_cast<char>((n >> 16) & 0xff));
        if (pad < 2) out.push_back(static_cast<char>((n >> 8) & 0xff));
        if (pad < 1) out.push_back(static_cast<char>(n & 0xff));
    }
    return out;
}

void validate_config_map(Checker& ck, const Json& doc, ConfigMap& out) {
    ck.object(&doc, "", Kind::ConfigMap);
    api_version(ck, doc, "v1");
    validate_metadata(ck, doc, out.metadata, false);
    size_t total = 0;
    data_map(ck, doc, "data", false, out.data, total);
    data_map(ck, doc, "binaryData", true, out.binary_data, total);
    for (const auto& [k, v] : out.binary_data)
        if (out.data.count(k)) ck.error(key_path("binaryData", k), "key " + quote(k) + " is also in data");
    if (total > kMaxDataBytes) ck.error("data", "the data of a ConfigMap must have at most 1048576 bytes in total");
    out.immutable = ck.boolean(doc, "immutable", "").value_or(false);
}

void validate_secret(Checker& ck, const Json& doc, Secret& out) {
    ck.object(&doc, "", Kind::Secret);
    api_version(ck, doc, "v1");
    validate_metadata(ck, doc, out.metadata, false);
    size_t total = 0;
    data_map(ck, doc, "data", true, out.data, total);
    std::map<std::string, std::string> plain;
    size_t plain_total = 0;
    data_map(ck, doc, "stringData", false, plain, plain_total);
    for (auto& [k, v] : plain) {  // stringData wins, as the API server merges it
        if (auto it = out.data.find(k); it != out.data.end()) total -= it->second.size();
        total += v.size();
        out.data[k] = std::move(v);
    }
    if (total > kMaxDataBytes) ck.error("data", "the data of a Secret must have at most 1048576 bytes in total");
    if (auto type = ck.string(doc, "type", ""); type && !type->empty()) out.type = *type;
    // The two typed secrets a pod reads as files must carry their keys, as Kubernetes checks.
    auto need = [&](std::initializer_list<const char*> keys) {
        for (const char* k : keys)
            if (!out.data.count(k))
                ck.error("data", "a Secret of type " + quote(out.type) + " must have the key " + quote(k));
    };
    if (out.type == "kubernetes.io/tls") need({"tls.crt", "tls.key"});
    if (out.type == "kubernetes.io/dockerconfigjson") need({".dockerconfigjson"});
    out.immutable = ck.boolean(doc, "immutable", "").value_or(false);
}

void validate_claim(Checker& ck, const Json& doc, PersistentVolumeClaim& out) {
    ck.object(&doc, "", Kind::PersistentVolumeClaim);
    api_version(ck, doc, "v1");
    validate_metadata(ck, doc, out.metadata, false);
    const Json* spec = ck.object(member(doc, "spec"), "spec", Kind::PvcSpec);
    if (spec == nullptr) {
        if (member(doc, "spec") == nullptr) ck.error("spec.accessModes", "required");
        return;
    }
    out.access_modes = ck.strings(*spec, "accessModes", "spec");
    if (out.access_modes.empty() && member(*spec, "accessModes") == nullptr)
        ck.error("spec.accessModes",
                 "required: at least one of ReadWriteOnce, ReadOnlyMany, "
                 "ReadWriteMany, ReadWriteOncePod");
    for (size_t i = 0; i < out.access_modes.size(); ++i) {
        const std::string& m = out.access_modes[i];
        if (m != "ReadWriteOnce" && m != "ReadOnlyMany" && m != "ReadWriteMany" && m != "ReadWriteOncePod")
            ck.error(index("spec.accessModes", i), quote(m) +
                                                       " must be ReadWriteOnce, ReadOnlyMany, ReadWriteMany or "
                                                       "ReadWriteOncePod");
        else if (m == "ReadWriteOncePod" && out.access_modes.size() > 1)
            ck.error(index("spec.accessModes", i), "ReadWriteOncePod may not be combined with other access modes");
    }
    const std::string rp = "spec.resources";
    const Json* res = ck.object(member(*spec, "resources"), rp, Kind::VolumeResourceRequirements);
    const Json* requests = res ? member(*res, "requests") : nullptr;
    const Json* storage = requests && requests->is_object() ? member(*requests, "storage") : nullptr;
    if (storage == nullptr) {
        ck.error(join(rp, "requests.storage"), "required (the claim's size, e.g. \"1Gi\")");
    } else {
        std::string text;
        if (auto q = ck.quantity(*storage, join(rp, "requests.storage"), &text)) {
            if (q->value <= 0)
                ck.error(join(rp, "requests.storage"), quote(text) + " must be greater than 0");
            else
                out.storage_request_bytes = q->value;
        }
    }
    if (auto mode = ck.string(*spec, "volumeMode", "spec")) {
        if (*mode == "Block")
            ck.error("spec.volumeMode",
                     "\"Block\": podrun's volumes are directories; use "
                     "Filesystem (the default)");
        else if (*mode != "Filesystem")
            ck.error("spec.volumeMode", quote(*mode) + " must be Filesystem or Block");
    }
}

std::string_view workload_api_version(std::string_view kind) {
    if (kind == "Deployment" || kind == "ReplicaSet" || kind == "StatefulSet" || kind == "DaemonSet") return "apps/v1";
    if (kind == "Job") return "batch/v1";
    if (kind == "ReplicationController") return "v1";
    return {};
}

void validate_workload(Checker& ck, const Json& doc, std::string_view kind, Pod& pod,
                       std::vector<std::string>& warnings) {
    ck.object(&doc, "", Kind::Workload);
    const std::string_view want = workload_api_version(kind);
    if (auto api = ck.string(doc, "apiVersion", ""); api && *api != want) {
        // kubectl: no matches for kind "Deployment" in version "v1". The rest would be read
        // against the wrong schema, so stop here.
        ck.error("kind", quote(kind) + " is not a kind of apiVersion " + quote(*api) +
                             "; use apiVersion: " + std::string(want));
        return;
    }
    if (member(doc, "apiVersion") == nullptr) ck.error("apiVersion", "required; use " + quote(want));
    Metadata own;
    validate_metadata(ck, doc, own, false);
    const Json* spec = member(doc, "spec");
    if (spec == nullptr || !spec->is_object()) {
        if (spec != nullptr)
            ck.type_error("spec", "an object", *spec);
        else
            ck.error("spec.template", "required (the pod template to run)");
        return;
    }
    // The workload's own fields, beyond the template, do not apply to one pod: replicas gets
    // its own warning, the rest are named in one.
    std::vector<std::string> unused;
    for (const auto& [key, value] : spec->items()) {
        if (key == "template" || value.is_null()) continue;
        const bool count = key == "replicas" || key == "parallelism" || key == "completions";
        if (count && value.is_number_integer() && value.get<int64_t>() > 1)
            warnings.push_back("spec." + key + " is " + value.dump() + ": podrun runs the pod template as one pod");
        else if (!count && key != "selector")
            unused.push_back("spec." + key);
    }
    if (!unused.empty()) {
        std::string w = "not applied to the one pod podrun runs: ";
        for (size_t i = 0; i < unused.size(); ++i) w += (i ? ", " : "") + unused[i];
        warnings.push_back(std::move(w));
    }
    const Json* tpl = ck.object(member(*spec, "template"), "spec.template", Kind::PodTemplateSpec);
    if (tpl == nullptr) {
        if (member(*spec, "template") == nullptr) ck.error("spec.template", "required (the pod template to run)");
        return;
    }
    // The pod: the template, named after the object and in its namespace.
    Json pd = Json::object();
    pd["apiVersion"] = "v1";
    pd["kind"] = "Pod";
    Json meta = Json::object();
    if (const Json* tm = member(*tpl, "metadata"); tm != nullptr && tm->is_object())
        meta = *tm;
    else if (tm != nullptr)
        ck.type_error("spec.template.metadata", "an object", *tm);
    meta.erase("name");
    meta.erase("namespace");
    meta.erase("generateName");
    if (!own.name.empty()) meta["name"] = own.name;
    if (own.namespace_ != "default") meta["namespace"] = own.namespace_;
    pd["metadata"] = std::move(meta);
    if (const Json* ts = member(*tpl, "spec")) pd["spec"] = *ts;
    Checker inner;
    validate_pod(inner, pd, pod);
    for (Problem& p : inner.errors) {
        // The object's own name errors are already reported (as a subdomain); a pod name must
        // also be a label, which is the only one worth repeating.
        if (p.path == "metadata.name" && p.message.find("DNS-1123 label") == std::string::npos) continue;
        if (p.path == "metadata.namespace") continue;
        p.path = rewrite_template_path(p.path);
        ck.errors.push_back(std::move(p));
    }
    for (const std::string& p : inner.ignored) ck.ignored.push_back(rewrite_template_path(p));
    for (const auto& [reason, paths] : inner.notes)
        for (const std::string& p : paths) ck.note(reason, rewrite_template_path(p));
    if (const Json* tspec = member(*tpl, "spec"); kind == "Job" && tspec != nullptr) {
        auto rp = member(*tspec, "restartPolicy");
        if (rp == nullptr || (rp->is_string() && rp->get<std::string>() == "Always"))
            ck.error("spec.template.spec.restartPolicy",
                     "a Job's pod must have restartPolicy Never or OnFailure, as Kubernetes "
                     "requires");
    }
    // apps/v1 requires a selector, and it must select the template's labels.
    if (workload_api_version(kind) == "apps/v1") {
        const Json* sel = member(*spec, "selector");
        if (sel == nullptr) {
            ck.error("spec.selector", "required (e.g. matchLabels with the template's labels)");
        } else if (const Json* ml = member(*sel, "matchLabels"); ml != nullptr && ml->is_object()) {
            for (const auto& [k, v] : ml->items()) {
                auto it = pod.metadata.labels.find(k);
                if (!v.is_string() || it == pod.metadata.labels.end() || it->second != v.get<std::string>()) {
                    ck.error("spec.template.metadata.labels",
                             "selector does not match template labels (spec.selector.matchLabels[" + k +
                                 "] is not among them)");
                    break;
                }
            }
        }
    }
}

}  // namespace podrun::spec::detail
