// TCP sockets in another network namespace (see net.hpp).
#include "podrun/sys/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

namespace {

// The supervisor is single-threaded: switching its network namespace for the one
// socket() call affects nothing else.
UniqueFd socket_in(int family, int ns_pidfd, int home_netns_fd) {
    if (ns_pidfd >= 0 && ::setns(ns_pidfd, CLONE_NEWNET) < 0) throw SysError(errno, "setns(pod pidfd, CLONE_NEWNET)");
    UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    int saved = errno;
    if (ns_pidfd >= 0 && ::setns(home_netns_fd, CLONE_NEWNET) < 0) {
        // Staying in the pod's namespace would make every later socket of ours wrong
        // without a word: better to die loudly (the pod is then cleaned up by gc/down).
        std::fprintf(stderr, "podrun: setns back to the supervisor's network namespace: %s\n", std::strerror(errno));
        std::abort();
    }
    if (!fd) throw SysError(saved, "socket");
    return fd;
}

}  // namespace

UniqueFd tcp_connect_start(const std::string& ip, int port, int ns_pidfd, int home_netns_fd) {
    sockaddr_storage ss{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
    if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        len = sizeof *v4;
    } else if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        len = sizeof *v6;
    } else {
        throw SysError(EINVAL, "\"" + ip + "\" is not an IP address");
    }
    UniqueFd fd = socket_in(ss.ss_family, ns_pidfd, home_netns_fd);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0 && errno != EINPROGRESS) {
        throw SysError(errno, "connect " + ip + ":" + std::to_string(port));
    }
    return fd;
}

int connect_error(int fd) {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
    return err;
}

ssize_t send_some(int fd, const char* data, size_t n) {
    ssize_t r = ::send(fd, data, n, MSG_NOSIGNAL);
    return r < 0 ? -errno : r;
}

ssize_t recv_some(int fd, char* buf, size_t n) {
    ssize_t r = ::recv(fd, buf, n, 0);
    return r < 0 ? -errno : r;
}

}  // namespace podrun::sys
