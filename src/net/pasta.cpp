// pasta: where it is, whether it can run, its command line (see pasta.hpp).
#include "podrun/net/pasta.hpp"

#include <cstdlib>
#include <sstream>

#include "podrun/sys/files.hpp"
#include "podrun/sys/mounts.hpp"
#include "podrun/sys/net.hpp"

namespace podrun::net {

std::string find_pasta() {
    if (const char* p = std::getenv("PODRUN_PASTA"); p && *p) return p;
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path && *path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    std::string d;
    while (std::getline(dirs, d, ':')) {
        if (d.empty()) continue;
        const std::string c = d + "/pasta";
        if (sys::file_kind(c) == sys::FileKind::Regular && sys::executable(c)) return c;
    }
    return "";
}

std::string pasta_problem() {
    const std::string pasta = find_pasta();
    if (pasta.empty()) {
        return "pasta is not installed (not on PATH): apt-get install passt, or use --network=none";
    }
    if (!sys::executable(pasta)) {
        return pasta + " is not an executable file" +
               std::string(std::getenv("PODRUN_PASTA") ? " (from PODRUN_PASTA)" : "") +
               ": apt-get install passt, or use --network=none";
    }
    if (sys::file_kind("/dev/net/tun") != sys::FileKind::CharDevice) {
        return "/dev/net/tun is missing (pasta needs a tap device): modprobe tun (in a container: pass "
               "/dev/net/tun in), or use --network=none";
    }
    if (!sys::root_is_mount_point()) {
        // pasta sandboxes itself by pivoting into an empty root, which fails in a chroot
        // ("mount /: Invalid argument; Failed to sandbox process"): seen in the package job.
        return "podrun runs in a chroot (\"/\" is not a mount point), where pasta cannot sandbox itself: use "
               "--network=none, or run podrun where \"/\" is a mount";
    }
    if (!sys::ipv4_default_route()) {
        return "the host has no IPv4 default route, which pasta copies into the pod: add one, or use "
               "--network=none";
    }
    return "";
}

std::optional<PastaAddresses> pasta_addresses() {
    auto r = sys::ipv4_default_route();
    if (!r || r->address.empty()) return std::nullopt;
    return PastaAddresses{r->address, r->gateway};
}

std::vector<std::string> pasta_argv(const std::string& pasta, const std::string& netns_file,
                                    const std::string& pid_file) {
    return {pasta,  "-f", "-q",   "--config-net", "--runas", "0",  "--netns", netns_file, "-t",
            "none", "-u", "none", "-T",           "none",    "-U", "none",    "-P",       pid_file};
}

std::string pasta_errors(const std::string& log) {
    std::istringstream in(log);
    std::string line, out;
    while (std::getline(in, line)) {
        if (line.empty() || line.rfind("Failed to send ", 0) == 0) continue;
        out += (out.empty() ? "" : "; ") + line;
    }
    return out;
}

}  // namespace podrun::net
