// One container (or init container): name, image, command, env, ports, resources, mounts,
// restartPolicy (sidecars); probes and hooks are in validate_probe.cpp.
#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>

#include "names.hpp"
#include "podrun/image/reference.hpp"
#include "validate.hpp"

namespace podrun::spec::detail {
namespace {

void check_image(Checker& ck, const Json& v, const std::string& path, Container& c) {
    auto image = ck.string(v, "image", path);
    if (auto pol = ck.string(v, "imagePullPolicy", path); pol && !pol->empty()) {
        if (*pol != "Always" && *pol != "IfNotPresent" && *pol != "Never") {
            ck.error(join(path, "imagePullPolicy"), quote(*pol) + " is not Always, IfNotPresent or Never");
        }
        c.image_pull_policy = *pol;
    }
    // "" is Go's zero value: the same as leaving image out.
    if (!image || image->empty()) return;
    const std::string p = join(path, "image");
    // A path is a rootfs directory (podrun's extension); anything else is an image
    // reference, checked for syntax only: validation never touches the network or the store.
    if (image->front() != '/') {
        if (auto problem = image::reference_problem(*image)) {
            ck.error(p, "image " + quote(*image) + ": " + *problem);
            return;
        }
    }
    c.image = *image;
}

// Kubernetes accepts these env fieldRef paths (downward API for environment variables).
std::string check_field_path(const std::string& fp) {
    static constexpr std::string_view plain[] = {
        "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
        "status.hostIP", "status.hostIPs",     "status.podIP", "status.podIPs"};
    for (auto p : plain)
        if (fp == p) return {};
    for (std::string_view prefix : {"metadata.labels", "metadata.annotations"}) {
        if (fp.rfind(prefix, 0) != 0) continue;
        const std::string rest = fp.substr(prefix.size());
        if (rest.size() < 5 || rest.substr(0, 2) != "['" || rest.substr(rest.size() - 2) != "']")
            return "use the subscripted form, e.g. " + std::string(prefix) + "['app']";
        const std::string key = rest.substr(2, rest.size() - 4);
        if (std::string why = check_qualified_name(key); !why.empty()) return "key " + quote(key) + " " + why;
        return {};
    }
    return "not a supported fieldPath; use one of metadata.name, metadata.namespace, "
           "metadata.uid, metadata.labels['<key>'], metadata.annotations['<key>'], "
           "spec.nodeName, spec.serviceAccountName, status.podIP, status.hostIP";
}

std::optional<std::string> field_ref(Checker& ck, const Json& source, const std::string& path) {
    const std::string p = join(path, "fieldRef");
    const Json* ref = ck.object(member(source, "fieldRef"), p, Kind::ObjectFieldSelector);
    if (ref == nullptr) return std::nullopt;
    if (auto api = ck.string(*ref, "apiVersion", p); api && *api != "v1")
        ck.error(join(p, "apiVersion"), quote(*api) + " is not supported; use \"v1\" or omit it");
    auto fp = ck.string(*ref, "fieldPath", p);
    if (!fp) {
        if (member(*ref, "fieldPath") == nullptr) ck.error(join(p, "fieldPath"), "required");
        return std::nullopt;
    }
    if (std::string why = check_field_path(*fp); !why.empty()) {
        ck.error(join(p, "fieldPath"), quote(*fp) + ": " + why);
        return std::nullopt;
    }
    return fp;
}

void check_env(Checker& ck, const Json& v, const std::string& path, Container& c) {
    const Json* arr = ck.array(v, "env", path);
    if (arr == nullptr) return;
    for (size_t i = 0; i < arr->size(); ++i) {
        const std::string p = index(join(path, "env"), i);
        const Json* e = ck.object(&(*arr)[i], p, Kind::EnvVar);
        if (e == nullptr) continue;
        EnvVar var;
        auto name = ck.string(*e, "name", p);
        if (!name && member(*e, "name") == nullptr) ck.error(join(p, "name"), "required");
        if (name) {
            if (std::string why = check_env_var_name(*name); !why.empty())
                ck.error(join(p, "name"), quote(*name) + " " + why);
            var.name = *name;
        }
        var.value = ck.string(*e, "value", p).value_or("");
        const std::string vp = join(p, "valueFrom");
        if (const Json* from = ck.object(member(*e, "valueFrom"), vp, Kind::EnvVarSource)) {
            if (!var.value.empty()) ck.error(vp, "may not be given together with a non-empty value; use one of them");
            size_t sources = 0;
            for (const auto& item : from->items())
                if (!item.value().is_null()) ++sources;
            if (sources == 0)
                ck.error(vp, "must give a source: fieldRef, resourceFieldRef, configMapKeyRef or secretKeyRef");
            else if (sources > 1)
                ck.error(vp, "may give only one source");
            else if (member(*from, "fieldRef") != nullptr)
                var.field_path = field_ref(ck, *from, vp);
            else if (member(*from, "configMapKeyRef") || member(*from, "secretKeyRef"))
                var.key_ref = validate_key_ref(ck, *from, vp);
            else if (const Json* rf = member(*from, "resourceFieldRef"))
                var.resource_ref = validate_resource_field_ref(ck, *rf, join(vp, "resourceFieldRef"), false);
        }
        c.env.push_back(std::move(var));
    }
}

void check_ports(Checker& ck, const Json& v, const std::string& path, Container& c) {
    const Json* arr = ck.array(v, "ports", path);
    if (arr == nullptr) return;
    std::map<std::pair<int, std::string>, std::string> seen;  // (port, protocol) -> path
    std::map<std::string, std::string> names;
    for (size_t i = 0; i < arr->size(); ++i) {
        const std::string p = index(join(path, "ports"), i);
        const Json* o = ck.object(&(*arr)[i], p, Kind::ContainerPort);
        if (o == nullptr) continue;
        ContainerPort port;
        if (auto cp = ck.integer(*o, "containerPort", p)) {
            if (*cp < 1 || *cp > 65535)
                ck.error(join(p, "containerPort"), std::to_string(*cp) + " must be between 1 and 65535");
            else
                port.container_port = static_cast<int>(*cp);
        } else if (member(*o, "containerPort") == nullptr) {
            ck.error(join(p, "containerPort"), "required");
        }
        if (auto hp = ck.integer(*o, "hostPort", p)) {
            if (*hp < 0 || *hp > 65535)
                ck.error(join(p, "hostPort"), std::to_string(*hp) + " must be between 0 and 65535");
            else
                port.host_port = static_cast<int>(*hp);
        }
        if (auto proto = ck.string(*o, "protocol", p)) {
            if (*proto != "TCP" && *proto != "UDP" && *proto != "SCTP")
                ck.error(join(p, "protocol"), quote(*proto) + " must be TCP, UDP or SCTP");
            else
                port.protocol = *proto;
        }
        if (auto name = ck.string(*o, "name", p)) {
            if (std::string why = check_iana_svc_name(*name); !why.empty())
                ck.error(join(p, "name"), quote(*name) + ": " + why);
            else if (auto [it, fresh] = names.emplace(*name, p); !fresh)
                ck.error(join(p, "name"), quote(*name) + " is already used by " + it->second);
            port.name = *name;
        }
        if (auto ip = ck.string(*o, "hostIP", p)) {
            if (!is_ip_address(*ip)) ck.error(join(p, "hostIP"), quote(*ip) + " must be an IPv4 or IPv6 address");
            port.host_ip = *ip;
        }
        if (port.container_port != 0) {
            auto [it, fresh] = seen.emplace(std::make_pair(port.container_port, port.protocol), p);
            if (!fresh)
                ck.error(p, "duplicate port " + std::to_string(port.container_port) + "/" + port.protocol + " (also " +
                                it->second + ")");
        }
        c.ports.push_back(std::move(port));
    }
}

// A path inside the volume: relative and never climbing out of it.
bool descends(const std::string& sub) {
    return (sub.empty() || sub.front() != '/') && !has_dotdot_element(sub);
}

void check_mounts(Checker& ck, const Json& v, const std::string& path, const std::set<std::string>& volume_names,
                  Container& c) {
    const Json* arr = ck.array(v, "volumeMounts", path);
    if (arr == nullptr) return;
    std::map<std::string, std::string> paths;
    for (size_t i = 0; i < arr->size(); ++i) {
        const std::string p = index(join(path, "volumeMounts"), i);
        const Json* o = ck.object(&(*arr)[i], p, Kind::VolumeMount);
        if (o == nullptr) continue;
        VolumeMount m;
        if (auto name = ck.string(*o, "name", p)) {
            if (!volume_names.count(*name))
                ck.error(join(p, "name"), quote(*name) + " is not the name of a volume in spec.volumes");
            m.name = *name;
        } else if (member(*o, "name") == nullptr) {
            ck.error(join(p, "name"), "required");
        }
        if (auto mp = ck.string(*o, "mountPath", p)) {
            if (mp->empty() || mp->front() != '/')
                ck.error(join(p, "mountPath"), quote(*mp) + " must be an absolute path");
            else if (has_dotdot_element(*mp))
                ck.error(join(p, "mountPath"), quote(*mp) + " must not contain '..' (write the path it means)");
            else if (auto [it, fresh] = paths.emplace(*mp, p); !fresh)
                ck.error(join(p, "mountPath"), quote(*mp) + " is already mounted by " + it->second);
            m.mount_path = *mp;
        } else if (member(*o, "mountPath") == nullptr) {
            ck.error(join(p, "mountPath"), "required");
        }
        m.read_only = ck.boolean(*o, "readOnly", p).value_or(false);
        if (auto sub = ck.string(*o, "subPath", p)) {
            if (!descends(*sub)) ck.error(join(p, "subPath"), quote(*sub) + " must be a relative path without '..'");
            m.sub_path = *sub;
        }
        if (auto expr = ck.string(*o, "subPathExpr", p); expr && !expr->empty()) {
            // The API server's checks, on the text as written; the expanded path is checked
            // again when the container starts.
            if (!m.sub_path.empty())
                ck.error(join(p, "subPathExpr"), "subPathExpr and subPath are mutually exclusive; keep one");
            else if (!descends(*expr))
                ck.error(join(p, "subPathExpr"), quote(*expr) + " must be a relative path without '..'");
            m.sub_path_expr = *expr;
        }
        if (auto prop = ck.string(*o, "mountPropagation", p); prop && !prop->empty()) {
            const std::string pp = join(p, "mountPropagation");
            if (*prop == "HostToContainer")
                m.host_to_container = true;
            else if (*prop == "Bidirectional")
                ck.error(pp,
                         "\"Bidirectional\" is refused: a pod's mount namespace is a slave of the host's, so "
                         "nothing mounted in a pod reaches the host; use \"HostToContainer\" or \"None\"");
            else if (*prop != "None")
                ck.error(pp,
                         quote(*prop) + " must be \"None\" (the default), \"HostToContainer\" or \"Bidirectional\"");
        }
        c.volume_mounts.push_back(std::move(m));
    }
}

void check_command(Checker& ck, const Json& v, const std::string& path, Container& c) {
    c.command = ck.strings(v, "command", path);
    c.args = ck.strings(v, "args", path);
    // An empty list is Go's zero value, the same as no command; anything else that is not a
    // list of strings already has its type error.
    const Json* cmd = member(v, "command");
    if (cmd != nullptr && !(cmd->is_array() && cmd->empty())) return;
    const Json* img = member(v, "image");
    if (c.image && c.image->front() == '/')
        ck.error(join(path, "command"),
                 "required when image is a rootfs directory (there is "
                 "no image config to read an entrypoint from)");
    else if (img == nullptr || (img->is_string() && img->get<std::string>().empty()))
        ck.error(join(path, "command"),
                 "required when image is omitted (podrun runs host "
                 "programs; there is no image entrypoint)");
}

// restartPolicy: on an init container "Always" makes a sidecar (Kubernetes 1.29+): it starts
// in order with the init containers, keeps running beside the app containers, is restarted
// whenever it exits, and is stopped after them. Since Kubernetes 1.34 (ContainerRestartRules)
// any container may set Always, OnFailure or Never over the pod's, and restartPolicyRules
// restart it on the exit codes they name.
void check_restart_policy(Checker& ck, const Json& v, const std::string& path, bool init, Container& c) {
    auto rp = ck.string(v, "restartPolicy", path);
    const std::string p = join(path, "restartPolicy");
    if (rp) {
        if (*rp == "Always")
            c.restart_policy = RestartPolicy::Always;
        else if (*rp == "OnFailure")
            c.restart_policy = RestartPolicy::OnFailure;
        else if (*rp == "Never")
            c.restart_policy = RestartPolicy::Never;
        else
            ck.error(p, quote(*rp) +
                            " must be Always, OnFailure or Never (on an init container Always makes a "
                            "sidecar)");
    }
    const Json* rules = ck.array(v, "restartPolicyRules", path);
    if (rules == nullptr || rules->empty()) return;
    const std::string rsp = join(path, "restartPolicyRules");
    if (!rp && member(v, "restartPolicy") == nullptr)
        ck.error(p, "required when restartPolicyRules is set (it decides the exits no rule matches)");
    if (init && c.is_sidecar())
        ck.error(rsp, "may not be set on a sidecar (restartPolicy: Always restarts it on every exit)");
    for (size_t i = 0; i < rules->size(); ++i) {
        const std::string ip = index(rsp, i);
        const Json* r = ck.object(&(*rules)[i], ip, Kind::RestartRule);
        if (r == nullptr) continue;
        RestartRule rule;
        auto action = ck.string(*r, "action", ip);
        if (!action && member(*r, "action") == nullptr)
            ck.error(join(ip, "action"), "required: \"Restart\"");
        else if (action && *action != "Restart")
            ck.error(join(ip, "action"), quote(*action) + ": the only action supported is \"Restart\"");
        const std::string ep = join(ip, "exitCodes");
        const Json* ec = ck.object(member(*r, "exitCodes"), ep, Kind::RestartRuleExitCodes);
        if (ec == nullptr) {
            if (member(*r, "exitCodes") == nullptr) ck.error(ep, "required (operator In or NotIn, and values)");
            continue;
        }
        auto op = ck.string(*ec, "operator", ep);
        if (!op && member(*ec, "operator") == nullptr)
            ck.error(join(ep, "operator"), "required: In or NotIn");
        else if (op && *op != "In" && *op != "NotIn")
            ck.error(join(ep, "operator"), quote(*op) + " must be In or NotIn");
        rule.in = op.value_or("In") == "In";
        const std::string vp = join(ep, "values");
        if (const Json* vals = ck.array(*ec, "values", ep)) {
            if (vals->size() > 255) ck.error(vp, "must have at most 255 values, has " + std::to_string(vals->size()));
            for (size_t j = 0; j < vals->size(); ++j) {
                const Json& x = (*vals)[j];
                if (!x.is_number_integer() || x.get<int64_t>() < INT32_MIN || x.get<int64_t>() > INT32_MAX) {
                    ck.type_error(index(vp, j), "an exit code (an integer)", x);
                    continue;
                }
                const int64_t code = x.get<int64_t>();
                if (std::find(rule.values.begin(), rule.values.end(), code) != rule.values.end())
                    ck.error(index(vp, j), std::to_string(code) + " is given twice");
                rule.values.push_back(code);
            }
        }
        c.restart_rules.push_back(std::move(rule));
    }
}

}  // namespace

void validate_resize_policy(Checker& ck, const Json& v, const std::string& path, bool init, bool sidecar,
                            RestartPolicy pod_policy) {
    const Json* arr = ck.array(v, "resizePolicy", path);
    if (arr == nullptr) return;
    const std::string p = join(path, "resizePolicy");
    if (init && !sidecar) {
        ck.error(p, "may not be set on an init container unless it is a sidecar (restartPolicy: Always)");
        return;
    }
    std::set<std::string> seen;
    for (size_t i = 0; i < arr->size(); ++i) {
        const std::string ip = index(p, i);
        const Json* o = ck.object(&(*arr)[i], ip, Kind::ResizePolicy);
        if (o == nullptr) continue;
        auto res = ck.string(*o, "resourceName", ip);
        if (!res || res->empty()) {
            if (!res && member(*o, "resourceName") != nullptr) continue;
            ck.error(join(ip, "resourceName"), "required: cpu or memory");
        } else if (*res != "cpu" && *res != "memory") {
            ck.error(join(ip, "resourceName"), quote(*res) + " must be cpu or memory");
        } else if (!seen.insert(*res).second) {
            ck.error(join(ip, "resourceName"), quote(*res) + " is given twice");
        }
        auto rp = ck.string(*o, "restartPolicy", ip);
        if (!rp || rp->empty()) {
            if (!rp && member(*o, "restartPolicy") != nullptr) continue;
            ck.error(join(ip, "restartPolicy"), "required: NotRequired or RestartContainer");
        } else if (*rp != "NotRequired" && *rp != "RestartContainer") {
            ck.error(join(ip, "restartPolicy"), quote(*rp) + " must be NotRequired or RestartContainer");
        } else if (pod_policy == RestartPolicy::Never && *rp != "NotRequired") {
            ck.error(join(ip, "restartPolicy"), quote(*rp) + " must be NotRequired when spec.restartPolicy is Never");
        }
    }
    ck.note("resizePolicy (podrun does not resize a running container in place)", p);
}

Container validate_container(Checker& ck, const Json& v, const std::string& path, bool init,
                             const std::set<std::string>& volume_names, std::optional<int64_t> pod_grace_seconds,
                             const PodSecurityDefaults& security) {
    Container c;
    if (ck.object(&v, path, Kind::Container) == nullptr) return c;
    if (auto name = ck.string(v, "name", path)) {
        if (std::string why = check_dns1123_label(*name); !why.empty()) {
            ck.error(join(path, "name"), quote(*name) + " " + why);
        }
        // "pause" is a container name like any other: pause's own cgroup leaf is "_pause",
        // a name no DNS-1123 label can take (sandbox.cpp).
        c.name = *name;
    } else if (member(v, "name") == nullptr) {
        ck.error(join(path, "name"), "required");
    }
    check_image(ck, v, path, c);
    check_command(ck, v, path, c);
    if (auto wd = ck.string(v, "workingDir", path)) {
        if (!wd->empty() && wd->front() != '/')
            ck.error(join(path, "workingDir"), quote(*wd) + " must be an absolute path");
        else if (has_dotdot_element(*wd))
            ck.error(join(path, "workingDir"), quote(*wd) + " must not contain '..' (write the path it means)");
        c.working_dir = *wd;
    }
    check_ports(ck, v, path, c);

    validate_env_from(ck, v, path, c);
    check_env(ck, v, path, c);
    if (const Json* r = member(v, "resources")) c.resources = validate_resources(ck, *r, join(path, "resources"));
    check_mounts(ck, v, path, volume_names, c);
    check_restart_policy(ck, v, path, init, c);
    if (init && !c.is_sidecar()) {
        // Kubernetes: an init container runs to completion before the next one starts, so
        // probes and hooks have nothing to act on; a sidecar (restartPolicy: Always) may set
        // all of them.
        for (const char* key : {"lifecycle", "livenessProbe", "readinessProbe", "startupProbe"})
            if (member(v, key) != nullptr)
                ck.error(join(path, key),
                         "may not be set on an init container unless it is a sidecar "
                         "(restartPolicy: Always)");
    }
    validate_probes_and_hooks(ck, v, path, pod_grace_seconds, c);
    validate_container_security(ck, v, path, security, c);
    return c;
}

}  // namespace podrun::spec::detail
