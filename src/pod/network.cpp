// The pod's network: the mode chosen, and what it makes for the pod (see network.hpp).
#include "podrun/pod/network.hpp"

#include <fcntl.h>
#include <signal.h>

#include <cstring>

#include <spdlog/spdlog.h>

#include "podrun/explain.hpp"
#include "podrun/net/cni.hpp"
#include "podrun/net/pasta.hpp"
#include "podrun/sys/child_steps.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/mounts.hpp"
#include "podrun/sys/spawn.hpp"

namespace podrun::pod {

namespace {

// How long pasta may take to configure the pod's interface (it takes ~50 ms here).
constexpr int kPastaReadyMs = 10000;

std::string join_words(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& w : v) s += (s.empty() ? "" : " ") + w;
    return s;
}

// Binds /proc/PID/ns/net to the pod's netns file: pasta (and CNI plugins) take a path, and
// as root pasta joins only a namespace given as a file.
void bind_netns(const state::PodPaths& paths, pid_t pause_pid) {
    if (int e = sys::create_file(paths.netns_file(), 0444); e != 0)
        throw sys::SysError(e, "create " + paths.netns_file());
    const std::string src = "/proc/" + std::to_string(pause_pid) + "/ns/net";
    sys::bind_mount_file(src, paths.netns_file());
    explain("net", "mount --bind " + src + " " + paths.netns_file() + "  (pause's network namespace as a file)");
}

// Unbinds and removes the netns file; "" or the problem.
std::string unbind_netns(const std::string& file) {
    if (file.empty() || !sys::exists(file)) return "";
    // Lazily: pasta may still hold the namespace open through it for a moment.
    int e = sys::detach_mount(file);
    if (e != 0 && e != EINVAL) return "umount2(" + file + ", MNT_DETACH): " + std::strerror(e);
    try {
        sys::remove_file(file);
    } catch (const std::exception& ex) {
        return ex.what();
    }
    explain("net", "umount -l " + file + "; rm " + file);
    return "";
}

}  // namespace

NetworkPlan plan_network(const spec::Pod& pod, const std::optional<spec::NetworkChoice>& flag) {
    NetworkPlan plan;
    spec::NetworkChoice c = flag ? *flag : pod.network;
    const std::string asked =
        flag ? "--network=" + spec::to_string(c) : "metadata.annotations[podrun.io/network] " + spec::to_string(c);
    if (pod.host_network) {
        if (c.mode == spec::NetworkMode::Pasta || c.mode == spec::NetworkMode::Bridge) {
            throw NetworkUnavailable(asked +
                                     ": the pod has hostNetwork: true, so it uses the host's network; "
                                     "remove one of them");
        }
        plan.host = true;
        plan.label = "host";
        return plan;
    }
    if (c.mode == spec::NetworkMode::Default) {
        if (std::string why = net::pasta_problem(); !why.empty()) {
            spdlog::warn("network: none (loopback only): pasta cannot run here: {}", why);
            c.mode = spec::NetworkMode::None;
        } else {
            c.mode = spec::NetworkMode::Pasta;
        }
    }
    plan.mode = c.mode;
    plan.label = spec::to_string(c);
    if (c.mode == spec::NetworkMode::Pasta) {
        if (std::string why = net::pasta_problem(); !why.empty()) throw NetworkUnavailable(asked + ": " + why);
        auto a = net::pasta_addresses();
        if (!a) {
            throw NetworkUnavailable(asked +
                                     ": the host's default-route interface has no IPv4 address for pasta to copy; "
                                     "give it one, or use --network=none");
        }
        plan.pasta = net::find_pasta();
        plan.pod_ip = a->pod_ip;
        plan.gateway = a->gateway;
        explain("net", "network: pasta (" + plan.pasta + "): the pod gets " + plan.pod_ip +
                           " (the host's address), its gateway " + plan.gateway +
                           " reaches the host's loopback (host.podrun.internal)");
    } else if (c.mode == spec::NetworkMode::Bridge) {
        try {
            plan.cni_conflist = net::load_conflist(c.bridge_network);
            auto problems = net::cni_problems(plan.cni_conflist);
            if (!problems.empty()) {
                std::string all;
                for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
                throw NetworkUnavailable(all);
            }
        } catch (const std::exception& e) {
            throw NetworkUnavailable(asked + ": " + e.what());
        }
        plan.cni_network = c.bridge_network.empty() ? "podrun0" : c.bridge_network;
        explain("net",
                "network: bridge, CNI network \"" + plan.cni_network + "\" (plugins in " + net::cni_plugin_dir() + ")");
    } else {
        explain("net", "network: none (loopback only)");
    }
    return plan;
}

