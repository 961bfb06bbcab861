// Handlers as epoll-driven state machines (see handler.hpp).
#include "podrun/probe/handler.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>

#include <cstring>

#include "podrun/image/helper.hpp"
#include "podrun/launcher/enter.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/events.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/net.hpp"
#include "podrun/sys/spawn.hpp"

namespace podrun::probe {

void HandlerRun::arm_deadline(int64_t timeout_ms) {
    if (timeout_ms > 0) timer_ = sys::timerfd_after_ms(timeout_ms);
}

std::string connect_ip(const std::string& host) {
    if (host.empty() || host == "localhost") return "127.0.0.1";
    return host;
}

int http_status(const std::string& head) {
    // "HTTP/1.1 200 OK": the code is the three digits after the first space.
    if (head.rfind("HTTP/1.", 0) != 0) return -1;
    auto sp = head.find(' ');
    if (sp == std::string::npos || head.size() < sp + 4) return -1;
    int code = 0;
    for (size_t i = sp + 1; i < sp + 4; i++) {
        if (head[i] < '0' || head[i] > '9') return -1;
        code = code * 10 + (head[i] - '0');
    }
    return code;
}

namespace {
// "127.0.0.1:8080", "[::1]:8080": an address as URLs and Host headers write it.
std::string host_port(const std::string& ip, int port) {
    return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}
}  // namespace

std::string http_request(const spec::HttpGetAction& a, const std::string& ip) {
    // The kubelet's defaults; a header of the same name in the manifest replaces each.
    std::vector<spec::HttpHeader> headers{
        {"Host", host_port(ip, a.port)}, {"User-Agent", "kube-probe/podrun"}, {"Accept", "*/*"}};
    for (const auto& h : a.headers) {
        bool replaced = false;
        for (auto& d : headers) {
            if (strcasecmp(d.name.c_str(), h.name.c_str()) == 0) {
                d.value = h.value;
                replaced = true;
            }
        }
        if (!replaced) headers.push_back(h);
    }
    std::string req = "GET " + (a.path.empty() ? std::string("/") : a.path) + " HTTP/1.1\r\n";
    for (const auto& h : headers) req += h.name + ": " + h.value + "\r\n";
    return req + "Connection: close\r\n\r\n";
}

namespace {

std::string errno_text(int e) {
    return std::strerror(e);
}

class TcpCheck : public HandlerRun {
  public:
    TcpCheck(const spec::TcpSocketAction& a, const Target& t) {
        std::string ip = connect_ip(a.host);
        what_ = "tcpSocket " + host_port(ip, a.port);
        sock_ = sys::tcp_connect_start(ip, a.port, t.pod_net_pidfd, t.home_netns_fd);
        watch_fd_ = sock_.get();
        events_ = EPOLLOUT;
    }
    Result on_ready() override {
        if (int e = sys::connect_error(sock_.get())) {
            message_ = "connect: " + errno_text(e);
            return Result::Failure;
        }
        return Result::Success;
    }

  private:
    sys::UniqueFd sock_;
};

class HttpCheck : public HandlerRun {
  public:
    HttpCheck(const spec::HttpGetAction& a, const Target& t) {
        std::string ip = connect_ip(a.host);
        what_ = "httpGet http://" + host_port(ip, a.port) + a.path;
        request_ = http_request(a, ip);
        sock_ = sys::tcp_connect_start(ip, a.port, t.pod_net_pidfd, t.home_netns_fd);
        watch_fd_ = sock_.get();
        events_ = EPOLLOUT;
    }
    Result on_ready() override {
        if (!connected_) {
            if (int e = sys::connect_error(sock_.get())) {
                message_ = "connect: " + errno_text(e);
                return Result::Failure;
            }
            connected_ = true;
        }
        if (sent_ < request_.size()) {
            ssize_t n = sys::send_some(sock_.get(), request_.data() + sent_, request_.size() - sent_);
            if (n == -EAGAIN) return Result::Pending;
            if (n < 0) {
                message_ = "send: " + errno_text(static_cast<int>(-n));
                return Result::Failure;
            }
            sent_ += static_cast<size_t>(n);
            if (sent_ == request_.size()) events_ = EPOLLIN;
            return Result::Pending;
        }
        char buf[1024];
        ssize_t n = sys::recv_some(sock_.get(), buf, sizeof buf);
        if (n == -EAGAIN) return Result::Pending;
        if (n < 0) {
            message_ = "recv: " + errno_text(static_cast<int>(-n));
            return Result::Failure;
        }
        head_.append(buf, static_cast<size_t>(n));
        // The status line is all we need; don't wait for the body.
        if (n > 0 && head_.find("\r\n") == std::string::npos && head_.size() < 4096) return Result::Pending;
        int code = http_status(head_);
        if (code < 0) {
            message_ = n == 0 && head_.empty() ? "connection closed without a response" : "malformed HTTP response";
            return Result::Failure;
        }
        // The kubelet's rule: 200 <= code < 400 is a success.
        if (code >= 200 && code < 400) return Result::Success;
        message_ = "HTTP status " + std::to_string(code);
        return Result::Failure;
    }

