// This machine's capacity, as the kubelet reports a node's: online CPUs, MemTotal, and the
// size of a filesystem.
#pragma once

#include <cstdint>
#include <string>

namespace podrun::sys {

struct HostCapacity {
    int64_t cpus = 0;           // online CPUs (sysconf _SC_NPROCESSORS_ONLN, as cAdvisor counts them)
    int64_t memory_bytes = 0;   // MemTotal of /proc/meminfo
    int64_t storage_bytes = 0;  // statvfs(storage_path): f_blocks * f_frsize; 0 if it cannot be read
};

// `storage_path` is the directory whose filesystem holds the pods' data (the kubelet's root
// dir): its nearest existing ancestor is measured.
HostCapacity host_capacity(const std::string& storage_path);

}  // namespace podrun::sys
