// The hostPort forwarder (see forwarder.hpp): listeners, spliced TCP connections, UDP
// sessions, all on one epoll that the supervisor's loop waits on.
#include "podrun/net/forwarder.hpp"

#include <fcntl.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "podrun/explain.hpp"
#include "podrun/sys/clock.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::net {

namespace {

// Tags of the inner epoll: what (top byte) and which (the rest).
enum Kind : uint64_t { kListener = 1, kConnClient, kConnUpstream, kUdpListener, kUdpUpstream, kSweep };
uint64_t tag(Kind k, uint64_t i) {
    return (static_cast<uint64_t>(k) << 56) | i;
}
constexpr size_t kChunk = 1 << 16;  // one pipe's default capacity (pipe(7))
constexpr int kUdpBatch = 64;       // datagrams per wake-up, so one busy port cannot starve the loop

const std::string& target_ip() {
    static const std::string ip = "127.0.0.1";
    return ip;
}

}  // namespace

Forwarder::Forwarder(std::vector<PublishedPort> ports, ForwarderOptions opts) : ports_(std::move(ports)), opts_(opts) {
    bool tcp = false;
    for (size_t i = 0; i < ports_.size(); i++) {
        const PublishedPort& p = ports_[i];
        try {
            listeners_.push_back(sys::listen_on(p.host_ip, p.host_port, p.udp()));
        } catch (const sys::SysError& e) {
            if (e.err() == EADDRINUSE) throw PortInUse(p, e.what());
            throw;
        }
        explain("net", std::string(p.udp() ? "socket(SOCK_DGRAM) + bind " : "socket(SOCK_STREAM) + bind + listen ") +
                           format_port(p) + "  (hostPort of " + p.path + ", in the host's network namespace; each " +
                           (p.udp() ? "client" : "connection") + " goes to the pod's " + target_ip() + ":" +
                           std::to_string(p.container_port) + " through a socket made in the pod's namespace)");
        epoll_.add(listeners_.back().get(), tag(p.udp() ? kUdpListener : kListener, i), EPOLLIN);
        tcp = tcp || !p.udp();
    }
    // Six fds per connection (two sockets, two pipes): the default soft limit of 1024 would
    // stop at 170. The hard limit needs no privilege to reach.
    if (tcp) sys::raise_fd_limit(opts_.max_connections * 6 + 256);
    home_netns_ = sys::open_file("/proc/self/ns/net", O_RDONLY);
}

Forwarder::~Forwarder() {
    if (!listeners_.empty()) explain("net", "close the hostPort listeners (the ports are free again)");
}

void Forwarder::set_target(int pod_pidfd) {
    pod_pidfd_ = pod_pidfd;
}

void Forwarder::on_ready() {
    for (const auto& ev : epoll_.wait(0)) {
        const auto k = static_cast<Kind>(ev.tag >> 56);
        const uint64_t i = ev.tag & ((uint64_t{1} << 56) - 1);
        try {
            switch (k) {
                case kListener:
                    on_accept(i);
                    break;
                case kConnClient:
                    on_conn(i, false, ev.events);
                    break;
                case kConnUpstream:
                    on_conn(i, true, ev.events);
                    break;
                case kUdpListener:
                    on_udp_listener(i);
                    break;
                case kUdpUpstream:
                    on_udp_upstream(i);
                    break;
                case kSweep:
                    sweep_udp();
                    break;
            }
        } catch (const std::exception& e) {
            spdlog::warn("hostPort forwarder: {}", e.what());
        }
    }
}

// ---- TCP ----

void Forwarder::on_accept(size_t listener) {
    const PublishedPort& p = ports_[listener];
    for (;;) {
        if (conns_.size() >= opts_.max_connections) {
            pause_listeners(true);  // the rest wait in the backlog until one closes
            return;
        }
        sys::UniqueFd client;
        try {
            client = sys::accept_one(listeners_[listener].get());
        } catch (const sys::SysError& e) {
            // EMFILE and friends: stop accepting (a level-triggered listener would spin)
            // until a connection closes and frees its fds.
            spdlog::warn("hostPort {}: {}; new connections wait until one closes", format_port(p), e.what());
            pause_listeners(true);
            return;
        }
        if (!client) return;
        auto c = std::make_unique<Conn>();
        c->client = std::move(client);
        try {
            c->upstream = sys::tcp_connect_start(target_ip(), p.container_port, pod_pidfd_, home_netns_.get());
        } catch (const sys::SysError& e) {
            // Nothing listens in the pod (yet): the client sees a reset, as from a closed port.
            spdlog::debug("hostPort {}: {}", format_port(p), e.what());
            sys::reset_on_close(c->client.get());
            continue;
        }
        c->up.pipe = sys::make_pipe(O_NONBLOCK);
        c->down.pipe = sys::make_pipe(O_NONBLOCK);
        const uint64_t id = next_id_++;
        // Edge-triggered: every wake-up pumps both directions until EAGAIN.
        const uint32_t evs = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        epoll_.add(c->client.get(), tag(kConnClient, id), evs);
        epoll_.add(c->upstream.get(), tag(kConnUpstream, id), evs);
        conns_.emplace(id, std::move(c));
    }
}

