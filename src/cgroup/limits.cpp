// Resource mapping (see limits.hpp).
#include "podrun/cgroup/limits.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace podrun::cgroup {

bool limited(std::optional<int64_t> v) {
    return v && *v > 0;
}

uint64_t cpu_shares(int64_t request_millis) {
    // pkg/kubelet/cm: MinShares = 2, MaxShares = 262144, SharesPerCPU = 1024. Clamped before
    // multiplying: a quantity may be as large as int64 allows.
    if (request_millis <= 0) return 2;
    if (request_millis >= 262144 * 1000 / 1024) return 262144;
    int64_t s = request_millis * 1024 / 1000;
    return static_cast<uint64_t>(std::clamp<int64_t>(s, 2, 262144));
}

uint64_t shares_to_weight(uint64_t shares, WeightFormula f) {
    if (shares == 0) return 0;
    if (f == WeightFormula::Linear) {
        // The conversion runc and crun used first: a straight line from [2, 262144] onto
        // [1, 10000].
        return 1 + ((shares - 2) * 9999) / 262142;
    }
    // The quadratic mapping in log space (crun 1.23, runc 1.3.2) puts 1024 shares at the
    // kernel's default weight 100, which the linear one (39) did not.
    if (shares <= 2) return 1;
    if (shares >= 262144) return 10000;
    double l = std::log2(static_cast<double>(shares));
    double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
    return static_cast<uint64_t>(std::ceil(std::pow(10.0, exponent)));
}

int64_t cpu_quota_us(int64_t limit_millis) {
    if (limit_millis >= kMaxQuotaUs / (kCpuPeriodUs / 1000)) return kMaxQuotaUs;
    return std::max<int64_t>(limit_millis * kCpuPeriodUs / 1000, kMinQuotaUs);
}

namespace {

std::string formula_name(WeightFormula f) {
    return f == WeightFormula::Quadratic ? "quadratic" : "linear";
}

void cpu_writes(std::optional<int64_t> limit, std::optional<int64_t> request, WeightFormula f, const std::string& who,
                std::vector<CgroupWrite>& out) {
    if (limited(limit)) {
        int64_t q = cpu_quota_us(*limit);
        out.push_back({"cpu.max", std::to_string(q) + " " + std::to_string(kCpuPeriodUs),
                       who + "limits.cpu " + std::to_string(*limit) + "m -> quota " + std::to_string(*limit) +
                           "*100000/1000 (at least 1000, at most the kernel's 2^44-1) per 100000 us period"});
    } else if (limit) {
        // The kubelet's milliCPUToQuota(0) is 0, which the runtimes write as "max".
        out.push_back(
            {"cpu.max", "max " + std::to_string(kCpuPeriodUs), who + "limits.cpu 0 -> unlimited (as the kubelet)"});
    } else {
        out.push_back({"cpu.max", "max " + std::to_string(kCpuPeriodUs), who + "no cpu limit -> unlimited"});
    }
    uint64_t shares = cpu_shares(request.value_or(0));
    uint64_t w = shares_to_weight(shares, f);
    out.push_back({"cpu.weight", std::to_string(w),
                   who + (request ? "requests.cpu " + std::to_string(*request) + "m" : std::string("no cpu request")) +
                       " -> shares " + std::to_string(shares) + " -> weight (" + formula_name(f) + ")"});
}

void memory_writes(std::optional<int64_t> limit, const std::string& who, std::vector<CgroupWrite>& out,
                   bool container) {
    if (limited(limit)) {
        out.push_back(
            {"memory.max", std::to_string(*limit), who + "limits.memory = " + std::to_string(*limit) + " bytes"});
    } else if (limit) {
        // The kubelet sets no memory limit for 0 (calculateLinuxResources: `if memLimit != 0`).
        out.push_back({"memory.max", "max", who + "limits.memory 0 -> no memory limit (as the kubelet)"});
    } else {
        out.push_back({"memory.max", "max", who + "no memory limit"});
    }
    if (container) {
        // The kubelet runs without swap: a limit is a limit, not a threshold for swapping.
        out.push_back({"memory.swap.max", "0", who + "no swap for containers (kubelet's default)"});
        // An OOM kill takes the whole container, not one of its processes (runc/crun for
        // Kubernetes on cgroup v2).
        out.push_back({"memory.oom.group", "1", who + "an OOM kill takes the whole container"});
    }
}

int64_t saturating_add(int64_t a, int64_t b) {
    int64_t r = 0;
    return __builtin_add_overflow(a, b, &r) ? std::numeric_limits<int64_t>::max() : r;
}

// The kubelet's effective pod request/limit of one resource: max(sum over app containers,
// max over init containers); a limit only when every container has one that is not zero
// (ResourceConfigForPod: `if res.Cpu().IsZero() { cpuLimitsDeclared = false }`).
std::optional<int64_t> pod_total(const spec::Pod& pod, std::optional<int64_t> spec::Resources::*field, bool limit) {
    int64_t sum = 0;
    bool all = true, any = false;
    for (const auto& c : pod.containers) {
        auto v = c.resources.*field;
        if (v && (!limit || *v > 0)) {
            sum = saturating_add(sum, *v);
            any = true;
        } else {
            all = false;
        }
    }
    int64_t init_max = 0;
    for (const auto& c : pod.init_containers) {
        auto v = c.resources.*field;
        if (v && (!limit || *v > 0)) {
            init_max = std::max(init_max, *v);
            any = true;
        } else if (limit) {
            all = false;
        }
    }
    if (!any) return std::nullopt;
    if (limit && !all) return std::nullopt;
    return std::max(sum, init_max);
}

}  // namespace

