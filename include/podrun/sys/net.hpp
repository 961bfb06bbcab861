// TCP sockets for probes and hooks (httpGet, tcpSocket): non-blocking connects to an IP
// literal, made inside the pod's network namespace while the supervisor stays in its own.
#pragma once

#include <sys/types.h>

#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

// A non-blocking TCP socket whose connect() to ip:port has been started. With
// ns_pidfd >= 0 the socket is created in that process's network namespace (setns there,
// socket(), setns back to home_netns_fd: a socket keeps the namespace it was born in).
// ip is an IPv4 or IPv6 literal. Throws SysError; a refused connect shows up later as
// connect_error() once the socket is writable.
UniqueFd tcp_connect_start(const std::string& ip, int port, int ns_pidfd, int home_netns_fd);
// SO_ERROR of a socket whose non-blocking connect finished (0 = connected).
int connect_error(int fd);
// send(2)/recv(2) without SIGPIPE; return bytes or -errno.
ssize_t send_some(int fd, const char* data, size_t n);
ssize_t recv_some(int fd, char* buf, size_t n);

}  // namespace podrun::sys
