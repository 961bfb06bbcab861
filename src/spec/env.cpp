// $(VAR) expansion as k8s.io/kubernetes/third_party/forked/golang/expansion does it, and the
// container environment as the kubelet builds it (makeEnvironmentVariables).
#include "podrun/spec/env.hpp"

#include "podrun/spec/downward.hpp"

#include <optional>
#include <string_view>

namespace podrun::spec {
namespace {

// The last definition wins, as the kubelet's map of already-resolved variables does.
const std::string* lookup(const EnvList& env, std::string_view name) {
    for (auto it = env.rbegin(); it != env.rend(); ++it)
        if (it->first == name) return &it->second;
    return nullptr;
}

// "metadata.labels['app']" -> "app" when `path` has the subscripted form of `prefix`.
std::optional<std::string> subscript(std::string_view path, std::string_view prefix) {
    if (path.size() < prefix.size() + 4 || path.substr(0, prefix.size()) != prefix) return {};
    std::string_view rest = path.substr(prefix.size());
    if (rest.substr(0, 2) != "['" || rest.substr(rest.size() - 2) != "']") return {};
    return std::string(rest.substr(2, rest.size() - 4));
}

std::string map_value(const std::map<std::string, std::string>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? std::string() : it->second;
}

// The validator only lets the paths below through; anything else resolves to "".
std::string field_value(const Pod& pod, const std::string& path, const PodRuntimeInfo& info) {
    if (path == "metadata.name") return pod.metadata.name;
    if (path == "metadata.namespace") return pod.metadata.namespace_;
    if (path == "metadata.uid") return info.uid;
    if (path == "spec.nodeName") return pod.node_name;
    if (path == "spec.serviceAccountName") return pod.service_account_name;
    if (path == "status.hostIP" || path == "status.hostIPs") return info.host_ip;
    if (path == "status.podIP" || path == "status.podIPs") {
        // The pod's own network namespace has only loopback; with hostNetwork it is the host's.
        if (!info.pod_ip.empty()) return info.pod_ip;
        return pod.host_network ? info.host_ip : "127.0.0.1";
    }
    if (auto k = subscript(path, "metadata.labels")) return map_value(pod.metadata.labels, *k);
    if (auto k = subscript(path, "metadata.annotations")) return map_value(pod.metadata.annotations, *k);
    return {};
}

}  // namespace

std::string expand(const std::string& input, const EnvList& env) {
    std::string out;
    out.reserve(input.size());
    size_t i = 0;
    while (i < input.size()) {
        // A '$' as the very last character is plain text.
        if (input[i] != '$' || i + 1 == input.size()) {
            out += input[i++];
            continue;
        }
        const char next = input[i + 1];
        if (next == '$') {  // "$$" is an escaped '$'
            out += '$';
            i += 2;
        } else if (next == '(') {
            const size_t close = input.find(')', i + 2);
            if (close == std::string::npos) {  // unterminated: "$(" is kept, scanning goes on
                out += "$(";
                i += 2;
                continue;
            }
            const std::string_view name(input.data() + i + 2, close - i - 2);
            if (const std::string* v = lookup(env, name))
                out += *v;
            else
                out.append(input, i, close - i + 1);  // undefined: left as written
            i = close + 1;
        } else {  // '$' followed by anything else stays as is
            out += '$';
            out += next;
            i += 2;
        }
    }
    return out;
}

EnvList container_env(const Pod& pod, const Container& c, const PodRuntimeInfo& info) {
    EnvList env;
    for (const EnvVar& v : c.env) {
        // fieldRef and resourceFieldRef values are used verbatim; literal values expand
        // against what came before.
        std::string value = v.field_path     ? field_value(pod, *v.field_path, info)
                            : v.resource_ref ? resource_value(pod, c, *v.resource_ref, info.node)
                            : v.verbatim     ? v.value
                                             : expand(v.value, env);
        // A redefinition keeps the first position and takes the new value (Kubernetes keeps a
        // map, so only "last wins" is specified; a stable order is podrun's choice).
        bool replaced = false;
        for (auto& [name, old] : env) {
            if (name == v.name) {
                old = value;
                replaced = true;
                break;
            }
        }
        if (!replaced) env.emplace_back(v.name, std::move(value));
    }
    return env;
}

std::vector<std::string> container_argv(const Container& c, const EnvList& env) {
    std::vector<std::string> argv;
    argv.reserve(c.command.size() + c.args.size());
    for (const auto& s : c.command) argv.push_back(expand(s, env));
    for (const auto& s : c.args) argv.push_back(expand(s, env));
    return argv;
}

std::vector<std::string> expand_static(const std::vector<std::string>& command, const Container& c) {
    EnvList env;
    for (const auto& e : c.env) {
        // Only literal values, as the kubelet's ExpandContainerCommandOnlyStatic.
        if (!e.field_path && !e.verbatim && !e.key_ref && !e.resource_ref) env.emplace_back(e.name, e.value);
    }
    std::vector<std::string> out;
    for (const auto& a : command) out.push_back(expand(a, env));
    return out;
}

}  // namespace podrun::spec
