// Sockets in the host's and the pod's network namespaces, splice, datagrams (see net.hpp).
#include "podrun/sys/net.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "podrun/sys/error.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::sys {

namespace {

struct Addr {
    sockaddr_storage ss{};
    socklen_t len = 0;
};

Addr parse_addr(const std::string& ip, int port) {
    Addr a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
    if (::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        a.len = sizeof *v4;
    } else if (::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        a.len = sizeof *v6;
    } else {
        throw SysError(EINVAL, "\"" + ip + "\" is not an IP address");
    }
    return a;
}

std::string where(const std::string& ip, int port) {
    return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

// The supervisor is single-threaded: switching its network namespace for the one
// socket() call affects nothing else.
UniqueFd socket_in(int family, int type, int ns_pidfd, int home_netns_fd) {
    if (ns_pidfd >= 0 && ::setns(ns_pidfd, CLONE_NEWNET) < 0) throw SysError(errno, "setns(pod pidfd, CLONE_NEWNET)");
    UniqueFd fd(::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
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
    Addr a = parse_addr(ip, port);
    UniqueFd fd = socket_in(a.ss.ss_family, SOCK_STREAM, ns_pidfd, home_netns_fd);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a.ss), a.len) < 0 && errno != EINPROGRESS) {
        throw SysError(errno, "connect " + where(ip, port));
    }
    return fd;
}

UniqueFd udp_connect(const std::string& ip, int port, int ns_pidfd, int home_netns_fd) {
    Addr a = parse_addr(ip, port);
    UniqueFd fd = socket_in(a.ss.ss_family, SOCK_DGRAM, ns_pidfd, home_netns_fd);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a.ss), a.len) < 0) {
        throw SysError(errno, "connect " + where(ip, port) + "/udp");
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

UniqueFd listen_on(const std::string& ip, int port, bool udp) {
    Addr a = parse_addr(ip, port);
    const std::string what = "bind " + where(ip, port) + (udp ? "/udp" : "/tcp");
    UniqueFd fd = socket_in(a.ss.ss_family, udp ? SOCK_DGRAM : SOCK_STREAM, -1, -1);
    int one = 1;
    if (!udp && ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) {
        throw SysError(errno, what + ": setsockopt(SO_REUSEADDR)");
    }
    if (a.ss.ss_family == AF_INET6 && ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) {
        throw SysError(errno, what + ": setsockopt(IPV6_V6ONLY)");
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a.ss), a.len) < 0) throw SysError(errno, what);
    if (!udp && ::listen(fd.get(), SOMAXCONN) < 0) throw SysError(errno, "listen " + where(ip, port));
    return fd;
}

UniqueFd accept_one(int listen_fd) {
    int fd = retry_eintr([&] { return ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC); });
    if (fd >= 0) return UniqueFd(fd);
    if (errno == EAGAIN || errno == ECONNABORTED) return UniqueFd();
    throw_errno("accept4(listener fd " + std::to_string(listen_fd) + ")");
}

ssize_t splice_some(int in, int out, size_t n) {
    ssize_t r = retry_eintr([&] { return ::splice(in, nullptr, out, nullptr, n, SPLICE_F_NONBLOCK | SPLICE_F_MOVE); });
    return r < 0 ? -errno : r;
}

void shutdown_write(int fd) {
    ::shutdown(fd, SHUT_WR);
}

void reset_on_close(int fd) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

ssize_t recv_from(int fd, char* buf, size_t n, PeerAddr& from) {
    socklen_t len = sizeof from.bytes;
    ssize_t r = retry_eintr([&] { return ::recvfrom(fd, buf, n, 0, reinterpret_cast<sockaddr*>(from.bytes), &len); });
    if (r < 0) return -errno;
    from.len = len;
    return r;
}

ssize_t send_to(int fd, const char* buf, size_t n, const PeerAddr& to) {
    ssize_t r = ::sendto(fd, buf, n, MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(to.bytes), to.len);
    return r < 0 ? -errno : r;
}

std::optional<DefaultRoute> ipv4_default_route() {
    // Columns: Iface Destination Gateway Flags ...; addresses in hex, in network byte order
    // as the kernel stores them (so read into an in_addr as they are).
    std::istringstream in(try_read_file("/proc/net/route").value_or(""));
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string ifname, dest, gw, flags;
        if (!(f >> ifname >> dest >> gw >> flags) || dest != "00000000") continue;
        in_addr g{};
        g.s_addr = static_cast<uint32_t>(std::stoul(gw, nullptr, 16));
        char buf[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &g, buf, sizeof buf);
        DefaultRoute r{ifname, buf, ""};
        ifaddrs* list = nullptr;
        if (::getifaddrs(&list) == 0) {
            for (ifaddrs* a = list; a; a = a->ifa_next) {
                if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || ifname != a->ifa_name) continue;
                ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, buf, sizeof buf);
                r.address = buf;
                break;
            }
            ::freeifaddrs(list);
        }
        return r;
    }
    return std::nullopt;
}

int delete_link(const std::string& name) {
    const unsigned index = ::if_nametoindex(name.c_str());
    if (index == 0) return errno;
    UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!fd) return errno;
    struct {
        nlmsghdr h;
        ifinfomsg i;
    } req{};
    req.h.nlmsg_len = NLMSG_LENGTH(sizeof(ifinfomsg));
    req.h.nlmsg_type = RTM_DELLINK;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.h.nlmsg_seq = 1;
    req.i.ifi_family = AF_UNSPEC;
    req.i.ifi_index = static_cast<int>(index);
    if (::send(fd.get(), &req, req.h.nlmsg_len, 0) < 0) return errno;
    // The kernel's answer: an NLMSG_ERROR whose error is 0 (the ack) or -errno.
    char buf[4096];
    ssize_t n = retry_eintr([&] { return ::recv(fd.get(), buf, sizeof buf, 0); });
    if (n < 0) return errno;
    auto* h = reinterpret_cast<nlmsghdr*>(buf);
    if (n >= static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr))) && h->nlmsg_type == NLMSG_ERROR)
        return -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h))->error;
    return EPROTO;
}

bool have_ipv6() {
    UniqueFd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return false;
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;  // port 0: the kernel picks one; nothing is published
    return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
}

uint64_t raise_fd_limit(uint64_t want) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) < 0) return 0;
    if (rl.rlim_cur >= want) return rl.rlim_cur;
    rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur;
}

}  // namespace podrun::sys
