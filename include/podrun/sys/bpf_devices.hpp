// The device filter of a container: an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE
// attached to its cgroup leaf. The kernel runs it on every open(2) and mknod(2) of a
// device node by a process of that cgroup; it works on cgroup2 without any controller,
// which is why podrun uses it instead of the v1 devices controller (runc's and crun's
// cgroup2 device "controller" is the same kind of program).
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

// One allowed device, as in the OCI runtime spec's linux.resources.devices.
struct DeviceRule {
    char type = 'a';      // 'c' character, 'b' block, 'a' either
    int64_t major = -1;   // -1: any
    int64_t minor = -1;   // -1: any
    unsigned access = 0;  // BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE
    std::string what;     // for --explain: "/dev/null"
};

// The program: allow (return 1) if a rule matches the device's type, major and minor and
// its access holds every access asked for; deny (return 0) otherwise. Pure.
std::vector<bpf_insn> device_filter_program(const std::vector<DeviceRule>& allow);

// bpf(BPF_PROG_LOAD): the verifier's log goes into the error on failure.
UniqueFd load_device_filter(const std::vector<bpf_insn>& prog);

// bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI) on a cgroup directory fd.
// `what` names the cgroup in the error.
void attach_device_filter(int cgroup_fd, int prog_fd, const std::string& what);

}  // namespace podrun::sys
