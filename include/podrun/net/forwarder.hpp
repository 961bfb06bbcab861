// podrun's hostPort forwarder (DESIGN.md section 6): listeners in the host's network
// namespace, each TCP connection joined to the pod's 127.0.0.1:containerPort through a
// socket made inside the pod's namespace and spliced both ways through a pipe pair (no
// user-space copies), half-closes and resets carried over; UDP through one upstream socket
// per client address, dropped after an idle timeout. No iptables, no helper process: it
// lives in the supervisor's loop as one fd (an epoll of its own) and never blocks.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "podrun/net/ports.hpp"
#include "podrun/sys/events.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/net.hpp"

namespace podrun::net {

// A hostPort somebody else holds (EADDRINUSE at bind).
class PortInUse : public std::runtime_error {
  public:
    PortInUse(const PublishedPort& p, const std::string& what) : std::runtime_error(what), port(p) {}
    PublishedPort port;
};

struct ForwarderOptions {
    int64_t udp_idle_ms = 30000;    // a UDP client silent this long loses its upstream socket
    size_t max_connections = 1024;  // TCP connections at once; more wait in the backlog
};

class Forwarder {
  public:
    // Binds every port now, in this process's network namespace (the host's), before any
    // container starts. Throws PortInUse, or SysError for other bind failures.
    Forwarder(std::vector<PublishedPort> ports, ForwarderOptions opts = {});
    ~Forwarder();
    Forwarder(const Forwarder&) = delete;
    Forwarder& operator=(const Forwarder&) = delete;

    // Where connections go: the network namespace of the process behind `pod_pidfd`
    // (pause). Must be set before the loop first calls on_ready; the fd must outlive us.
    void set_target(int pod_pidfd);
    // An epoll fd: readable when on_ready has work.
    int fd() const { return epoll_.fd(); }
    // Does what is ready: accepts, connects, splices, relays datagrams, sweeps idle UDP
    // clients. Never blocks and never throws (a failing connection is reset and logged).
    void on_ready();
    const std::vector<PublishedPort>& ports() const { return ports_; }
    size_t connections() const { return conns_.size(); }
    size_t udp_sessions() const { return sessions_.size(); }

  private:
    struct Half {
        sys::Pipe pipe;
        size_t in_pipe = 0;
        bool eof = false;   // the source sent FIN
        bool shut = false;  // carried over: shutdown(SHUT_WR) on the destination
    };
    struct Conn {
        sys::UniqueFd client, upstream;
        bool connected = false;
        Half up, down;  // client -> pod, pod -> client
    };
    struct Session {
        sys::UniqueFd upstream;
        sys::PeerAddr client;
        size_t listener = 0;
        int64_t last_ms = 0;
    };

    void on_accept(size_t listener);
    void on_conn(uint64_t id, bool upstream_side, uint32_t events);
    bool pump(Half& h, int src, int dst);
    void close_conn(uint64_t id, bool reset);
    void pause_listeners(bool pause);
    void on_udp_listener(size_t listener);
    void on_udp_upstream(uint64_t id);
    void sweep_udp();

    std::vector<PublishedPort> ports_;
    ForwarderOptions opts_;
    sys::Epoll epoll_;
    std::vector<sys::UniqueFd> listeners_;  // one per port, same index
    sys::UniqueFd home_netns_;
    int pod_pidfd_ = -1;
    std::map<uint64_t, std::unique_ptr<Conn>> conns_;
    std::map<uint64_t, Session> sessions_;
    std::map<std::pair<size_t, std::string>, uint64_t> session_of_;  // (listener, client) -> id
    sys::UniqueFd sweep_timer_;
    uint64_t next_id_ = 1;
    bool paused_ = false;
};

}  // namespace podrun::net