PodNetwork::PodNetwork(NetworkPlan plan, const state::PodPaths& paths, state::PodState& st, std::function<void()> save)
    : plan_(std::move(plan)), paths_(paths), st_(st), save_(std::move(save)) {
    st_.network.mode = plan_.label;
}

PodNetwork::~PodNetwork() {
    for (const auto& p : stop()) spdlog::error("network cleanup: {}", p);
}

void PodNetwork::start(pid_t pause_pid, bool die_with_supervisor) {
    if (plan_.host || plan_.mode == spec::NetworkMode::None) return;
    // Recorded first: a supervisor killed from here on leaves a record down and gc act on.
    st_.network.netns_file = paths_.netns_file();
    save_();
    bind_netns(paths_, pause_pid);
    netns_bound_ = true;
    if (plan_.mode == spec::NetworkMode::Pasta) start_pasta(die_with_supervisor);
    if (plan_.mode == spec::NetworkMode::Bridge) start_bridge();
}

void PodNetwork::start_bridge() {
    // The pod's uid is its container ID for CNI: unique per run, so host-local's lease
    // (named by it) is never confused with another run's of the same pod name.
    net::CniCall call{plan_.cni_conflist, st_.uid, paths_.netns_file(), "eth0"};
    st_.network.cni_conflist = call.conflist;
    st_.network.cni_container_id = call.container_id;
    st_.network.cni_ifname = call.ifname;
    save_();  // recorded before ADD: a killed supervisor's gc runs DEL
    cni_added_ = true;
    sys::UniqueFd lock = net::lock_network(call.conflist);
    const std::string result = net::cni_add(call);
    pod_ip_ = net::result_ip(result);
    if (pod_ip_.empty()) throw NetworkUnavailable("CNI ADD gave the pod no IP address: " + result);
    st_.network.cni_result = result;
    st_.network.pod_ip = pod_ip_;
    save_();
    explain("net", "CNI ADD result: pod IP " + pod_ip_);
}

