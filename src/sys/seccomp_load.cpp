// seccomp: the load in the child, and the memfd the parent exports a compiled program into
// (libseccomp 2.5 has seccomp_export_bpf(fd) but not yet seccomp_export_bpf_mem).
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "podrun/sys/confine.hpp"
#include "podrun/sys/error.hpp"

namespace podrun::sys {

int load_seccomp_filter(const sock_fprog* prog) noexcept {
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog) < 0 ? errno : 0;
}

UniqueFd make_memfd(const char* name) {
    int fd = memfd_create(name, MFD_CLOEXEC);
    if (fd < 0) throw_errno(std::string("memfd_create(") + name + ")");
    return UniqueFd(fd);
}

std::string read_memfd(int fd) {
    std::string out;
    char buf[8192];
    for (off_t at = 0;;) {
        ssize_t n = retry_eintr([&] { return ::pread(fd, buf, sizeof buf, at); });
        if (n < 0) throw_errno("pread(memfd)");
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        at += n;
    }
    return out;
}

}  // namespace podrun::sys
