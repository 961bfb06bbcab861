// The Pod: apiVersion/kind, metadata, spec (volumes, containers, pod-wide settings).
#include <algorithm>
#include <map>

#include "names.hpp"
#include "validate.hpp"

namespace podrun::spec::detail {
namespace {

void check_metadata(Checker& ck, const Json& doc, Pod& pod) {
    validate_metadata(ck, doc, pod.metadata, true);
    // podrun's one annotation: the pod's pids.max (a limit Kubernetes sets per node).
    if (auto it = pod.metadata.annotations.find("podrun.io/pids-max"); it != pod.metadata.annotations.end()) {
        const std::string& v = it->second;
        bool digits = !v.empty() && v.size() <= 9 &&
                      std::all_of(v.begin(), v.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
        if (!digits || std::stoll(v) < 1) {
            ck.error(key_path("metadata.annotations", it->first),
                     quote(v) + " is not a positive integer (the pod's pids.max, e.g. \"100\")");
        } else {
            pod.pids_max = std::stoll(v);
        }
    }
}

Volume check_volume(Checker& ck, const Json& v, const std::string& p) {
    Volume vol;
    if (ck.object(&v, p, Kind::Volume) == nullptr) return vol;
    if (auto name = ck.string(v, "name", p)) {
        if (std::string why = check_dns1123_label(*name); !why.empty())
            ck.error(join(p, "name"), quote(*name) + " " + why);
        vol.name = *name;
    } else if (member(v, "name") == nullptr) {
        ck.error(join(p, "name"), "required");
    }
    size_t sources = 0;
    for (const auto& item : v.items())
        if (is_volume_source(item.key()) && !item.value().is_null()) ++sources;
    if (sources == 0) {
        ck.error(p,
                 "must give a volume source: emptyDir, hostPath, configMap, secret, downwardAPI, projected or "
                 "persistentVolumeClaim");
        return vol;
    }
    if (sources > 1) {
        ck.error(p, "may give only one volume source");
        return vol;
    }
    if (const Json* ed = ck.object(member(v, "emptyDir"), join(p, "emptyDir"), Kind::EmptyDir)) {
        const std::string ep = join(p, "emptyDir");
        EmptyDirVolume e;
        if (auto medium = ck.string(*ed, "medium", ep)) {
            if (*medium == "Memory")
                e.memory = true;
            else if (!medium->empty())
                ck.error(join(ep, "medium"), quote(*medium) +
                                                 " is not supported; use \"\" (disk) "
                                                 "or \"Memory\" (tmpfs)");
        }
        if (const Json* sl = member(*ed, "sizeLimit")) {
            std::string text;
            if (auto q = ck.quantity(*sl, join(ep, "sizeLimit"), &text)) {
                if (q->value < 0)
                    ck.error(join(ep, "sizeLimit"), quote(text) + " must be greater than or equal to 0");
                else
                    e.size_limit_bytes = q->value;
            }
        }
        vol.source = e;
    } else if (const Json* hp = ck.object(member(v, "hostPath"), join(p, "hostPath"), Kind::HostPath)) {
        const std::string hpp = join(p, "hostPath");
        HostPathVolume h;
        if (auto path = ck.string(*hp, "path", hpp)) {
            if (path->empty() || path->front() != '/')
                ck.error(join(hpp, "path"), quote(*path) + " must be an absolute path");
            h.path = *path;
        } else if (member(*hp, "path") == nullptr) {
            ck.error(join(hpp, "path"), "required");
        }
        if (auto type = ck.string(*hp, "type", hpp)) {
            static const std::map<std::string, HostPathType> types = {
                {"", HostPathType::Unset},
                {"DirectoryOrCreate", HostPathType::DirectoryOrCreate},
                {"Directory", HostPathType::Directory},
                {"FileOrCreate", HostPathType::FileOrCreate},
                {"File", HostPathType::File},
                {"Socket", HostPathType::Socket},
                {"CharDevice", HostPathType::CharDevice},
                {"BlockDevice", HostPathType::BlockDevice}};
            auto it = types.find(*type);
            if (it == types.end())
                ck.error(join(hpp, "type"), quote(*type) +
                                                " must be one of \"\", DirectoryOrCreate, "
                                                "Directory, FileOrCreate, File, Socket, CharDevice, BlockDevice");
            else
                h.type = it->second;
        }
        vol.source = h;
    } else if (const Json* cm = member(v, "configMap")) {
        std::set<std::string> paths;
        vol.source =
            validate_object_volume(ck, *cm, join(p, "configMap"), ObjectKind::ConfigMap, Kind::ConfigMapVolume, paths);
    } else if (const Json* sec = member(v, "secret")) {
        std::set<std::string> paths;
        vol.source = validate_object_volume(ck, *sec, join(p, "secret"), ObjectKind::Secret, Kind::SecretVolume, paths);
    } else if (const Json* d = member(v, "downwardAPI")) {
        vol.source = validate_downward_volume(ck, *d, join(p, "downwardAPI"));
    } else if (const Json* pr = member(v, "projected")) {
        vol.source = validate_projected_volume(ck, *pr, join(p, "projected"));
    } else if (const Json* pvc =
                   ck.object(member(v, "persistentVolumeClaim"), join(p, "persistentVolumeClaim"), Kind::PvcVolume)) {
        const std::string cp = join(p, "persistentVolumeClaim");
        ClaimVolume c;
        if (auto name = ck.string(*pvc, "claimName", cp); name && !name->empty()) {
            if (std::string why = check_dns1123_subdomain(*name); !why.empty())
                ck.error(join(cp, "claimName"), quote(*name) + " " + why);
            c.claim = *name;
        } else if (!name) {
            if (member(*pvc, "claimName") == nullptr) ck.error(join(cp, "claimName"), "required");
        } else {
            ck.error(join(cp, "claimName"), "required");
        }
        c.read_only = ck.boolean(*pvc, "readOnly", cp).value_or(false);
        vol.source = c;
    }
    return vol;
}

void check_volumes(Checker& ck, const Json& spec, Pod& pod, std::set<std::string>& names) {
    const Json* arr = ck.array(spec, "volumes", "spec");
    if (arr == nullptr) return;
    for (size_t i = 0; i < arr->size(); ++i) {
        const std::string p = index("spec.volumes", i);
        Volume v = check_volume(ck, (*arr)[i], p);
        if (!v.name.empty() && !names.insert(v.name).second)
            ck.error(join(p, "name"), quote(v.name) + " is already the name of another volume");
        // fsGroup makes a new, empty emptyDir the group's; a claim keeps what it holds and its
        // owners (podrun does not chown a claim's files).
        if (std::holds_alternative<ClaimVolume>(v.source) && pod.security.fs_group)
            ck.note(
                "spec.securityContext.fsGroup is not applied to persistentVolumeClaim volumes (their files "
                "keep their owners)",
                join(p, "persistentVolumeClaim"));
        pod.volumes.push_back(std::move(v));
    }
}

void check_containers(Checker& ck, const Json& spec, Pod& pod, const std::set<std::string>& volumes,
                      std::optional<int64_t> grace_seconds, const PodSecurityDefaults& security) {
    std::map<std::string, std::string> names;  // container name -> path, across both lists
    for (bool init : {true, false}) {
        const char* key = init ? "initContainers" : "containers";
        const std::string p = join("spec", key);
        const Json* arr = ck.array(spec, key, "spec");
        if (!init && (arr == nullptr || arr->empty())) {
            if (member(spec, key) == nullptr || arr != nullptr) ck.error(p, "required: at least one container");
            continue;
        }
        if (arr == nullptr) continue;
        auto& out = init ? pod.init_containers : pod.containers;
        for (size_t i = 0; i < arr->size(); ++i) {
            const std::string cp = index(p, i);
            Container c = validate_container(ck, (*arr)[i], cp, init, volumes, grace_seconds, security);
            validate_resize_policy(ck, (*arr)[i], cp, init, c.is_sidecar(), pod.restart_policy);
            if (!c.name.empty()) {
                if (auto [it, fresh] = names.emplace(c.name, cp); !fresh)
                    ck.error(join(cp, "name"), quote(c.name) + " is already used by " + it->second);
            }
            out.push_back(std::move(c));
        }
    }
}

// hostPorts are one namespace for the whole pod (and the host): no two may collide.
void check_host_ports(Checker& ck, const Pod& pod) {
    std::map<std::string, std::string> seen;
    for (bool init : {true, false}) {
        const auto& list = init ? pod.init_containers : pod.containers;
        for (size_t i = 0; i < list.size(); ++i) {
            for (size_t j = 0; j < list[i].ports.size(); ++j) {
                const ContainerPort& port = list[i].ports[j];
                const std::string p =
                    index(join(index(init ? "spec.initContainers" : "spec.containers", i), "ports"), j);
                if (pod.host_network && port.host_port != 0 && port.host_port != port.container_port)
                    ck.error(join(p, "hostPort"), "must equal containerPort with hostNetwork");
                if (port.host_port == 0) continue;
                const std::string key = std::to_string(port.host_port) + "/" + port.protocol + "/" + port.host_ip;
                if (auto [it, fresh] = seen.emplace(key, p); !fresh)
                    ck.error(join(p, "hostPort"), std::to_string(port.host_port) + "/" + port.protocol +
                                                      " is already used by " + it->second);
            }
        }
    }
}

// spec.os.name: podrun runs Linux containers. Kubernetes lets lifecycle.stopSignal be set
// only once the pod says which OS it is for (the signals differ).
void check_os(Checker& ck, const Json& spec, Pod& pod) {
    if (const Json* os = ck.object(member(spec, "os"), "spec.os", Kind::PodOs)) {
        auto name = ck.string(*os, "name", "spec.os");
        if (!name && member(*os, "name") == nullptr)
            ck.error("spec.os.name", "required (linux)");
        else if (name && *name == "linux")
            pod.os_name = *name;
        else if (name && *name == "windows")
            ck.error("spec.os.name",
                     "\"windows\": podrun runs Linux containers on this Linux machine; a Windows pod needs a "
                     "Windows node");
        else if (name)
            ck.error("spec.os.name", quote(*name) + " must be linux (or windows, on a Windows node)");
    }
    if (!pod.os_name.empty()) return;
    for (bool init : {true, false}) {
        const auto& list = init ? pod.init_containers : pod.containers;
        for (size_t i = 0; i < list.size(); ++i) {
            if (list[i].lifecycle.stop_signal.empty()) continue;
            ck.error(join(index(init ? "spec.initContainers" : "spec.containers", i), "lifecycle.stopSignal"),
                     "may not be set for containers with empty spec.os.name (Kubernetes' rule); add spec.os.name: "
                     "linux");
        }
    }
}

void check_spec(Checker& ck, const Json& doc, Pod& pod) {
    const Json* spec = ck.object(member(doc, "spec"), "spec", Kind::PodSpec);
    if (spec == nullptr) {
        if (member(doc, "spec") == nullptr) ck.error("spec.containers", "required: at least one container");
        return;
    }
    // Before the containers, whose lifecycle sleep hooks must fit into it. Unset when invalid
    // (that has its own error), so no sleep is measured against it.
    std::optional<int64_t> grace = pod.termination_grace_period_seconds;
    if (member(*spec, "terminationGracePeriodSeconds") != nullptr) {
        grace = ck.integer(*spec, "terminationGracePeriodSeconds", "spec");
        if (grace && *grace < 0) {
            ck.error("spec.terminationGracePeriodSeconds", std::to_string(*grace) + " must be 0 or more");
            grace.reset();
        } else if (grace && *grace > kMaxGraceSeconds) {
            ck.error("spec.terminationGracePeriodSeconds",
                     std::to_string(*grace) + " must be at most " + std::to_string(kMaxGraceSeconds));
            grace.reset();
        } else if (grace) {
            pod.termination_grace_period_seconds = *grace;
        }
    }
    // Before the securityContext, whose sysctls they restrict.
    pod.host_network = ck.boolean(*spec, "hostNetwork", "spec").value_or(false);
    pod.host_ipc = ck.boolean(*spec, "hostIPC", "spec").value_or(false);
    pod.host_pid = ck.boolean(*spec, "hostPID", "spec").value_or(false);
    const PodSecurityDefaults security = validate_pod_security(ck, *spec, pod.host_network, pod.host_ipc, pod);
    // Before the containers, whose resizePolicy depends on it.
    if (auto rp = ck.string(*spec, "restartPolicy", "spec")) {
        if (*rp == "Always")
            pod.restart_policy = RestartPolicy::Always;
        else if (*rp == "OnFailure")
            pod.restart_policy = RestartPolicy::OnFailure;
        else if (*rp == "Never")
            pod.restart_policy = RestartPolicy::Never;
        else
            ck.error("spec.restartPolicy", quote(*rp) + " must be Always, OnFailure or Never");
    }
    std::set<std::string> volumes;
    check_volumes(ck, *spec, pod, volumes);
    check_containers(ck, *spec, pod, volumes, grace, security);
    validate_resource_container_names(ck, pod);
    validate_security_annotations(ck, pod);
    if (auto ads = ck.integer(*spec, "activeDeadlineSeconds", "spec")) {
        if (*ads < 1 || *ads > INT32_MAX)
            ck.error("spec.activeDeadlineSeconds", std::to_string(*ads) + " must be between 1 and 2147483647");
        else
            pod.active_deadline_seconds = *ads;
    }
    check_os(ck, *spec, pod);
    if (auto h = ck.string(*spec, "hostname", "spec"); h && !h->empty()) {
        if (std::string why = check_dns1123_label(*h); !why.empty()) ck.error("spec.hostname", quote(*h) + " " + why);
        pod.hostname = *h;
    }
    // true (the default) is what podrun does: containers use the host's users.
    if (ck.boolean(*spec, "hostUsers", "spec") == false)
        ck.error("spec.hostUsers",
                 "false asks for a user namespace, which podrun does not support yet; remove it "
                 "(podrun's containers use the host's uids, as with hostUsers: true)");
    const auto share = ck.boolean(*spec, "shareProcessNamespace", "spec");
    if (pod.host_pid && share.value_or(false))
        ck.error("spec.shareProcessNamespace", "may not be true together with hostPID");
    // podrun's default is true (see pod.hpp); with hostPID there is no pod pid namespace.
    pod.share_process_namespace = share.value_or(!pod.host_pid);
    if (const Json* r = member(*spec, "resources")) pod.pod_resources = validate_resources(ck, *r, "spec.resources");
    check_host_ports(ck, pod);
    validate_dns(ck, *spec, pod);
    validate_network_annotation(ck, pod);
    // nodeSelector means nothing on one node, except the one label every node has: a pod for
    // another operating system cannot run here.
    for (const auto& [k, val] : ck.string_map(*spec, "nodeSelector", "spec"))
        if ((k == "kubernetes.io/os" || k == "beta.kubernetes.io/os") && val != "linux")
            ck.error(key_path("spec.nodeSelector", k), quote(val) +
                                                           ": this pod asks for a node of another operating system; "
                                                           "podrun runs Linux containers on this Linux machine");
    // affinity is ignored, but a cluster would refuse a malformed one: its shape is checked.
    if (const Json* aff = member(*spec, "affinity"); aff && aff->is_object()) {
        if (const Json* na = member(*aff, "nodeAffinity"); na && na->is_object()) {
            const std::string p = "spec.affinity.nodeAffinity";
            if (const Json* req = member(*na, "requiredDuringSchedulingIgnoredDuringExecution");
                req && !req->is_object())
                ck.type_error(join(p, "requiredDuringSchedulingIgnoredDuringExecution"),
                              "an object (NodeSelector: nodeSelectorTerms)", *req);
            if (const Json* pref = member(*na, "preferredDuringSchedulingIgnoredDuringExecution");
                pref && !pref->is_array())
                ck.type_error(join(p, "preferredDuringSchedulingIgnoredDuringExecution"),
                              "an array (PreferredSchedulingTerm: weight, preference)", *pref);
        }
    }
    // Ignored fields whose values env fieldRefs can still read.
    pod.node_name = ck.string(*spec, "nodeName", "spec").value_or("");
    auto sa = ck.string(*spec, "serviceAccountName", "spec");
    auto sa_old = ck.string(*spec, "serviceAccount", "spec");  // deprecated alias
    if (sa && !sa->empty())
        pod.service_account_name = *sa;
    else if (sa_old && !sa_old->empty())
        pod.service_account_name = *sa_old;
}

}  // namespace

void validate_metadata(Checker& ck, const Json& doc, Metadata& m, bool pod) {
    const Json* md = ck.object(member(doc, "metadata"), "metadata", Kind::ObjectMeta);
    if (md == nullptr) {
        if (member(doc, "metadata") == nullptr) ck.error("metadata.name", "required");
        return;
    }
    if (auto name = ck.string(*md, "name", "metadata")) {
        if (std::string why = check_dns1123_subdomain(*name); !why.empty())
            ck.error("metadata.name", quote(*name) + " " + why);
        else if (std::string label = check_dns1123_label(*name); pod && !label.empty())
            ck.error("metadata.name", quote(*name) + " " + label +
                                          "; Kubernetes would accept "
                                          "this DNS-1123 subdomain, but podrun names cgroups and directories after "
                                          "the pod and needs a DNS-1123 label");
        m.name = *name;
    } else if (member(*md, "name") == nullptr) {
        ck.error("metadata.name", "required");
    }
    if (auto ns = ck.string(*md, "namespace", "metadata"); ns && !ns->empty()) {
        if (std::string why = check_dns1123_label(*ns); !why.empty())
            ck.error("metadata.namespace", quote(*ns) + " " + why);
        m.namespace_ = *ns;
    }
    m.labels = ck.string_map(*md, "labels", "metadata");
    for (const auto& [k, v] : m.labels) {
        const std::string p = key_path("metadata.labels", k);
        if (std::string why = check_qualified_name(k); !why.empty()) ck.error(p, "key " + quote(k) + " " + why);
        if (std::string why = check_label_value(v); !why.empty()) ck.error(p, quote(v) + ": " + why);
    }
    m.annotations = ck.string_map(*md, "annotations", "metadata");
    size_t total = 0;
    for (const auto& [k, v] : m.annotations) {
        total += k.size() + v.size();
        std::string lower = k;
        for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (std::string why = check_qualified_name(lower); !why.empty())
            ck.error(key_path("metadata.annotations", k), "key " + quote(k) + " " + why);
    }
    if (total > 256 * 1024) ck.error("metadata.annotations", "must have at most 262144 bytes in total");
}

void validate_pod(Checker& ck, const Json& doc, Pod& pod) {
    if (!doc.is_object()) {
        ck.type_error("", "a Pod object (apiVersion, kind, metadata, spec)", doc);
        return;
    }
    ck.object(&doc, "", Kind::Pod);
    auto api = ck.string(doc, "apiVersion", "");
    if (!api && member(doc, "apiVersion") == nullptr)
        ck.error("apiVersion", "required; use \"v1\"");
    else if (api && *api != "v1")
        ck.error("apiVersion", quote(*api) + " is not supported; use \"v1\"");
    auto kind = ck.string(doc, "kind", "");
    if (!kind && member(doc, "kind") == nullptr)
        ck.error("kind", "required; use \"Pod\"");
    else if (kind && *kind != "Pod")
        ck.error("kind", quote(*kind) + " is not supported; podrun runs a \"Pod\"");
    check_metadata(ck, doc, pod);
    check_spec(ck, doc, pod);
}

}  // namespace podrun::spec::detail
