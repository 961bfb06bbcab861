// Sockets: TCP connects made inside the pod's network namespace while the supervisor stays
// in its own (probes, hooks, the hostPort forwarder); listeners in the host's namespace;
// splice through pipes; datagrams with their sender's address.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

// A non-blocking TCP socket whose connect() to ip:port has been started. With
// ns_pidfd >= 0 the socket is created in that process's network namespace (setns there,
// socket(), setns back to home_netns_fd: a socket keeps the namespace it was born in).
// ip is an IPv4 or IPv6 literal. Throws SysError; a refused connect shows up later as
// connect_error() once the socket is writable.
UniqueFd tcp_connect_start(const std::string& ip, int port, int ns_pidfd, int home_netns_fd);
// The same for UDP: a connected datagram socket (send/recv talk to ip:port only).
UniqueFd udp_connect(const std::string& ip, int port, int ns_pidfd, int home_netns_fd);
// SO_ERROR of a socket whose non-blocking connect finished (0 = connected).
int connect_error(int fd);
// send(2)/recv(2) without SIGPIPE; return bytes or -errno.
ssize_t send_some(int fd, const char* data, size_t n);
ssize_t recv_some(int fd, char* buf, size_t n);

// A non-blocking socket bound to ip:port in this process's network namespace, listening
// (TCP, backlog SOMAXCONN) or ready to receive (UDP). SO_REUSEADDR (a restarted pod may
// rebind while old connections sit in TIME_WAIT; it never lets two listeners share a port);
// an IPv6 socket is IPV6_V6ONLY, so [::] and 0.0.0.0 are two sockets. Throws SysError
// naming "bind ip:port/proto" (EADDRINUSE: someone holds it).
UniqueFd listen_on(const std::string& ip, int port, bool udp);
// accept4(2), non-blocking and close-on-exec; an empty fd when none is pending (or the
// client already went: ECONNABORTED). Throws SysError on other errors (EMFILE, ...).
UniqueFd accept_one(int listen_fd);
// splice(2) with SPLICE_F_NONBLOCK|SPLICE_F_MOVE: bytes moved, 0 at EOF of `in`, or -errno
// (-EAGAIN: try again when ready).
ssize_t splice_some(int in, int out, size_t n);
// shutdown(fd, SHUT_WR): the peer reads EOF (a half-close carried over). Errors ignored:
// the peer may be gone already.
void shutdown_write(int fd);
// SO_LINGER 0: closing the socket sends a reset instead of a FIN (a reset carried over).
void reset_on_close(int fd);

// A socket address as bytes (sockaddr_storage), comparable as a map key.
struct PeerAddr {
    unsigned char bytes[128] = {};
    uint32_t len = 0;
    std::string key() const { return std::string(reinterpret_cast<const char*>(bytes), len); }
};
// recvfrom(2) on a non-blocking socket: bytes, or -errno (-EAGAIN: none pending).
ssize_t recv_from(int fd, char* buf, size_t n, PeerAddr& from);
// sendto(2): bytes or -errno.
ssize_t send_to(int fd, const char* buf, size_t n, const PeerAddr& to);

// This network namespace's IPv4 default route (/proc/net/route): the interface, its gateway
// and the interface's first IPv4 address (getifaddrs). nullopt when there is none.
struct DefaultRoute {
    std::string ifname, gateway, address;
};
std::optional<DefaultRoute> ipv4_default_route();

// Deletes the network interface `name` of this network namespace (netlink RTM_DELLINK), as
// `ip link delete NAME` does. 0, or errno (ENODEV: there is none).
int delete_link(const std::string& name);

// Whether this network namespace can bind IPv6 ([::] is worth a listener).
bool have_ipv6();
// Raises this process's soft RLIMIT_NOFILE towards `want` (never above the hard limit, which
// needs no privilege): each forwarded connection holds six fds. Returns the new soft limit.
uint64_t raise_fd_limit(uint64_t want);

}  // namespace podrun::sys
