// One run of a probe or lifecycle handler (exec, httpGet, tcpSocket, sleep), driven by the
// supervisor's epoll loop: a HandlerRun owns the one descriptor to watch (a socket, the exec'd
// process's pidfd, or a timer) and its deadline timer. Nothing here blocks, except starting
// an exec handler, which returns once the command has been exec'd in the container.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "podrun/confine/confine.hpp"
#include "podrun/spec/pod.hpp"
#include "podrun/sys/fd.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::probe {

// Where handlers reach the container.
struct Target {
    int pod_net_pidfd = -1;        // pause's pidfd when the pod has its own network namespace
    int home_netns_fd = -1;        // the supervisor's own network namespace
    pid_t container_pid = 0;       // host pid of the container's main process (exec)
    std::string leaf_dir;          // its cgroup leaf (exec)
    std::vector<std::string> env;  // the container's environment (exec)
    std::string cwd = "/";
    const confine::ContainerPlan* confine = nullptr;  // exec handlers are confined as the container
};

enum class Result { Pending, Success, Failure };

class HandlerRun {
  public:
    virtual ~HandlerRun() = default;
    int fd() const { return watch_fd_; }
    uint32_t events() const { return events_; }  // what to watch fd() for
    int timer_fd() const { return timer_.get(); }
    // fd() is ready: advance. events() may change (then the caller re-arms).
    virtual Result on_ready() = 0;
    // The deadline passed (timeoutSeconds): give up, killing what is still running.
    virtual void on_timeout() {}
    // Why it failed, for the log ("HTTP 503", "connect: Connection refused", "exit code 1").
    const std::string& message() const { return message_; }
    // "exec [cat /tmp/ready]", "httpGet 127.0.0.1:8080/healthz", ...
    const std::string& what() const { return what_; }
    // The process an exec handler runs (a child of ours), 0 for the others: the
    // supervisor's reaper of re-parented orphans must leave it to us.
    virtual pid_t pid() const { return 0; }
    // Starts the deadline timer (timer_fd()); 0 = none.
    void arm_deadline(int64_t timeout_ms);

  protected:
    int watch_fd_ = -1;
    uint32_t events_ = 0x001;  // EPOLLIN
    sys::UniqueFd timer_;
    std::string message_, what_;
};

// The host a handler connects to: empty and "localhost" mean the pod's loopback (podrun
// gives a pod no other address).
std::string connect_ip(const std::string& host);

// Starts a handler; `timeout_ms` 0 = no deadline (lifecycle hooks are bounded by the grace
// period instead). A handler that cannot even start (connect refused at once, command not
// found in the container) throws sys::SysError: the caller counts it as a failure.
std::unique_ptr<HandlerRun> start(const spec::ProbeHandler& h, const Target& t, int64_t timeout_ms);
std::unique_ptr<HandlerRun> start(const spec::LifecycleHandler& h, const Target& t, int64_t timeout_ms);

// Parses the status code of an HTTP/1.x status line ("HTTP/1.1 200 OK"); -1 if malformed.
int http_status(const std::string& head);
// The request a httpGet handler sends (kubelet's headers; manifest headers override).
std::string http_request(const spec::HttpGetAction& a, const std::string& ip);

}  // namespace podrun::probe
