// resources.limits / resources.requests: cpu and memory quantities, requests <= limits.
#include <optional>

#include "names.hpp"
#include "validate.hpp"

namespace podrun::spec::detail {
namespace {

struct Amount {
    Quantity q;
    std::string text;
};

struct List {
    std::optional<Amount> cpu;
    std::optional<Amount> memory;
};

List resource_list(Checker& ck, const Json& obj, std::string_view key, const std::string& path) {
    List out;
    const Json* v = member(obj, key);
    if (v == nullptr) return out;
    const std::string p = join(path, key);
    if (!v->is_object()) {
        ck.type_error(p, "an object (resource name -> quantity)", *v);
        return out;
    }
    static constexpr std::string_view known[] = {"cpu", "memory", "ephemeral-storage"};
    for (const auto& [name, value] : v->items()) {
        const std::string rp = join(p, name);
        if (name == "cpu" || name == "memory") {
            Amount a;
            auto q = ck.quantity(value, rp, &a.text);
            if (!q) continue;
            if (q->milli_value < 0) {
                ck.error(rp, quote(a.text) + " must be greater than or equal to 0");
                continue;
            }
            a.q = *q;
            (name == "cpu" ? out.cpu : out.memory) = a;
        } else if (name == "pids") {
            // Pod-level pids (newer Kubernetes): podrun's pod pids.max comes from elsewhere.
            ck.error(rp, unsupported_resource(name) +
                             "; podrun sets the pod's pids.max from the podrun.io/pids-max annotation or --pids-max");
        } else if (name == "ephemeral-storage" || name.rfind("hugepages-", 0) == 0 ||
                   name.find('/') != std::string::npos) {
            // Real Kubernetes resources (standard or extended, e.g. nvidia.com/gpu).
            ck.error(rp, unsupported_resource(name));
        } else {
            const std::string near = closest(name, known);
            ck.error(rp,
                     "unknown resource \"" + name + "\"" +
                         (near.empty() ? std::string("; use cpu or memory") : "; did you mean " + quote(near) + "?"));
        }
    }
    return out;
}

void check_request(Checker& ck, const std::string& path, std::string_view name, const std::optional<Amount>& request,
                   const std::optional<Amount>& limit) {
    if (request && limit && request->q.milli_value > limit->q.milli_value)
        ck.error(join(join(path, "requests"), name), quote(request->text) + " must be less than or equal to the " +
                                                         std::string(name) + " limit " + quote(limit->text));
}

}  // namespace

Resources validate_resources(Checker& ck, const Json& v, const std::string& path) {
    Resources r;
    if (ck.object(&v, path, Kind::ResourceRequirements) == nullptr) return r;
    const List limits = resource_list(ck, v, "limits", path);
    List requests = resource_list(ck, v, "requests", path);
    check_request(ck, path, "cpu", requests.cpu, limits.cpu);
    check_request(ck, path, "memory", requests.memory, limits.memory);
    // Kubernetes defaults an absent request to the limit.
    if (!requests.cpu) requests.cpu = limits.cpu;
    if (!requests.memory) requests.memory = limits.memory;
    if (limits.cpu) r.cpu_limit_millis = limits.cpu->q.milli_value;
    if (requests.cpu) r.cpu_request_millis = requests.cpu->q.milli_value;
    if (limits.memory) r.memory_limit_bytes = limits.memory->q.value;
    if (requests.memory) r.memory_request_bytes = requests.memory->q.value;
    return r;
}

}  // namespace podrun::spec::detail
