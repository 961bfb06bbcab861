// The machine's capacity (see host.hpp).
#include "podrun/sys/host.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <sstream>

#include "podrun/sys/files.hpp"

namespace podrun::sys {

HostCapacity host_capacity(const std::string& storage_path) {
    HostCapacity c;
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    c.cpus = n > 0 ? n : 1;
    if (auto info = try_read_file("/proc/meminfo")) {
        std::istringstream in(*info);
        std::string key, unit;
        int64_t kib = 0;
        while (in >> key >> kib) {
            std::getline(in, unit);
            if (key == "MemTotal:") {
                c.memory_bytes = kib * 1024;
                break;
            }
        }
    }
    // /var/lib/podrun may not exist yet on a fresh host: measure the filesystem it will be on.
    std::string dir = storage_path;
    while (!dir.empty()) {
        struct statvfs st {};
        if (::statvfs(dir.c_str(), &st) == 0) {
            c.storage_bytes = static_cast<int64_t>(st.f_blocks) * static_cast<int64_t>(st.f_frsize);
            break;
        }
        const size_t slash = dir.rfind('/');
        dir = slash == 0 ? (dir == "/" ? "" : "/") : slash == std::string::npos ? "" : dir.substr(0, slash);
    }
    return c;
}

}  // namespace podrun::sys
