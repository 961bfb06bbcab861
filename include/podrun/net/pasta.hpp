// pasta (Debian's passt): outbound connectivity for a pod with no change to the host's
// configuration. Where it is, whether it can run here, and its command line
// (docs/network.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace podrun::net {

// $PODRUN_PASTA when set (a path, used as it is), else `pasta` on $PATH; "" when not found.
std::string find_pasta();

// What pasta mode needs on this host: the binary, /dev/net/tun, an IPv4 default route
// (pasta copies its interface's address and gateway into the pod). "" = usable, else why
// not, with the fix.
std::string pasta_problem();

// What the pod gets from pasta: the host's address on its default-route interface, and the
// gateway, which pasta maps to the host's loopback (its --no-map-gw is not given):
// host.podrun.internal.
struct PastaAddresses {
    std::string pod_ip, gateway;
};
std::optional<PastaAddresses> pasta_addresses();

// pasta's command line: in the foreground (-f, so its pid is the one podrun records), as
// root (--runas 0: as root pasta must keep uid 0 to join the namespace), into the netns
// bound to netns_file, configuring the interface (--config-net), forwarding no port either
// way (hostPort is podrun's own forwarder), writing its pid to pid_file once the interface
// is configured (podrun's readiness signal).
std::vector<std::string> pasta_argv(const std::string& pasta, const std::string& netns_file,
                                    const std::string& pid_file);

// pasta's stderr without the "Failed to send N bytes to syslog" lines it prints where no
// syslog runs: the lines that say what went wrong.
std::string pasta_errors(const std::string& log);

}  // namespace podrun::net
