// Stop signal names: Kubernetes' Linux list (pkg/apis/core Signal) and Docker's parse of an
// image's StopSignal.
#include "podrun/spec/signals.hpp"

#include <signal.h>

#include <array>
#include <charconv>

namespace podrun::spec {
namespace {

struct Named {
    std::string_view name;
    int number;
};

// Kubernetes' supportedStopSignalsLinux, in its order. The real-time signals are numbered
// as the C library sees them (glibc keeps 32 and 33 for itself: SIGRTMIN is 34), which is
// also how containerd and runc turn "SIGRTMIN+N" into a number.
constexpr int kRtMin = 34, kRtMax = 64;
constexpr std::array<Named, 65> kSignals = {{
    {"SIGABRT", SIGABRT},
    {"SIGALRM", SIGALRM},
    {"SIGBUS", SIGBUS},
    {"SIGCHLD", SIGCHLD},
    {"SIGCLD", SIGCHLD},
    {"SIGCONT", SIGCONT},
    {"SIGFPE", SIGFPE},
    {"SIGHUP", SIGHUP},
    {"SIGILL", SIGILL},
    {"SIGINT", SIGINT},
    {"SIGIO", SIGIO},
    {"SIGIOT", SIGIOT},
    {"SIGKILL", SIGKILL},
    {"SIGPIPE", SIGPIPE},
    {"SIGPOLL", SIGPOLL},
    {"SIGPROF", SIGPROF},
    {"SIGPWR", SIGPWR},
    {"SIGQUIT", SIGQUIT},
    {"SIGSEGV", SIGSEGV},
    {"SIGSTKFLT", SIGSTKFLT},
    {"SIGSTOP", SIGSTOP},
    {"SIGSYS", SIGSYS},
    {"SIGTERM", SIGTERM},
    {"SIGTRAP", SIGTRAP},
    {"SIGTSTP", SIGTSTP},
    {"SIGTTIN", SIGTTIN},
    {"SIGTTOU", SIGTTOU},
    {"SIGURG", SIGURG},
    {"SIGUSR1", SIGUSR1},
    {"SIGUSR2", SIGUSR2},
    {"SIGVTALRM", SIGVTALRM},
    {"SIGWINCH", SIGWINCH},
    {"SIGXCPU", SIGXCPU},
    {"SIGXFSZ", SIGXFSZ},
    {"SIGRTMIN", kRtMin},
    {"SIGRTMIN+1", kRtMin + 1},
    {"SIGRTMIN+2", kRtMin + 2},
    {"SIGRTMIN+3", kRtMin + 3},
    {"SIGRTMIN+4", kRtMin + 4},
    {"SIGRTMIN+5", kRtMin + 5},
    {"SIGRTMIN+6", kRtMin + 6},
    {"SIGRTMIN+7", kRtMin + 7},
    {"SIGRTMIN+8", kRtMin + 8},
    {"SIGRTMIN+9", kRtMin + 9},
    {"SIGRTMIN+10", kRtMin + 10},
    {"SIGRTMIN+11", kRtMin + 11},
    {"SIGRTMIN+12", kRtMin + 12},
    {"SIGRTMIN+13", kRtMin + 13},
    {"SIGRTMIN+14", kRtMin + 14},
    {"SIGRTMIN+15", kRtMin + 15},
    {"SIGRTMAX-14", kRtMax - 14},
    {"SIGRTMAX-13", kRtMax - 13},
    {"SIGRTMAX-12", kRtMax - 12},
    {"SIGRTMAX-11", kRtMax - 11},
    {"SIGRTMAX-10", kRtMax - 10},
    {"SIGRTMAX-9", kRtMax - 9},
    {"SIGRTMAX-8", kRtMax - 8},
    {"SIGRTMAX-7", kRtMax - 7},
    {"SIGRTMAX-6", kRtMax - 6},
    {"SIGRTMAX-5", kRtMax - 5},
    {"SIGRTMAX-4", kRtMax - 4},
    {"SIGRTMAX-3", kRtMax - 3},
    {"SIGRTMAX-2", kRtMax - 2},
    {"SIGRTMAX-1", kRtMax - 1},
    {"SIGRTMAX", kRtMax},
}};

std::optional<Named> find(std::string_view name) {
    for (const Named& s : kSignals)
        if (s.name == name) return s;
    return std::nullopt;
}

}  // namespace

std::optional<int> kubernetes_signal(std::string_view name) {
    if (auto s = find(name)) return s->number;
    return std::nullopt;
}

std::optional<std::string> image_stop_signal(std::string_view value) {
    int n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec == std::errc() && end == value.data() + value.size()) {
        // By number: the first name of that number (SIGCHLD before SIGCLD, SIGIO before SIGPOLL).
        for (const Named& s : kSignals)
            if (s.number == n) return std::string(s.name);
        return std::nullopt;
    }
    std::string name(value);
    for (char& c : name) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    if (name.rfind("SIG", 0) != 0) name = "SIG" + name;
    if (find(name)) return name;
    return std::nullopt;
}

std::string kubernetes_signal_names() {
    std::string out;
    for (const Named& s : kSignals) out += (out.empty() ? "" : ", ") + std::string(s.name);
    return out;
}

}  // namespace podrun::spec