// Moves what the pipe holds to dst, then src's bytes into the pipe, until one would block;
// carries src's EOF over as a shutdown of dst once the pipe is empty. false = an error
// (reset, broken pipe): the connection is reset.
bool Forwarder::pump(Half& h, int src, int dst) {
    for (;;) {
        if (h.in_pipe > 0) {
            ssize_t n = sys::splice_some(h.pipe.read_end.get(), dst, h.in_pipe);
            if (n == -EAGAIN) return true;
            if (n <= 0) return false;
            h.in_pipe -= static_cast<size_t>(n);
            continue;
        }
        if (h.eof) {
            if (!h.shut) sys::shutdown_write(dst);
            h.shut = true;
            return true;
        }
        ssize_t n = sys::splice_some(src, h.pipe.write_end.get(), kChunk);
        if (n == -EAGAIN) return true;
        if (n < 0) return false;
        if (n == 0) h.eof = true;
        h.in_pipe += static_cast<size_t>(n);
    }
}

void Forwarder::on_conn(uint64_t id, bool upstream_side, uint32_t events) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;  // closed earlier in this batch
    Conn& c = *it->second;
    if (!c.connected) {
        // A non-blocking connect is done when the socket turns writable (or fails).
        if (!upstream_side || !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
        if (int err = sys::connect_error(c.upstream.get()); err != 0) {
            spdlog::debug("hostPort connection {}: connect to the pod: {}", id, std::strerror(err));
            close_conn(id, true);
            return;
        }
        c.connected = true;
    }
    if (!pump(c.up, c.client.get(), c.upstream.get()) || !pump(c.down, c.upstream.get(), c.client.get())) {
        close_conn(id, true);
        return;
    }
    if (c.up.shut && c.down.shut) close_conn(id, false);
}

void Forwarder::close_conn(uint64_t id, bool reset) {
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    Conn& c = *it->second;
    if (reset) {
        // A reset on one side becomes a reset on the other, not a quiet FIN.
        sys::reset_on_close(c.client.get());
        sys::reset_on_close(c.upstream.get());
    }
    epoll_.remove(c.client.get());
    epoll_.remove(c.upstream.get());
    conns_.erase(it);
    if (paused_) pause_listeners(false);
}

void Forwarder::pause_listeners(bool pause) {
    if (pause == paused_) return;
    paused_ = pause;
    for (size_t i = 0; i < ports_.size(); i++) {
        if (ports_[i].udp()) continue;
        if (pause) {
            epoll_.remove(listeners_[i].get());
        } else {
            epoll_.add(listeners_[i].get(), tag(kListener, i), EPOLLIN);
        }
    }
}

// ---- UDP ----

void Forwarder::on_udp_listener(size_t listener) {
    const PublishedPort& p = ports_[listener];
    char buf[kChunk];
    for (int n = 0; n < kUdpBatch; n++) {
        sys::PeerAddr from;
        ssize_t len = sys::recv_from(listeners_[listener].get(), buf, sizeof buf, from);
        if (len < 0) return;  // -EAGAIN: drained; other errors (ICMP reports) are the client's
        auto key = std::make_pair(listener, from.key());
        auto it = session_of_.find(key);
        uint64_t id;
        if (it == session_of_.end()) {
            Session s;
            s.upstream = sys::udp_connect(target_ip(), p.container_port, pod_pidfd_, home_netns_.get());
            s.client = from;
            s.listener = listener;
            id = next_id_++;
            epoll_.add(s.upstream.get(), tag(kUdpUpstream, id), EPOLLIN);
            sessions_.emplace(id, std::move(s));
            session_of_.emplace(key, id);
            if (!sweep_timer_) {
                sweep_timer_ = sys::timerfd_after_ms(opts_.udp_idle_ms);
                epoll_.add(sweep_timer_.get(), tag(kSweep, 0), EPOLLIN);
            }
        } else {
            id = it->second;
        }
        Session& s = sessions_.at(id);
        s.last_ms = sys::monotonic_ms();
        // A datagram the pod's socket cannot take now is dropped, as a full buffer drops it.
        sys::send_some(s.upstream.get(), buf, static_cast<size_t>(len));
    }
}

void Forwarder::on_udp_upstream(uint64_t id) {
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    Session& s = it->second;
    char buf[kChunk];
    for (int n = 0; n < kUdpBatch; n++) {
        ssize_t len = sys::recv_some(s.upstream.get(), buf, sizeof buf);
        if (len == -EAGAIN) return;
        if (len < 0) continue;  // ECONNREFUSED: nothing listens in the pod; the datagram is gone
        s.last_ms = sys::monotonic_ms();
        sys::send_to(listeners_[s.listener].get(), buf, static_cast<size_t>(len), s.client);
    }
}

void Forwarder::sweep_udp() {
    sys::timerfd_drain(sweep_timer_.get());
    const int64_t now = sys::monotonic_ms();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        if (now - it->second.last_ms < opts_.udp_idle_ms) {
            ++it;
            continue;
        }
        epoll_.remove(it->second.upstream.get());
        session_of_.erase({it->second.listener, it->second.client.key()});
        it = sessions_.erase(it);
    }
    if (sessions_.empty()) {
        epoll_.remove(sweep_timer_.get());
        sweep_timer_.reset();
    } else {
        sys::timerfd_rearm_ms(sweep_timer_.get(), std::max<int64_t>(opts_.udp_idle_ms / 4, 100));
    }
}

}  // namespace podrun::net