void PodNetwork::start_pasta(bool die_with_supervisor) {
    // pasta writes its pid to -P once the pod's interface is configured: through a pipe
    // given as its stdout, that write is our readiness signal (EOF first: it failed).
    sys::Pipe ready = sys::make_pipe(0);
    sys::UniqueFd log = sys::open_file(paths_.pasta_log(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    sys::ExecPlan exec(net::pasta_argv(plan_.pasta, paths_.netns_file(), "/proc/self/fd/1"), {}, "");
    explain("net", join_words(exec.argv()) +
                       "  (stdout: a pipe for its pid, the readiness signal; stderr: " + paths_.pasta_log() + ")");
    sys::SpawnOptions so;
    so.out = ready.write_end.get();
    so.err = log.get();
    so.die_with_parent = die_with_supervisor;
    so.hold = true;
    sys::Spawned s = sys::spawn(exec, so);
    ready.write_end.reset();
    pasta_ = std::move(s.child);
    st_.network.pasta = {pasta_.pid(), sys::process_start_time(pasta_.pid()).value_or(0)};
    save_();  // pasta's pid is in state before it runs
    s.release();
    std::string got;
    while (got.find('\n') == std::string::npos) {
        if (!sys::wait_readable(ready.read_end.get(), kPastaReadyMs)) {
            throw NetworkUnavailable("pasta did not configure the pod's network within 10 s (" +
                                     net::pasta_errors(sys::try_read_file(paths_.pasta_log()).value_or("")) +
                                     "); see " + paths_.pasta_log());
        }
        char buf[64];
        ssize_t n = sys::read_some(ready.read_end.get(), buf, sizeof buf);
        if (n <= 0) {
            std::string why = net::pasta_errors(sys::try_read_file(paths_.pasta_log()).value_or(""));
            auto st = pasta_.wait();
            throw NetworkUnavailable("pasta failed (exit " + std::to_string(st.shell_code()) +
                                     (why.empty() ? "" : ": " + why) +
                                     "); rerun with --network=none to run the pod with loopback only");
        }
        got.append(buf, static_cast<size_t>(n));
    }
    pod_ip_ = plan_.pod_ip;
    st_.network.pod_ip = pod_ip_;
    explain("net", "pasta pid " + std::to_string(pasta_.pid()) + " configured the pod's interface: " + pod_ip_ +
                       ", default route via " + plan_.gateway);
}

void PodNetwork::begin_stop() {
    if (!pasta_.alive()) return;
    explain("net", "kill(pasta " + std::to_string(pasta_.pid()) + ", SIGKILL)  (reaped after pause)");
    pasta_.signal(SIGKILL);
    pasta_killed_ = true;
}

std::vector<std::string> PodNetwork::stop() {
    std::vector<std::string> problems;
    if (pasta_.alive()) {
        if (!pasta_killed_) {
            explain("net", "kill(pasta " + std::to_string(pasta_.pid()) + ", SIGTERM)");
            pasta_.signal(SIGTERM);
        }
        try {
            pasta_.wait();
        } catch (const std::exception&) {
            // Reaped already: by the supervisor's orphan reaper, or while we waited for pause
            // (which reaps every child that ends).
            pasta_.release();
        }
    }
    if (cni_added_) {
        net::CniCall call{st_.network.cni_conflist, st_.network.cni_container_id, paths_.netns_file(),
                          st_.network.cni_ifname};
        try {
            sys::UniqueFd lock = net::lock_network(call.conflist);
            for (auto& p : net::cni_del(call, st_.network.cni_result)) problems.push_back(p);
            if (st_.network.mode == "bridge") {
                if (auto p = net::remove_bridge_if_unused(call.conflist); !p.empty()) problems.push_back(p);
            }
        } catch (const std::exception& e) {
            problems.push_back(std::string("CNI DEL: ") + e.what());
        }
        cni_added_ = false;
    }
    if (netns_bound_) {
        if (auto p = unbind_netns(paths_.netns_file()); !p.empty()) problems.push_back(p);
        netns_bound_ = false;
    }
    return problems;
}

void teardown_network(const state::PodPaths& paths, const state::NetworkRecord& rec,
                      std::vector<std::string>& problems) {
    (void)paths;
    if (rec.pasta.pid > 0 && sys::signal_if_same(rec.pasta.pid, rec.pasta.start_time, SIGKILL))
        explain("net", "kill(pasta " + std::to_string(rec.pasta.pid) + ", SIGKILL)  (recorded in state.json)");
    // DEL only while the netns file is still there: the pod's own stop removes it after its DEL.
    if (!rec.cni_container_id.empty() && !rec.netns_file.empty() && sys::exists(rec.netns_file)) {
        net::CniCall call{rec.cni_conflist, rec.cni_container_id, rec.netns_file, rec.cni_ifname};
        try {
            sys::UniqueFd lock = net::lock_network(call.conflist);
            for (auto& p : net::cni_del(call, rec.cni_result)) problems.push_back(p);
            if (rec.mode == "bridge") {
                if (auto p = net::remove_bridge_if_unused(call.conflist); !p.empty()) problems.push_back(p);
            }
        } catch (const std::exception& e) {
            problems.push_back(std::string("CNI DEL: ") + e.what());
        }
    }
    if (auto p = unbind_netns(rec.netns_file); !p.empty()) problems.push_back(p);
}

}  // namespace podrun::pod
