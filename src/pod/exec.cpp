// `podrun exec` (see exec.hpp): find the container from the pod's state, enter it with
// launcher::enter, then either wait (the command has our stdio) or, with -t, relay bytes
// between our terminal and the command's pty until it exits. Signals sent to us go on to it.
#include "podrun/pod/exec.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "podrun/cgroup/cgroup.hpp"
#include "podrun/launcher/enter.hpp"
#include "podrun/pod/pod.hpp"
#include "podrun/sys/events.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/process.hpp"
#include "podrun/sys/tty.hpp"

namespace podrun::pod {

ContainerChoice choose_container(const state::PodState& st, const std::string& requested) {
    std::string names;
    for (const auto& c : st.containers) {
        if (!c.init) names += (names.empty() ? "" : ", ") + c.name;
    }
    for (const auto& c : st.containers) {
        if (c.init) names += (names.empty() ? "" : ", ") + c.name + " (init)";
    }
    auto known = [&](const std::string& n) {
        for (const auto& c : st.containers) {
            if (c.name == n) return true;
        }
        return false;
    };
    if (!requested.empty()) {
        if (!known(requested)) {
            throw InvalidInput(
                {"container \"" + requested + "\" is not in pod \"" + st.name + "\" (choose one of: " + names + ")"});
        }
        return {requested, ""};
    }
    ContainerChoice ch;
    auto a = st.annotations.find("kubectl.kubernetes.io/default-container");
    if (a != st.annotations.end() && known(a->second)) {
        ch.name = a->second;
    } else {
        for (const auto& c : st.containers) {
            if (!c.init) {
                ch.name = c.name;
                break;
            }
        }
    }
    if (ch.name.empty()) throw InvalidInput({"pod \"" + st.name + "\" has no containers"});
    if (st.containers.size() > 1) ch.note = "Defaulted container \"" + ch.name + "\" out of: " + names;
    return ch;
}

std::vector<std::string> parse_environ(const std::string& raw) {
    std::vector<std::string> env;
    size_t i = 0;
    while (i < raw.size()) {
        size_t j = raw.find('\0', i);
        if (j == std::string::npos) j = raw.size();
        if (j > i) env.push_back(raw.substr(i, j - i));
        i = j + 1;
    }
    return env;
}

int exec_failure_code(int err) {
    return err == ENOENT ? kExitNotFound : kExitCannotExec;
}

namespace {

// Signals `podrun exec` passes on to the command.
const std::vector<int> kForwarded{SIGINT, SIGTERM, SIGHUP, SIGQUIT};

bool forwarded(int sig) {
    for (int s : kForwarded) {
        if (s == sig) return true;
    }
    return false;
}

// Without -t the command shares our process group: a terminal's ^C (si_code SI_KERNEL,
// sent to the whole foreground group) has reached it already; kill(2)s are passed on.
int wait_plain(sys::ChildProcess& child, int sigfd) {
    sys::Epoll ep;
    ep.add(sigfd, 0);
    ep.add(child.pidfd(), 1);
    for (;;) {
        for (const auto& ev : ep.wait(-1)) {
            if (ev.tag == 1) return child.wait().shell_code();
            sys::SignalInfo si = sys::read_signal_info(sigfd);
            if (forwarded(si.signo) && si.code != SI_KERNEL) child.signal(si.signo);
        }
    }
}

// With -t: our stdin (-i) -> pty master -> our stdout, until the command exits and what it
// wrote has been read. The command is in its own session, so every signal is passed on;
// SIGWINCH copies our terminal's size to the pty (the kernel then signals the command).
int relay_tty(sys::ChildProcess& child, int sigfd, int master, bool read_stdin, int term_fd) {
    enum Tag : uint64_t { kSig, kExit, kMaster, kStdin };
    constexpr size_t kMaxPending = 1 << 16;
    sys::set_nonblock(master);
    sys::Epoll ep;
    ep.add(sigfd, kSig);
    ep.add(child.pidfd(), kExit);
    ep.add(master, kMaster, EPOLLIN);
    std::string pending;  // from our stdin, not yet taken by the pty
    bool stdin_open = read_stdin, stdin_watched = false, master_open = true;
    uint32_t master_events = EPOLLIN;
    if (stdin_open) {
        try {
            ep.add(STDIN_FILENO, kStdin, EPOLLIN);
            stdin_watched = true;
        } catch (const sys::SysError& e) {
            if (e.err() != EPERM) throw;
            // A regular file (epoll refuses those): it is all there, take it now.
            pending = sys::read_to_eof(STDIN_FILENO) + '\x04';
            stdin_open = false;
        }
    }
    char buf[16384];
    bool exited = false;
    while (!exited) {
        uint32_t want = EPOLLIN | (pending.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT));
        if (master_open && want != master_events) {
            ep.modify(master, kMaster, want);
            master_events = want;
        }
        if (stdin_open && stdin_watched != (pending.size() < kMaxPending)) {
            stdin_watched = !stdin_watched;
            ep.modify(STDIN_FILENO, kStdin, stdin_watched ? uint32_t{EPOLLIN} : 0u);
        }
        for (const auto& ev : ep.wait(-1)) {
            switch (ev.tag) {
                case kSig: {
                    sys::SignalInfo si = sys::read_signal_info(sigfd);
                    if (si.signo == SIGWINCH) {
                        if (auto ws = term_fd >= 0 ? sys::window_size(term_fd) : std::nullopt)
                            sys::set_window_size(master, *ws);
                    } else if (forwarded(si.signo)) {
                        child.signal(si.signo);
                    }
                    break;
                }
                case kExit:
                    exited = true;
                    break;
                case kMaster:
                    if (!master_open) break;
                    if (ev.events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                        ssize_t n = sys::read_some(master, buf, sizeof buf);
                        if (n > 0) {
                            sys::write_all(STDOUT_FILENO, std::string(buf, static_cast<size_t>(n)));
                        } else if (n == 0) {
                            master_open = false;  // no terminal side left: the command and its children are gone
                            ep.remove(master);
                            break;
                        }
                    }
                    if ((ev.events & EPOLLOUT) && !pending.empty()) {
                        ssize_t n = sys::write_some(master, pending.data(), pending.size());
                        if (n > 0) pending.erase(0, static_cast<size_t>(n));
                        if (n == 0) pending.clear();
                    }
                    break;
                case kStdin: {
                    ssize_t n = sys::read_some(STDIN_FILENO, buf, sizeof buf);
                    if (n > 0) {
                        pending.append(buf, static_cast<size_t>(n));
                    } else if (n == 0) {
                        // Our input ended: ^D (VEOF) tells the command's terminal so.
                        pending += '\x04';
                        stdin_open = false;
                        ep.remove(STDIN_FILENO);
                    }
                    break;
                }
                default:
                    break;
            }
        }
    }
    // The command has exited: everything it wrote is in the pty already.
    while (master_open) {
        ssize_t n = sys::read_some(master, buf, sizeof buf);
        if (n <= 0) break;
        sys::write_all(STDOUT_FILENO, std::string(buf, static_cast<size_t>(n)));
    }
    return child.wait().shell_code();
}

}  // namespace

