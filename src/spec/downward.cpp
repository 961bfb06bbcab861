// Downward API values (see downward.hpp), after the kubelet's pkg/fieldpath and
// pkg/api/v1/resource (ExtractContainerResourceValue, MergeContainerResourceLimits).
#include "podrun/spec/downward.hpp"

#include <algorithm>
#include <cstdio>

namespace podrun::spec {
namespace {

// ceil(a / b) for a >= 0, b > 0, as math.Ceil(float64(a) / float64(b)) gives it for the
// values a limit can take (the kubelet divides in float64; exact here).
int64_t ceil_div(int64_t a, int64_t b) {
    return a / b + (a % b != 0 ? 1 : 0);
}

const Container* find_container(const Pod& pod, const std::string& name) {
    for (const auto* list : {&pod.containers, &pod.init_containers})
        for (const auto& c : *list)
            if (c.name == name) return &c;
    return nullptr;
}

// Go's strconv.Quote for the bytes of a label or annotation value: printable ASCII and valid
// UTF-8 as they are, the usual escapes, anything else \xNN.
std::string go_quote(const std::string& s) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        char buf[8];
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\a':
                out += "\\a";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\v':
                out += "\\v";
                break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    std::snprintf(buf, sizeof buf, "\\x%02x", c);
                    out += buf;
                } else if (c < 0x80) {
                    out += static_cast<char>(c);
                } else {
                    // A valid UTF-8 sequence is kept (Go keeps printable runes); a stray byte is escaped.
                    const size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
                    bool ok = len != 0 && i + len <= s.size();
                    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
                    if (ok) {
                        out.append(s, i, len);
                        i += len;
                        continue;
                    }
                    std::snprintf(buf, sizeof buf, "\\x%02x", c);
                    out += buf;
                }
        }
        ++i;
    }
    return out + "\"";
}

std::string map_entry(const std::map<std::string, std::string>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? std::string() : it->second;
}

// "metadata.labels['app']" -> "app".
std::string subscript_key(const std::string& path, size_t prefix) {
    return path.substr(prefix + 2, path.size() - prefix - 4);
}

std::string file_value(const Pod& pod, const DownwardFile& f, const PodRuntimeInfo& info) {
    if (f.resource) {
        const Container* c = find_container(pod, f.resource->container_name);
        return c ? resource_value(pod, *c, *f.resource, info.node) : std::string();
    }
    const std::string& p = f.field_path;
    if (p == "metadata.name") return pod.metadata.name;
    if (p == "metadata.namespace") return pod.metadata.namespace_;
    if (p == "metadata.uid") return info.uid;
    if (p == "metadata.labels") return format_map(pod.metadata.labels);
    if (p == "metadata.annotations") return format_map(pod.metadata.annotations);
    static const std::string labels = "metadata.labels", annotations = "metadata.annotations";
    if (p.rfind(labels + "[", 0) == 0) return map_entry(pod.metadata.labels, subscript_key(p, labels.size()));
    if (p.rfind(annotations + "[", 0) == 0)
        return map_entry(pod.metadata.annotations, subscript_key(p, annotations.size()));
    return {};
}

}  // namespace

std::string format_map(const std::map<std::string, std::string>& m) {
    std::string out;
    for (const auto& [k, v] : m) out += (out.empty() ? "" : "\n") + k + "=" + go_quote(v);
    return out;
}

std::string resource_value(const Pod& pod, const Container& self, const ResourceFieldRef& ref,
                           const NodeAllocatable& node) {
    const Container* c = ref.container_name.empty() ? &self : find_container(pod, ref.container_name);
    if (c == nullptr) return {};
    const Resources& r = c->resources;
    const int64_t divisor_millis = ref.divisor_millis > 0 ? ref.divisor_millis : 1000;
    // cpu: millicores over the divisor's millicores; memory and storage: bytes over bytes.
    auto cpu = [&](int64_t millis) { return std::to_string(ceil_div(millis, divisor_millis)); };
    auto bytes = [&](int64_t b) { return std::to_string(ceil_div(b, std::max<int64_t>(1, divisor_millis / 1000))); };
    // MergeContainerResourceLimits: a limit the container does not set is the node's
    // allocatable; a request it does not set stays 0 (the API server already defaulted a
    // missing request to its limit).
    if (ref.resource == "limits.cpu") return cpu(r.cpu_limit_millis.value_or(node.cpu_millis));
    if (ref.resource == "requests.cpu") return cpu(r.cpu_request_millis.value_or(0));
    if (ref.resource == "limits.memory") return bytes(r.memory_limit_bytes.value_or(node.memory_bytes));
    if (ref.resource == "requests.memory") return bytes(r.memory_request_bytes.value_or(0));
    // podrun refuses ephemeral-storage in resources (validate_resources.cpp): never set here.
    if (ref.resource == "limits.ephemeral-storage") return bytes(node.ephemeral_storage_bytes);
    if (ref.resource == "requests.ephemeral-storage") return "0";
    return {};
}

void resolve_downward(Pod& pod, const PodRuntimeInfo& info) {
    for (auto& v : pod.volumes) {
        auto* pv = std::get_if<ProjectedVolume>(&v.source);
        if (pv == nullptr) continue;
        for (auto& src : pv->sources) {
            src.files.clear();
            if (const auto* d = std::get_if<DownwardSource>(&src.source)) {
                for (const auto& f : d->items)
                    src.files.push_back(DataFile{f.path, file_value(pod, f, info), f.mode.value_or(pv->default_mode)});
            } else if (const auto* t = std::get_if<TokenSource>(&src.source)) {
                // No API server issues a token here: the file exists (programs that look for
                // it find it) and is empty; validate said so.
                src.files.push_back(DataFile{t->path, "", pv->default_mode});
            }
        }
    }
}

}  // namespace podrun::spec
