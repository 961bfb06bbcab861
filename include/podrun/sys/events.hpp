// Event sources for the supervisor's loop: epoll, signalfd, timerfd, each owned by a
// UniqueFd; and a one-shot POLLPRI wait (cgroup.events).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

class Epoll {
  public:
    Epoll();
    void add(int fd, uint64_t tag, uint32_t events = 0x001 /* EPOLLIN */);
    void modify(int fd, uint64_t tag, uint32_t events);
    void remove(int fd);
    struct Event {
        uint64_t tag;
        uint32_t events;
    };
    // timeout_ms -1 = forever; EINTR returns an empty list.
    std::vector<Event> wait(int timeout_ms);
    int fd() const { return fd_.get(); }

  private:
    UniqueFd fd_;
};

// Blocks `signals` for this process and returns a signalfd reading them.
UniqueFd block_and_signalfd(const std::vector<int>& signals);
// Reads one pending signal from a signalfd; 0 if none.
int read_signal(int sfd);
// The same with who sent it: code is the siginfo si_code (SI_USER from kill(2), SI_KERNEL
// for a terminal's ^C sent to its foreground process group, ...).
struct SignalInfo {
    int signo = 0;  // 0 if none was pending
    int code = 0;
    pid_t pid = 0;
};
SignalInfo read_signal_info(int sfd);
void unblock_signals(const std::vector<int>& signals);

UniqueFd timerfd_after_ms(int64_t ms);      // one-shot, CLOCK_MONOTONIC
void timerfd_rearm_ms(int fd, int64_t ms);  // 0 disarms
void timerfd_drain(int fd);

// poll(2) for POLLPRI (cgroup.events, /proc/self/mounts change notification).
void wait_priority(int fd, int timeout_ms);

}  // namespace podrun::sys
