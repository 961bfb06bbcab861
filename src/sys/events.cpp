// epoll, signalfd, timerfd and POLLPRI waits (see events.hpp).
#include "podrun/sys/events.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "podrun/sys/error.hpp"

namespace podrun::sys {

Epoll::Epoll() : fd_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!fd_) throw_errno("epoll_create1");
}

void Epoll::add(int fd, uint64_t tag, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(fd_.get(), EPOLL_CTL_ADD, fd, &ev) < 0)
        throw_errno("epoll_ctl(ADD, fd " + std::to_string(fd) + ")");
}

void Epoll::modify(int fd, uint64_t tag, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = tag;
    if (::epoll_ctl(fd_.get(), EPOLL_CTL_MOD, fd, &ev) < 0)
        throw_errno("epoll_ctl(MOD, fd " + std::to_string(fd) + ")");
}

void Epoll::remove(int fd) {
    ::epoll_ctl(fd_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

std::vector<Epoll::Event> Epoll::wait(int timeout_ms) {
    epoll_event evs[32];
    int n = ::epoll_wait(fd_.get(), evs, 32, timeout_ms);
    std::vector<Event> out;
    if (n < 0) {
        if (errno == EINTR) return out;
        throw_errno("epoll_wait");
    }
    for (int i = 0; i < n; i++) out.push_back({evs[i].data.u64, evs[i].events});
    return out;
}

UniqueFd block_and_signalfd(const std::vector<int>& signals) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals) sigaddset(&set, s);
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) < 0) throw_errno("sigprocmask");
    int fd = ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) throw_errno("signalfd");
    return UniqueFd(fd);
}

int read_signal(int sfd) {
    signalfd_siginfo si;
    ssize_t n = retry_eintr([&] { return ::read(sfd, &si, sizeof si); });
    if (n != sizeof si) return 0;
    return static_cast<int>(si.ssi_signo);
}

SignalInfo read_signal_info(int sfd) {
    signalfd_siginfo si;
    ssize_t n = retry_eintr([&] { return ::read(sfd, &si, sizeof si); });
    if (n != sizeof si) return {};
    return SignalInfo{static_cast<int>(si.ssi_signo), si.ssi_code, static_cast<pid_t>(si.ssi_pid)};
}

void unblock_signals(const std::vector<int>& signals) {
    sigset_t set;
    sigemptyset(&set);
    for (int s : signals) sigaddset(&set, s);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
}

UniqueFd timerfd_after_ms(int64_t ms) {
    int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (fd < 0) throw_errno("timerfd_create");
    UniqueFd owner(fd);
    timerfd_rearm_ms(fd, ms);
    return owner;
}

void timerfd_rearm_ms(int fd, int64_t ms) {
    itimerspec its{};
    if (ms > 0) {
        its.it_value.tv_sec = ms / 1000;
        its.it_value.tv_nsec = (ms % 1000) * 1000000;
    }
    if (::timerfd_settime(fd, 0, &its, nullptr) < 0) throw_errno("timerfd_settime");
}

void timerfd_drain(int fd) {
    uint64_t n;
    ssize_t r = ::read(fd, &n, sizeof n);
    (void)r;
}

void wait_priority(int fd, int timeout_ms) {
    pollfd p{fd, POLLPRI, 0};
    ::poll(&p, 1, timeout_ms);
}

}  // namespace podrun::sys
