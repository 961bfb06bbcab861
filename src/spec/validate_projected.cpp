// downwardAPI and projected volumes, and resourceFieldRef (of env and of downwardAPI files),
// with the API server's rules (validateDownwardAPIVolumeFile, validateProjectedVolumeSource,
// validateContainerResourceFieldSelector). Values are filled when the pod starts
// (spec/downward.hpp).
#include <string_view>

#include "names.hpp"
#include "validate.hpp"

namespace podrun::spec::detail {
namespace {

bool is_cpu(std::string_view resource) {
    return resource == "limits.cpu" || resource == "requests.cpu";
}

// The divisor as Kubernetes compares it: by its canonical text, which keeps the format it
// was written in. "1000" (decimal) is "1k" and valid; "1024" stays "1024" and is not; "1Ki"
// is. cpu takes 1m and 1; memory and ephemeral-storage 1, 1k..1E, 1Ki..1Ei.
bool divisor_allowed(std::string_view text, const Quantity& q, bool cpu) {
    const bool binary = text.size() >= 2 && text.back() == 'i';
    bool exponent = false;
    for (size_t i = 1; i + 1 < text.size(); ++i)
        if ((text[i] == 'e' || text[i] == 'E') &&
            (text[i + 1] == '-' || text[i + 1] == '+' || (text[i + 1] >= '0' && text[i + 1] <= '9')))
            exponent = true;
    if (exponent) return q.milli_value == 1000;  // "1e0" prints as "1"; any other stays "1eN"
    if (cpu) return !binary && (q.milli_value == 1 || q.milli_value == 1000);
    if (q.milli_value % 1000 != 0) return false;
    int64_t want = 1;
    for (int i = 0; i <= 6; ++i) {
        if (q.value == want) return true;
        if (i < 6) want *= binary ? 1024 : 1000;
    }
    return false;
}

// A downwardAPI file's fieldRef: what the kubelet can write into a file.
void file_field_ref(Checker& ck, const Json& o, const std::string& path, DownwardFile& f) {
    const Json* ref = ck.object(member(o, "fieldRef"), path, Kind::ObjectFieldSelector);
    if (ref == nullptr) return;
    if (auto api = ck.string(*ref, "apiVersion", path); api && *api != "v1")
        ck.error(join(path, "apiVersion"), quote(*api) + " is not supported; use \"v1\" or omit it");
    auto fp = ck.string(*ref, "fieldPath", path);
    const std::string p = join(path, "fieldPath");
    if (!fp) {
        if (member(*ref, "fieldPath") == nullptr) ck.error(p, "required");
        return;
    }
    for (std::string_view ok :
         {"metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels", "metadata.annotations"})
        if (*fp == ok) {
            f.field_path = *fp;
            return;
        }
    for (std::string_view prefix : {"metadata.labels", "metadata.annotations"}) {
        if (fp->rfind(prefix, 0) != 0) continue;
        const std::string rest = fp->substr(prefix.size());
        if (rest.size() >= 5 && rest.substr(0, 2) == "['" && rest.substr(rest.size() - 2) == "']") {
            const std::string key = rest.substr(2, rest.size() - 4);
            if (std::string why = check_qualified_name(key); !why.empty())
                ck.error(p, quote(*fp) + ": key " + quote(key) + " " + why);
            f.field_path = *fp;
            return;
        }
    }
    ck.error(p, quote(*fp) +
                    " is not a field a downwardAPI file can hold; use metadata.name, metadata.namespace, "
                    "metadata.uid, metadata.labels, metadata.annotations or metadata.labels['<key>'] (pod IPs, "
                    "the node and the service account are for env[].valueFrom.fieldRef)");
}

// items[] of a downwardAPI volume or projection; `seen` collects paths across sources.
DownwardSource downward_items(Checker& ck, const Json& src, const std::string& path, std::set<std::string>& seen) {
    DownwardSource out;
    const Json* items = ck.array(src, "items", path);
    if (items == nullptr) return out;
    for (size_t i = 0; i < items->size(); ++i) {
        const std::string p = index(join(path, "items"), i);
        const Json* o = ck.object(&(*items)[i], p, Kind::DownwardApiFile);
        if (o == nullptr) continue;
        DownwardFile f;
        validate_local_path(ck, *o, p, seen, &f.path);
        const bool field = member(*o, "fieldRef") != nullptr;
        const bool resource = member(*o, "resourceFieldRef") != nullptr;
        if (field && resource)
            ck.error(p, "fieldRef and resourceFieldRef can not be specified simultaneously; give one");
        else if (!field && !resource)
            ck.error(p, "one of fieldRef and resourceFieldRef is required");
        else if (field)
            file_field_ref(ck, *o, join(p, "fieldRef"), f);
        else
            f.resource =
                validate_resource_field_ref(ck, *member(*o, "resourceFieldRef"), join(p, "resourceFieldRef"), true);
        f.mode = validate_mode(ck, *o, "mode", p);
        out.items.push_back(std::move(f));
    }
    return out;
}

constexpr std::string_view kTokenNote =
    "serviceAccountToken projections get an empty token file (there is no API server to issue "
    "one on a single machine; a program that needs a token cannot use it here)";

TokenSource token_source(Checker& ck, const Json& v, const std::string& path) {
    TokenSource t;
    if (ck.object(&v, path, Kind::ServiceAccountTokenProjection) == nullptr) return t;
    ck.string(v, "audience", path);
    // The API server defaults expirationSeconds to 3600 and bounds it.
    if (auto exp = ck.integer(v, "expirationSeconds", path)) {
        if (*exp < 600)
            ck.error(join(path, "expirationSeconds"),
                     std::to_string(*exp) + ": may not specify a duration less than 10 minutes (600)");
        else if (*exp > (int64_t{1} << 32))
            ck.error(join(path, "expirationSeconds"),
                     std::to_string(*exp) + ": may not specify a duration larger than 2^32 seconds");
    }
    std::set<std::string> own;  // the token's path is not counted with the items' paths
    validate_local_path(ck, v, path, own, &t.path);
    ck.note(kTokenNote, path);
    return t;
}

}  // namespace

std::optional<ResourceFieldRef> validate_resource_field_ref(Checker& ck, const Json& v, const std::string& path,
                                                            bool file) {
    const Json* ref = ck.object(&v, path, Kind::ResourceFieldSelector);
    if (ref == nullptr) return std::nullopt;
    ResourceFieldRef r;
    r.container_name = ck.string(*ref, "containerName", path).value_or("");
    if (file && r.container_name.empty())
        ck.error(join(path, "containerName"), "required (a downwardAPI file names the container it reads)");
    auto res = ck.string(*ref, "resource", path);
    const std::string rp = join(path, "resource");
    if (!res || res->empty()) {
        if (!res && member(*ref, "resource") != nullptr) return std::nullopt;  // its type error
        ck.error(rp, "required (e.g. limits.cpu, requests.memory)");
        return std::nullopt;
    }
    static constexpr std::string_view known[] = {"limits.cpu",   "limits.memory",   "limits.ephemeral-storage",
                                                 "requests.cpu", "requests.memory", "requests.ephemeral-storage"};
    bool found = false;
    for (auto k : known) found = found || *res == k;
    if (!found) {
        if (res->rfind("limits.hugepages-", 0) == 0 || res->rfind("requests.hugepages-", 0) == 0) {
            ck.error(rp, quote(*res) + ": " + unsupported_resource(res->substr(res->find('.') + 1)));
        } else {
            const std::string near = closest(*res, known);
            ck.error(rp, quote(*res) +
                             " is not a container resource; use one of limits.cpu, limits.memory, "
                             "limits.ephemeral-storage, requests.cpu, requests.memory, "
                             "requests.ephemeral-storage" +
                             (near.empty() ? "" : " (did you mean " + quote(near) + "?)"));
        }
        return std::nullopt;
    }
    r.resource = *res;
    if (const Json* d = member(*ref, "divisor")) {
        std::string text;
        const std::string dp = join(path, "divisor");
        auto q = ck.quantity(*d, dp, &text);
        if (!q) return std::nullopt;
        if (q->milli_value == 0 && q->value == 0) {
            // Go's zero Quantity is "not set": the divisor is 1.
        } else if (!divisor_allowed(text, *q, is_cpu(r.resource))) {
            ck.error(dp, quote(text) + (is_cpu(r.resource)
                                            ? ": only divisor's values 1m and 1 are supported with the cpu resource"
                                            : ": only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, "
                                              "1Ti, 1Pi, 1Ei are supported with the " +
                                                  r.resource.substr(r.resource.find('.') + 1) + " resource"));
            return std::nullopt;
        } else {
            r.divisor_millis = q->milli_value;
        }
    }
    return r;
}

ProjectedVolume validate_downward_volume(Checker& ck, const Json& src, const std::string& path) {
    ProjectedVolume vol;
    vol.downward_api = true;
    if (ck.object(&src, path, Kind::DownwardApiVolume) == nullptr) return vol;
    if (auto m = validate_mode(ck, src, "defaultMode", path)) vol.default_mode = *m;
    std::set<std::string> seen;
    vol.sources.push_back(Projection{downward_items(ck, src, path, seen), {}});
    return vol;
}

ProjectedVolume validate_projected_volume(Checker& ck, const Json& src, const std::string& path) {
    ProjectedVolume vol;
    if (ck.object(&src, path, Kind::ProjectedVolume) == nullptr) return vol;
    if (auto m = validate_mode(ck, src, "defaultMode", path)) vol.default_mode = *m;
    const Json* sources = ck.array(src, "sources", path);
    if (sources == nullptr) return vol;
    std::set<std::string> seen;
    for (size_t i = 0; i < sources->size(); ++i) {
        const std::string p = index(join(path, "sources"), i);
        const Json* s = ck.object(&(*sources)[i], p, Kind::VolumeProjection);
        if (s == nullptr) continue;
        size_t kinds = 0;
        for (const auto& item : s->items())
            if (!item.value().is_null()) ++kinds;
        if (kinds > 1) {
            ck.error(p,
                     "may not specify more than 1 volume type per source (one of configMap, secret, "
                     "downwardAPI, serviceAccountToken)");
            continue;
        }
        if (const Json* cm = member(*s, "configMap")) {
            ObjectVolume o = validate_object_volume(ck, *cm, join(p, "configMap"), ObjectKind::ConfigMap,
                                                    Kind::ConfigMapProjection, seen);
            o.default_mode = vol.default_mode;
            vol.sources.push_back(Projection{std::move(o), {}});
        } else if (const Json* sec = member(*s, "secret")) {
            ObjectVolume o =
                validate_object_volume(ck, *sec, join(p, "secret"), ObjectKind::Secret, Kind::SecretProjection, seen);
            o.default_mode = vol.default_mode;
            vol.sources.push_back(Projection{std::move(o), {}});
        } else if (const Json* d = member(*s, "downwardAPI")) {
            const std::string dp = join(p, "downwardAPI");
            if (ck.object(d, dp, Kind::DownwardApiProjection) != nullptr)
                vol.sources.push_back(Projection{downward_items(ck, *d, dp, seen), {}});
        } else if (const Json* t = member(*s, "serviceAccountToken")) {
            vol.sources.push_back(Projection{token_source(ck, *t, join(p, "serviceAccountToken")), {}});
        }
    }
    return vol;
}

void validate_resource_container_names(Checker& ck, const Pod& pod) {
    std::set<std::string> names;
    for (const auto* list : {&pod.init_containers, &pod.containers})
        for (const auto& c : *list) names.insert(c.name);
    auto check = [&](const std::string& name, const std::string& where) {
        if (!name.empty() && !names.count(name))
            ck.error(where, quote(name) + " is not the name of a container of this pod");
    };
    for (bool init : {true, false}) {
        const auto& list = init ? pod.init_containers : pod.containers;
        for (size_t i = 0; i < list.size(); ++i)
            for (size_t j = 0; j < list[i].env.size(); ++j)
                if (const auto& r = list[i].env[j].resource_ref)
                    check(r->container_name,
                          index(join(index(init ? "spec.initContainers" : "spec.containers", i), "env"), j) +
                              ".valueFrom.resourceFieldRef.containerName");
    }
    for (size_t i = 0; i < pod.volumes.size(); ++i) {
        const auto* pv = std::get_if<ProjectedVolume>(&pod.volumes[i].source);
        if (pv == nullptr) continue;
        for (size_t s = 0; s < pv->sources.size(); ++s) {
            const auto* d = std::get_if<DownwardSource>(&pv->sources[s].source);
            if (d == nullptr) continue;
            const std::string base = index("spec.volumes", i) + (pv->downward_api ? ".downwardAPI" : ".projected") +
                                     (pv->downward_api ? "" : index(".sources", s) + ".downwardAPI");
            for (size_t k = 0; k < d->items.size(); ++k)
                if (d->items[k].resource)
                    check(d->items[k].resource->container_name,
                          index(base + ".items", k) + ".resourceFieldRef.containerName");
        }
    }
}

}  // namespace podrun::spec::detail