  private:
    sys::UniqueFd sock_;
    std::string request_, head_;
    size_t sent_ = 0;
    bool connected_ = false;
};

class SleepCheck : public HandlerRun {
  public:
    explicit SleepCheck(const spec::SleepAction& a) {
        what_ = "sleep " + std::to_string(a.seconds) + " s";
        // A zero timer would be disarmed, not immediate.
        timerfd_ = sys::timerfd_after_ms(std::max<int64_t>(1, a.seconds * 1000));
        watch_fd_ = timerfd_.get();
    }
    Result on_ready() override { return Result::Success; }

  private:
    sys::UniqueFd timerfd_;
};

class ExecCheck : public HandlerRun {
  public:
    ExecCheck(const spec::ExecAction& a, const Target& t) {
        what_ = "exec [";
        for (size_t i = 0; i < a.command.size(); i++) what_ += (i ? " " : "") + a.command[i];
        what_ += "]";
        launcher::EnterTarget target;
        target.container_pid = t.container_pid;
        target.leaf_dir = t.leaf_dir;
        launcher::EnterRequest req;
        req.argv = a.command;
        req.env = t.env;
        req.cwd = t.cwd;
        req.die_with_parent = true;
        req.confine = t.confine;
        proc_ = launcher::enter(target, req);
        watch_fd_ = proc_.pidfd();
    }
    pid_t pid() const override { return proc_.pid(); }
    Result on_ready() override {
        auto st = proc_.try_wait();
        if (!st) return Result::Pending;
        if (st->shell_code() == 0) return Result::Success;
        message_ =
            st->signaled ? "killed by signal " + std::to_string(st->code) : "exit code " + std::to_string(st->code);
        return Result::Failure;
    }
    // A timed-out or cancelled handler is killed, not waited for: one stuck in
    // uninterruptible sleep must not stall the loop. Released when the check goes (its
    // pidfd is out of epoll by then: closing it earlier would free the number for another
    // fd while the supervisor still means to remove this one), it is no longer tracked,
    // and the supervisor's SIGCHLD handler reaps it once it has died (reap_untracked).
    void on_timeout() override { proc_.signal(SIGKILL); }
    ~ExecCheck() override {
        if (!proc_.alive()) return;
        proc_.signal(SIGKILL);
        proc_.release();
    }

  private:
    sys::ChildProcess proc_;
};

// HTTPS and gRPC: podrun-image (libcurl, dynamic) runs the check in the pod's network
// namespace; its exit code is the result, its one line of output the reason.
class HelperCheck : public HandlerRun {
  public:
    HelperCheck(std::string what, const std::vector<std::string>& args, const Target& t) {
        what_ = std::move(what);
        const std::string helper = image::find_helper();
        if (helper.empty())
            throw sys::SysError(ENOENT,
                                "podrun-image, which runs " + what_ + " (set PODRUN_IMAGE, or install podrun whole)");
        std::vector<std::string> argv{helper};
        argv.insert(argv.end(), args.begin(), args.end());
        sys::Pipe p = sys::make_pipe(O_NONBLOCK);
        sys::SpawnOptions opts;
        opts.out = opts.err = p.write_end.get();
        opts.die_with_parent = true;
        opts.net_pidfd = t.pod_net_pidfd;  // -1 with hostNetwork: ours
        opts.as_nobody = true;             // it parses what the container answers
        proc_ = sys::spawn(sys::ExecPlan(argv, {}, ""), opts).child;
        out_ = std::move(p.read_end);
        watch_fd_ = proc_.pidfd();
    }
    pid_t pid() const override { return proc_.pid(); }
    Result on_ready() override {
        auto st = proc_.try_wait();
        if (!st) return Result::Pending;
        std::string said;
        char buf[512];
        for (ssize_t n; (n = sys::read_some(out_.get(), buf, sizeof buf)) > 0 && said.size() < 4096;)
            said.append(buf, static_cast<size_t>(n));
        if (auto nl = said.find('\n'); nl != std::string::npos) said.resize(nl);
        if (!st->signaled && st->code == 0) return Result::Success;
        if (!st->signaled && st->code == 1 && !said.empty()) {
            message_ = said;
        } else {
            message_ = "podrun-image " +
                       (st->signaled ? "killed by signal " + std::to_string(st->code)
                                     : "exit code " + std::to_string(st->code)) +
                       (said.empty() ? "" : ": " + said);
        }
        return Result::Failure;
    }
    void on_timeout() override { proc_.signal(SIGKILL); }
    // As ExecCheck: killed, not waited for; the supervisor's reaper collects it.
    ~HelperCheck() override {
        if (!proc_.alive()) return;
        proc_.signal(SIGKILL);
        proc_.release();
    }

