// Errors from system calls: errno captured at the failure site, with the call and its
// argument, e.g. "setns(pause pid 4121, net): Operation not permitted".
#pragma once

#include <cerrno>
#include <string>
#include <system_error>
#include <type_traits>

namespace podrun::sys {

class SysError : public std::system_error {
  public:
    // `what` names the call and its argument: "mount(proc on /proc)".
    SysError(int err, const std::string& what) : std::system_error(err, std::generic_category(), what) {}
    int err() const { return code().value(); }
};

// Throws SysError with the current errno; call right after the failing syscall.
[[noreturn]] inline void throw_errno(const std::string& what) {
    throw SysError(errno, what);
}

// Repeats a syscall while it fails with EINTR. The only EINTR loop in podrun.
template <typename F>
auto retry_eintr(F&& f) -> decltype(f()) {
    decltype(f()) r;
    do {
        r = f();
    } while (r == -1 && errno == EINTR);
    return r;
}

}  // namespace podrun::sys