std::vector<CgroupWrite> container_writes(const spec::Resources& r, WeightFormula f,
                                          const std::set<std::string>& controllers) {
    std::vector<CgroupWrite> out;
    if (controllers.count("cpu")) cpu_writes(r.cpu_limit_millis, r.cpu_request_millis, f, "", out);
    if (controllers.count("memory")) memory_writes(r.memory_limit_bytes, "", out, true);
    return out;
}

std::vector<CgroupWrite> pod_writes(const spec::Pod& pod, WeightFormula f, std::optional<int64_t> pids_max,
                                    const std::set<std::string>& controllers) {
    std::vector<CgroupWrite> out;
    const spec::Resources& pr = pod.pod_resources;
    // spec.resources overrides the containers' totals per resource, as the kubelet's
    // applyPodLevelResources does: a pod-level memory limit leaves cpu to the containers.
    auto value = [&](std::optional<int64_t> spec::Resources::*field, bool limit) {
        return pr.*field ? pr.*field : pod_total(pod, field, limit);
    };
    auto who = [](bool pod_level) {
        return std::string(pod_level ? "pod (spec.resources): " : "pod (sum of containers): ");
    };
    if (controllers.count("cpu")) {
        auto limit = value(&spec::Resources::cpu_limit_millis, true);
        auto request = value(&spec::Resources::cpu_request_millis, false);
        cpu_writes(limit, request, f, who(pr.cpu_limit_millis || pr.cpu_request_millis), out);
    }
    if (controllers.count("memory")) {
        memory_writes(value(&spec::Resources::memory_limit_bytes, true), who(pr.memory_limit_bytes.has_value()), out,
                      false);
    }
    if (controllers.count("pids") && pids_max) {
        out.push_back({"pids.max", std::to_string(*pids_max), "pod pids limit (--pids-max or podrun.io/pids-max)"});
    }
    return out;
}

std::set<std::string> needed_controllers(const spec::Pod& pod, std::optional<int64_t> pids_max) {
    std::set<std::string> need;
    // A zero asks for nothing the kernel enforces (no quota, no memory.max, the minimum
    // weight every pod gets anyway): it needs no controller.
    auto scan = [&](const spec::Resources& r) {
        if (limited(r.cpu_limit_millis) || limited(r.cpu_request_millis)) need.insert("cpu");
        if (limited(r.memory_limit_bytes)) need.insert("memory");
    };
    for (const auto& c : pod.init_containers) scan(c.resources);
    for (const auto& c : pod.containers) scan(c.resources);
    scan(pod.pod_resources);
    if (pids_max) need.insert("pids");
    return need;
}

std::string first_use(const spec::Pod& pod, const std::string& controller) {
    auto uses = [&](const spec::Resources& r) {
        if (controller == "cpu") return limited(r.cpu_limit_millis) || limited(r.cpu_request_millis);
        if (controller == "memory") return limited(r.memory_limit_bytes);
        return false;
    };
    for (size_t i = 0; i < pod.init_containers.size(); i++) {
        if (uses(pod.init_containers[i].resources)) return "spec.initContainers[" + std::to_string(i) + "].resources";
    }
    for (size_t i = 0; i < pod.containers.size(); i++) {
        if (uses(pod.containers[i].resources)) return "spec.containers[" + std::to_string(i) + "].resources";
    }
    if (uses(pod.pod_resources)) return "spec.resources";
    if (controller == "pids") return "metadata.annotations[podrun.io/pids-max]";
    return "spec";
}

}  // namespace podrun::cgroup