  private:
    sys::ChildProcess proc_;
    sys::UniqueFd out_;
};

// The helper's own timeout is the probe's (the deadline timer kills it if it lags); hooks
// have none (the grace period bounds them): a day stands for "no limit".
std::string helper_timeout(int64_t timeout_ms) {
    return std::to_string(timeout_ms > 0 ? timeout_ms : 86400000);
}

// An httpGet handler: HTTP is podrun's own non-blocking client; HTTPS runs podrun-image.
std::unique_ptr<HandlerRun> http_check(const spec::HttpGetAction& a, const Target& t, int64_t timeout_ms) {
    if (!a.https) return std::make_unique<HttpCheck>(a, t);
    const std::string ip = connect_ip(a.host);
    const std::string url = "https://" + host_port(ip, a.port) + a.path;
    std::vector<std::string> args{"probe", "https", url, helper_timeout(timeout_ms)};
    // The same headers as an HTTP probe's request (the kubelet's, the manifest's over them).
    std::string req = http_request(a, ip);
    for (size_t at = req.find("\r\n") + 2; at < req.size();) {
        size_t end = req.find("\r\n", at);
        if (end == std::string::npos || end == at) break;
        std::string line = req.substr(at, end - at);
        if (line.rfind("Connection:", 0) != 0) args.push_back(line);
        at = end + 2;
    }
    return std::make_unique<HelperCheck>("httpGet " + url, args, t);
}

std::unique_ptr<HandlerRun> grpc_check(const spec::GrpcAction& a, const Target& t, int64_t timeout_ms) {
    const std::string ip = connect_ip("");
    std::string what = "grpc " + host_port(ip, a.port) + (a.service.empty() ? "" : " service " + a.service);
    return std::make_unique<HelperCheck>(
        what,
        std::vector<std::string>{"probe", "grpc", ip, std::to_string(a.port), a.service, helper_timeout(timeout_ms)},
        t);
}

}  // namespace

std::unique_ptr<HandlerRun> start(const spec::ProbeHandler& h, const Target& t, int64_t timeout_ms) {
    std::unique_ptr<HandlerRun> c;
    if (auto* e = std::get_if<spec::ExecAction>(&h))
        c = std::make_unique<ExecCheck>(*e, t);
    else if (auto* g = std::get_if<spec::HttpGetAction>(&h))
        c = http_check(*g, t, timeout_ms);
    else if (auto* r = std::get_if<spec::GrpcAction>(&h))
        c = grpc_check(*r, t, timeout_ms);
    else
        c = std::make_unique<TcpCheck>(std::get<spec::TcpSocketAction>(h), t);
    c->arm_deadline(timeout_ms);
    return c;
}

std::unique_ptr<HandlerRun> start(const spec::LifecycleHandler& h, const Target& t, int64_t timeout_ms) {
    std::unique_ptr<HandlerRun> c;
    if (auto* e = std::get_if<spec::ExecAction>(&h))
        c = std::make_unique<ExecCheck>(*e, t);
    else if (auto* g = std::get_if<spec::HttpGetAction>(&h))
        c = http_check(*g, t, timeout_ms);
    else
        c = std::make_unique<SleepCheck>(std::get<spec::SleepAction>(h));
    c->arm_deadline(timeout_ms);
    return c;
}

}  // namespace podrun::probe