int exec(const std::string& pod, const std::vector<std::string>& argv, const ExecOptions& opts) {
    auto paths = state::PodPaths::for_pod(pod);
    auto st = state::load(paths);
    if (!st) throw InvalidInput({"pod \"" + pod + "\" not found (podrun ps lists pods)"});
    ContainerChoice choice = choose_container(*st, opts.container);
    if (!choice.note.empty()) std::fprintf(stderr, "%s\n", choice.note.c_str());
    const state::ContainerRecord* rec = nullptr;
    for (const auto& c : st->containers) {
        if (c.name == choice.name) rec = &c;
    }
    if (!rec || rec->state != "running" || !rec->process.matches()) {
        std::string now = rec ? rec->state + (rec->reason.empty() ? "" : ": " + rec->reason) : "unknown";
        throw InvalidInput({"container \"" + choice.name + "\" of pod \"" + pod + "\" is not running (" + now +
                            "; pod phase " + st->phase + ")"});
    }

    launcher::EnterTarget target;
    target.container_pid = rec->process.pid;
    target.start_time = rec->process.start_time;
    target.leaf_dir = cgroup::PodTree(st->cgroup_parent, st->name).leaf_dir(rec->name);
    target.name = rec->name;

    launcher::EnterRequest req;
    req.argv = argv;
    // The environment the container's process really got (manifest env, PATH, HOSTNAME, ...).
    auto env_text = sys::try_read_file("/proc/" + std::to_string(target.container_pid) + "/environ");
    if (!env_text) throw sys::SysError(ESRCH, "read(/proc/" + std::to_string(target.container_pid) + "/environ)");
    req.env = parse_environ(*env_text);
    req.cwd = rec->working_dir.empty() ? "/" : rec->working_dir;
    const confine::ContainerPlan confinement = confine::PodConfinement::load(paths.dir(), rec->name);
    req.confine = &confinement;

    // Blocked before the command exists, so none is lost in between; it unblocks its own.
    sys::UniqueFd sigfd = sys::block_and_signalfd({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH});
    ::signal(SIGPIPE, SIG_IGN);  // a closed stdout must not kill us while the command runs

    std::optional<sys::Pty> pty;
    int term_fd =
        sys::is_terminal(STDIN_FILENO) ? STDIN_FILENO : (sys::is_terminal(STDOUT_FILENO) ? STDOUT_FILENO : -1);
    if (opts.tty) {
        pty = launcher::open_pty(target);
        if (auto ws = term_fd >= 0 ? sys::window_size(term_fd) : std::nullopt)
            sys::set_window_size(pty->master.get(), *ws);
        bool has_term = false;
        for (const auto& e : req.env) has_term = has_term || e.rfind("TERM=", 0) == 0;
        if (!has_term) {
            const char* ours = std::getenv("TERM");
            req.env.push_back(std::string("TERM=") + (ours && *ours ? ours : "xterm"));
        }
        req.stdin_fd = req.stdout_fd = req.stderr_fd = pty->slave.get();
        req.controlling_tty = true;
    } else {
        req.stdin_fd = opts.stdin_open ? STDIN_FILENO : -1;
        req.stdout_fd = STDOUT_FILENO;
        req.stderr_fd = STDERR_FILENO;
    }

    sys::ChildProcess child;
    try {
        child = launcher::enter(target, req);
    } catch (const launcher::ExecError& e) {
        spdlog::error("{}", e.what());
        return exec_failure_code(e.err());
    }
    if (!opts.tty) return wait_plain(child, sigfd.get());
    pty->slave.reset();  // the command holds it now; the master reads EIO once it is gone
    // Our terminal passes bytes through untouched: the pty's line discipline does the work
    // (echo, ^C, "\r\n"). Restored on every way out, exceptions included; the output side
    // is restored first (reverse order), so the input side's saved settings win.
    std::optional<sys::RawMode> raw_in, raw_out;
    if (opts.stdin_open && sys::is_terminal(STDIN_FILENO)) raw_in.emplace(STDIN_FILENO, true);
    if (sys::is_terminal(STDOUT_FILENO)) raw_out.emplace(STDOUT_FILENO, false);
    return relay_tty(child, sigfd.get(), pty->master.get(), opts.stdin_open, term_fd);
}

}  // namespace podrun::pod
