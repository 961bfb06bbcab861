// Kubernetes resources -> cgroup v2 files, exactly as the kubelet and the OCI runtimes map
// them (DESIGN.md section 4). Pure functions: unit-tested without root; each write carries
// the rule that produced it, for --explain.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "podrun/spec/pod.hpp"

namespace podrun::cgroup {

enum class WeightFormula {
    Quadratic,  // crun >= 1.23, runc >= 1.3.2: 1 CPU (1024 shares) -> 100, log-quadratic
    Linear,     // the older 1 + (shares - 2) * 9999 / 262142
};

struct CgroupWrite {
    std::string file;   // e.g. "cpu.max"
    std::string value;  // e.g. "50000 100000"
    std::string rule;   // e.g. "limits.cpu 500m -> quota 500*100000/1000 per 100000 period"
};

inline constexpr int64_t kCpuPeriodUs = 100000;
inline constexpr int64_t kMinQuotaUs = 1000;
// The largest quota the kernel takes (kernel/sched/core.c: max_cfs_runtime, MAX_BW =
// 2^(64 - BW_SHIFT) - 1 us): about 175 million CPUs at the 100 ms period.
inline constexpr int64_t kMaxQuotaUs = (int64_t{1} << 44) - 1;

// Whether a limit or request is set and not zero: the kubelet treats 0 as not set.
bool limited(std::optional<int64_t> v);

// The kubelet's milliCPUToShares: milli*1024/1000, at least 2, at most 262144.
uint64_t cpu_shares(int64_t request_millis);
uint64_t shares_to_weight(uint64_t shares, WeightFormula f);
// cpu.max quota for a limit: milli*100000/1000, at least 1000, at most kMaxQuotaUs.
int64_t cpu_quota_us(int64_t limit_millis);

// The files of one container's leaf. Only controllers in `controllers` are written.
std::vector<CgroupWrite> container_writes(const spec::Resources& r, WeightFormula f,
                                          const std::set<std::string>& controllers);

// The pod cgroup's files: sums as the kubelet computes them (limits only when every
// container has one; init containers count as max(sum of apps, largest init)), each
// replaced by spec.resources' value for that resource when it has one (the kubelet's
// applyPodLevelResources, per resource); pids.max when set.
std::vector<CgroupWrite> pod_writes(const spec::Pod& pod, WeightFormula f, std::optional<int64_t> pids_max,
                                    const std::set<std::string>& controllers);

// The controllers this pod needs ("cpu", "memory", "pids"); empty for a pod that asks for
// no resources and no pids limit.
std::set<std::string> needed_controllers(const spec::Pod& pod, std::optional<int64_t> pids_max);

// Where in the manifest each controller is asked for (for error messages).
std::string first_use(const spec::Pod& pod, const std::string& controller);

}  // namespace podrun::cgroup
