// `podrun up` in the foreground: the pod's whole life in one function's steps.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <utility>

#include <spdlog/spdlog.h>

#include "podrun/cgroup/cgroup.hpp"
#include "podrun/cgroup/controllers.hpp"
#include "podrun/confine/confine.hpp"
#include "podrun/explain.hpp"
#include "podrun/launcher/launcher.hpp"
#include "podrun/net/dns.hpp"
#include "podrun/net/forwarder.hpp"
#include "podrun/net/ports.hpp"
#include "podrun/pod/images.hpp"
#include "podrun/pod/network.hpp"
#include "podrun/pod/pod.hpp"
#include "podrun/pod/volumes.hpp"
#include "podrun/sandbox/sandbox.hpp"
#include "podrun/spec/downward.hpp"
#include "podrun/supervisor/supervisor.hpp"
#include "podrun/sys/clock.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/host.hpp"
#include "podrun/sys/locks.hpp"
#include "podrun/sys/mount.hpp"
#include "podrun/sys/process.hpp"
#include "podrun/sys/uuid.hpp"

namespace podrun::pod {

namespace {

std::string state_name(supervisor::CState s) {
    switch (s) {
        case supervisor::CState::Waiting:
            return "waiting";
        case supervisor::CState::Running:
            return "running";
        case supervisor::CState::Terminated:
            return "terminated";
    }
    return "unknown";
}

// Undo on scope exit: whatever `up` created goes, whether it returns or throws.
// Two descriptors on /dev/null are held from the start and closed first: an `up` that failed
// for want of descriptors (EMFILE) still has the ones teardown needs to remove directories.
class Rollback {
  public:
    Rollback(const state::PodPaths& paths, std::string cgroup_parent, sys::UniqueFd* reserve)
        : paths_(paths), cgroup_parent_(std::move(cgroup_parent)), reserve_(reserve) {}
    ~Rollback() {
        for (int i = 0; i < 2; i++) reserve_[i].reset();
        for (const auto& p : teardown(paths_, cgroup_parent_)) spdlog::error("cleanup: {}", p);
    }

  private:
    const state::PodPaths& paths_;
    std::string cgroup_parent_;
    sys::UniqueFd* reserve_;
};

// Waits for pause to exit, reaping every other child that ends meanwhile. pause, PID 1 of
// the pod, exits only once every process of its pid namespace has been reaped, and exec
// probes killed on a timeout are our children, reaped when they die (some may still be
// dying): waiting for pause alone could wait for ever.
void reap_until_exited(sys::ChildProcess& pause) {
    const pid_t pid = pause.release();
    for (pid_t p = sys::reap_any(); p != 0 && p != pid; p = sys::reap_any()) {}
}

// Binds the pod's hostPorts. A port somebody holds fails the pod (exit 125) naming the port,
// its protocol and, when another pod's state records it, that pod.
std::unique_ptr<net::Forwarder> bind_host_ports(const std::vector<net::PublishedPort>& ports, const std::string& self) {
    try {
        return std::make_unique<net::Forwarder>(ports);
    } catch (const net::PortInUse& e) {
        std::string holder = "another process";
        for (const auto& other : state::list_pods()) {
            if (other == self) continue;
            auto st = state::load(state::PodPaths::for_pod(other));
            if (!st) continue;
            for (const auto& r : st->ports) {
                if (net::overlaps(e.port,
                                  net::PublishedPort{r.host_ip, r.host_port, r.container_port, r.protocol, ""})) {
                    holder = "pod \"" + other + "\"";
                }
            }
        }
        throw std::runtime_error(e.port.path + ": hostPort " + std::to_string(e.port.host_port) + "/" +
                                 e.port.protocol + " on " + e.port.host_ip + " is already in use by " + holder + " (" +
                                 e.what() + "); free it or choose another hostPort");
    }
}

}  // namespace

std::set<std::string> check_controllers(const spec::Pod& pod, const std::string& mount, std::optional<int64_t> pids_max,
                                        bool no_limits) {
    std::set<std::string> need = cgroup::needed_controllers(pod, pids_max);
    std::set<std::string> have = cgroup::available_controllers(mount);
    std::vector<std::string> missing;
    for (const auto& c : need) {
        if (!have.count(c)) missing.push_back(c);
    }
    if (missing.empty()) return need;
    std::string list;
    for (const auto& c : missing) list += (list.empty() ? "" : ", ") + c;
    std::string where = cgroup::first_use(pod, missing.front());
    if (!no_limits) {
        throw LimitsUnavailable(where + ": needs the cgroup v2 controller(s) " + list + ", which " + mount +
                                " does not offer (on a hybrid host they are on cgroup v1, which podrun never "
                                "touches); rerun with --no-limits to run the pod without enforcing its limits");
    }
    spdlog::warn(
        "--no-limits: {} (and every other limit of this pod) NOT enforced: cgroup v2 controller(s) {} "
        "missing in {}",
        where, list, mount);
    return {};
}

std::vector<std::string> teardown(const state::PodPaths& paths, const std::string& cgroup_parent) {
    std::vector<std::string> problems;
    // The network's helpers and files first (pasta lives outside the pod's cgroup, and the
    // netns file is a mount in the host's namespace under the pod's directory).
    if (auto old = state::load(paths)) teardown_network(paths, old->network, problems);
    // Processes next: everything of the pod lives in its cgroup, so cgroup.kill reaches
    // pause, containers and their children alike, even after a supervisor crash.
    if (!cgroup_parent.empty()) {
        cgroup::PodTree tree(cgroup_parent, paths.pod);
        for (auto& p : tree.destroy()) problems.push_back(p);
    }
    try {
        sys::remove_tree(paths.lib_dir());
        explain("state", "rm -r " + paths.lib_dir());
    } catch (const std::exception& e) {
        problems.push_back(e.what());
    }
    try {
        sys::remove_tree(paths.dir());
        explain("state", "rm -r " + paths.dir());
    } catch (const std::exception& e) {
        problems.push_back(e.what());
    }
    // The roots themselves (/run/podrun, /var/lib/podrun) stay: other pods may be taking
    // the short lock on /run/podrun right now.
    return problems;
}

int up(const spec::Pod& manifest_pod, const UpOptions& opts) {
    // Images first, before anything is created: pulled by imagePullPolicy, and each
    // container given what its image says (docs/images.md). The rest runs on this copy.
    check_host(manifest_pod);
    if (auto problems = net::port_problems(manifest_pod); !problems.empty()) throw InvalidInput(problems);
    spec::Pod pod = manifest_pod;
    std::map<std::string, ImageUse> images;
    // `up -d` only: an image that cannot be pulled yet does not end the pod; it is made and
    // waits (ImagePullBackOff, below) before the rest. The foreground `up` fails at once.
    std::optional<ImageProblem> pull_failed;
    try {
        images = prepare_images(pod, opts.explain, opts.insecure_registries);
    } catch (const ImageProblem& e) {
        if (!opts.detached || e.reason != "ErrImagePull") throw;
        pull_failed = e;
        pod = manifest_pod;
    }
    // Still before anything of the pod is created: securityContext problems against the
    // images' users, and the seccomp programs compiled.
    auto prepare_confinement = [&] {
        try {
            return confine::PodConfinement::prepare(pod);
        } catch (const confine::Refused& e) {
            throw InvalidInput(e.problems);
        }
    };
    std::optional<confine::PodConfinement> confinement;
    if (!pull_failed) confinement.emplace(prepare_confinement());
    const std::string name = pod.metadata.name;
    state::PodPaths paths = state::PodPaths::for_pod(name);

    auto mount = cgroup::find_cgroup2_mount();
    if (!mount) throw sys::SysError(ENOENT, "find a cgroup2 mount in /proc/self/mountinfo (mount cgroup2 first)");
    std::string cg_parent = opts.cgroup_parent.empty() ? cgroup::default_parent(*mount) : opts.cgroup_parent;
    std::optional<int64_t> pids_max = opts.pids_max ? opts.pids_max : pod.pids_max;
    std::set<std::string> controllers = check_controllers(pod, *mount, pids_max, opts.no_limits);
    NetworkPlan net_plan = [&] {
        try {
            return plan_network(pod, opts.network);
        } catch (const NetworkUnavailable& e) {
            throw std::runtime_error(std::string("network: ") + e.what());
        }
    }();
    const net::ResolvConf resolv = net::resolv_conf(pod, sys::try_read_file("/etc/resolv.conf").value_or(""));
    for (const auto& w : resolv.warnings) spdlog::warn("{}", w);

    // Step 1: the pod's directory and lock, decided under a short lock on /run/podrun so
    // that two `up`s (or an `up` and a `down`) of one name cannot interleave. The pod's own
    // lock is then held for the supervisor's life: held = running.
    sys::mkdir_p(paths.run_root, 0755);
    sys::UniqueFd reserve[2] = {sys::open_file("/dev/null", O_RDONLY), sys::open_file("/dev/null", O_RDONLY)};
    sys::UniqueFd lock;
    {
        sys::UniqueFd roots = sys::lock_dir(paths.run_root);
        bool made = sys::make_dir(paths.dir(), 0700);
        if (!made) {
            lock = sys::lock_file(paths.lock_file(), true);
            if (!lock) {
                throw InvalidInput(
                    {"metadata.name: pod \"" + name + "\" is already running (podrun down " + name + ")"});
            }
            // Left behind by a supervisor that was killed: clean it before starting afresh.
            auto old = state::load(paths);
            spdlog::warn("pod {}: removing what a previous run left behind", name);
            for (auto& p : teardown(paths, old ? old->cgroup_parent : cg_parent)) spdlog::warn("cleanup: {}", p);
            made = sys::make_dir(paths.dir(), 0700);
        }
        try {
            lock = sys::lock_file(paths.lock_file(), true);
        } catch (const sys::SysError&) {
            // (EMFILE): the directory we just made is still empty, and ours under the short lock.
            if (made) (void)sys::rmdir_errno(paths.dir());
            throw;
        }
        if (!lock) throw InvalidInput({"metadata.name: pod \"" + name + "\" is being started by another podrun"});
    }
    // Declared after the lock: teardown runs while the lock is still held.
    Rollback rollback(paths, cg_parent, reserve);
    if (opts.on_dir_ready) opts.on_dir_ready(paths);

    // Step 2: record before creating (DESIGN.md section 7).
    auto record = [&] {
        state::PodState st;
        st.name = name;
        st.uid = sys::random_uuid();
        st.created_at = sys::now_rfc3339();
        st.manifest_path = opts.manifest;
        st.supervisor = {::getpid(), sys::process_start_time(::getpid()).value_or(0)};
        st.cgroup_parent = cg_parent;
        st.dirs = {paths.dir(), paths.lib_dir()};
        st.grace_seconds = pod.termination_grace_period_seconds;
        st.detached = opts.detached;
        st.namespace_ = pod.metadata.namespace_;
        st.labels = pod.metadata.labels;
        st.annotations = pod.metadata.annotations;
        st.hostname = pod.effective_hostname();
        for (const auto* list : {&pod.init_containers, &pod.containers}) {
            for (const auto& c : *list) {
                state::ContainerRecord rec;
                rec.name = c.name;
                rec.init = list == &pod.init_containers;
                rec.working_dir = c.working_dir;
                if (auto u = images.find(c.name); u != images.end()) {
                    rec.image = u->second.image;
                    rec.image_id = u->second.image_id;
                    rec.image_ref = u->second.config_id;
                }
                st.containers.push_back(rec);
            }
        }
        return st;
    };
    if (pull_failed) {
        // Step 2a (up -d): the pod exists and is recorded, waiting for its images.
        auto pulled = wait_for_images(manifest_pod, *pull_failed, paths, record(), opts.explain,
                                      opts.insecure_registries, opts.on_waiting);
        if (!pulled) return 0;  // `down` while waiting: nothing ran; Rollback removes the pod
        pod = std::move(pulled->pod);
        images = std::move(pulled->images);
        try {
            confinement.emplace(prepare_confinement());
        } catch (const InvalidInput& e) {
            for (const auto& p : e.problems) spdlog::error("{}", p);
            throw;
        }
    }
    state::PodState st = record();
    const std::vector<net::PublishedPort> ports = net::published_ports(pod, !pod.host_network && sys::have_ipv6());
    for (const auto& p : ports) st.ports.push_back({p.host_ip, p.host_port, p.container_port, p.protocol});
    for (const auto& v : pod.volumes)
        if (const auto* c = std::get_if<spec::ClaimVolume>(&v.source)) st.claims.push_back(c->claim);
    state::save(paths, st);
    confinement->save(paths.dir());  // for `podrun exec`

    // Step 3: every hostPort bound before anything runs (a port in use fails the pod here,
    // with nothing started). The listeners live in the supervisor: they die with it, so even
    // a SIGKILL frees the ports. Declared after the rollback: closed before it runs.
    std::unique_ptr<net::Forwarder> forwarder;
    if (pod.host_network && !ports.empty()) {
        explain("net", "hostNetwork: no forwarder; the containers bind the host's ports themselves");
    } else if (!ports.empty()) {
        forwarder = bind_host_ports(ports, name);
    }

    // Step 3b: files and volumes on the host.
    sys::mkdir_p(paths.logs_dir(), 0700);
    for (const auto& v : pod.volumes) {
        const auto* ed = std::get_if<spec::EmptyDirVolume>(&v.source);
        if (ed && !ed->memory) {
            sys::mkdir_p(paths.disk_volume(v.name), 0755);
            sys::change_mode(paths.disk_volume(v.name), 0777);  // emptyDir is world-writable, as the kubelet makes it
            explain("pod", "mkdir " + paths.disk_volume(v.name) + " (emptyDir \"" + v.name + "\" on disk)");
            if (const auto& g = pod.security.fs_group) {
                // fsGroup: the kubelet's SetVolumeOwnership - the group, g+rwx and setgid, so
                // files made in it get the group. The volume is new and empty, so
                // fsGroupChangePolicy (Always, OnRootMismatch) makes no difference here.
                sys::set_volume_group(paths.disk_volume(v.name), *g, 02777);
                explain("pod", "chown(" + paths.disk_volume(v.name) + ", -1, " + std::to_string(*g) +
                                   "); chmod(02777)  (fsGroup: the volume's group, g+rwx, setgid)");
            }
        }
    }

    // persistentVolumeClaims: made on first use (or from the file's objects), recorded in
    // state above so that `volume rm` refuses them from now on. Claims this `up` made are
    // removed again if it fails before the pod runs; once it ran, their data stays.
    struct NewClaims {
        std::vector<std::string> names;
        bool keep = false;
        ~NewClaims() {
            if (keep) return;
            for (const auto& n : names) {
                try {
                    volumes::remove_claim(n);
                } catch (const std::exception& e) {
                    spdlog::error("cleanup: claim {}: {}", n, e.what());
                }
            }
        }
    } new_claims{prepare_claims(pod, opts.claims, opts.manifest)};

    // Step 3c: the downward API's values, now that the pod has its uid: downwardAPI and
    // serviceAccountToken files (written by pause's child), resourceFieldRef (read at each
    // start). An unset limit reads as the node's allocatable: this machine's capacity.
    spec::PodRuntimeInfo info{st.uid, "127.0.0.1", "127.0.0.1"};
    const sys::HostCapacity cap = sys::host_capacity(paths.lib_root);
    info.node = {cap.cpus * 1000, cap.memory_bytes, cap.storage_bytes};
    spec::resolve_downward(pod, info);

    // Step 4: cgroups (controllers, the pod's limits), then pause in its leaf.
    cgroup::PodTree cg(cg_parent, name);
    cg.set_limits(controllers, opts.weight_formula);
    cg.create();
    auto enabled = cgroup::enable_controllers(*mount, cg.pod_dir(), controllers);
    if (!enabled.moved_pids.empty()) {
        spdlog::info(
            "moved {} process(es) out of the cgroup namespace root into {} so that controllers can be "
            "enabled (cgroup v2: no internal processes)",
            enabled.moved_pids.size(), enabled.moved_to);
    }
    cgroup::PodTree::apply(cg.pod_dir(), cgroup::pod_writes(pod, opts.weight_formula, pids_max, controllers));
    sandbox::SandboxOptions sopts;
    sopts.pause_path = sandbox::find_pause_binary();
    sopts.die_with_supervisor = !opts.detached;
    if (!net_plan.pod_ip.empty()) sopts.pod_ip = net_plan.pod_ip;
    sopts.host_internal_ip = net_plan.gateway;
    sopts.resolv_conf = resolv.text;
    sandbox::Sandbox sb = sandbox::start(pod, paths, cg, sopts);
    // If `up` fails from here on, pause is ended (before sb goes) without a deadlock.
    struct EndPause {
        sys::ChildProcess& pause;
        ~EndPause() {
            if (!pause.alive()) return;
            pause.signal(SIGKILL);
            try {
                reap_until_exited(pause);
            } catch (const std::exception& e) {
                spdlog::error("reaping pause: {}", e.what());
            }
        }
    } end_pause{sb.pause};
    // pause is recorded with the containers, in the supervisor's first save (before its loop
    // first blocks): until then it is already covered by the pod cgroup recorded in step 2,
    // which is what gc and down kill. One fsync fewer per pod (bench/RESULTS.md).
    st.pause = {sb.pause.pid(), sys::process_start_time(sb.pause.pid()).value_or(0)};
    st.phase = "Pending";
    spdlog::info("pod {} started: pause pid {}", name, sb.pause.pid());
    if (forwarder) forwarder->set_target(sb.pause.pidfd());
    // Step 4b: the pod's network (docs/network.md), before any container: pasta or the CNI
    // plugins, each recorded before it runs. Declared after end_pause: stopped before pause.
    PodNetwork network(net_plan, paths, st, [&] { state::save(paths, st); });
    network.start(sb.pause.pid(), !opts.detached);
    if (!network.pod_ip().empty() && network.pod_ip() != sopts.pod_ip) {
        // The address came from the network (CNI ADD): /etc/hosts names the pod by it, as the
        // kubelet's does, before any container reads it.
        sys::rewrite_file_at(sb.etc_dir.get(), "hosts", sandbox::hosts_file(pod, network.pod_ip(), net_plan.gateway),
                             "the pod's /etc/hosts");
        explain("net", "the pod's /etc/hosts: " + network.pod_ip() + " " + pod.effective_hostname());
    }

    // Step 5: supervise until every container has ended for good, or a signal stops us.
    // The pod's IP is known now (CNI's, pasta's copy of the host's, or loopback only).
    info.pod_ip = network.pod_ip().empty() && !pod.host_network ? "127.0.0.1" : network.pod_ip();
    launcher::LaunchContext ctx{pod, paths, sb, cg, info, !opts.detached};
    ctx.confine = &*confinement;
    supervisor::SupervisorOptions sup_opts;
    sup_opts.output.print = !opts.detached;
    sup_opts.on_running = opts.on_running;
    sup_opts.forwarder = forwarder.get();
    sup_opts.grace_override = [&paths]() -> std::optional<int64_t> {
        auto t = sys::try_read_file(paths.stop_request_file());
        if (!t || t->empty()) return std::nullopt;
        return std::stoll(*t);
    };
    sup_opts.output.color = ::isatty(STDOUT_FILENO);
    for (const auto& c : pod.init_containers)
        sup_opts.output.name_width = std::max(sup_opts.output.name_width, c.name.size());
    for (const auto& c : pod.containers)
        sup_opts.output.name_width = std::max(sup_opts.output.name_width, c.name.size());
    bool save_failing = false;  // said once, not at every try
    sup_opts.on_change = [&](const std::vector<supervisor::ContainerStatus>& runs, const std::string& phase) {
        // The pod has ended: teardown removes state.json next, so saving it would only cost
        // an fsync (a crash in between leaves the previous record, which gc handles alike).
        if (phase == "Succeeded" || phase == "Failed") return true;
        st.phase = phase;
        for (size_t i = 0; i < runs.size() && i < st.containers.size(); i++) {
            auto& rec = st.containers[i];
            const auto& r = runs[i];
            rec.state = state_name(r.state);
            rec.reason = r.reason;
            rec.exit_code = r.exit_code;
            rec.restart_count = r.restart_count;
            rec.started_at = r.started_at;
            rec.finished_at = r.finished_at;
            rec.sidecar = r.sidecar;
            rec.started = r.started;
            rec.ready = r.ready;
            rec.process = {r.pid, r.pid > 0 ? sys::process_start_time(r.pid).value_or(0) : 0};
            rec.log_error = r.log_error;
            rec.log_lines_lost = r.log_lines_lost;
        }
        try {
            state::save(paths, st);
            if (std::exchange(save_failing, false)) spdlog::info("saving state: saved again");
            return true;
        } catch (const std::exception& e) {
            if (!std::exchange(save_failing, true))
                spdlog::warn("saving state: {} (tried again with each change; the pod goes on)", e.what());
            return false;
        }
    };
    supervisor::Supervisor sup(ctx, sup_opts);
    new_claims.keep = true;
    int code = sup.run();
    // pause dying takes every container with it (the kernel SIGKILLs its pid namespace); their
    // exits may reach the loop before pause has finished dying, so for a pod that ended by
    // SIGKILL the cause is looked for here (a pause that lives is not waited for otherwise).
    if (sys::pidfd_exited(sb.pause.pidfd(), code == 128 + SIGKILL ? 500 : 0))
        spdlog::error("pod {}: pause (PID 1 of the pod) died while the pod ran; its containers were killed with it",
                      name);

    // Step 6: the network's helpers (pasta) while the pod's namespace still exists, then
    // pause; the kernel then kills whatever is left in the pod's pid namespace.
    network.begin_stop();
    explain("sandbox", "kill(pause, SIGTERM)  (pause exits 0; its pid namespace dies with it)");
    sb.pause.signal(SIGTERM);
    // While pause dies (its mount namespace's teardown waits for an RCU grace period), the
    // containers' logs go: nothing needs them once the supervisor is done, and state.json,
    // which records what is still to be removed, stays until the rest is gone.
    try {
        sys::remove_tree(paths.logs_dir());
        explain("state", "rm -r " + paths.logs_dir() + "  (while pause exits)");
    } catch (const std::exception& e) {
        spdlog::warn("removing {}: {}", paths.logs_dir(), e.what());  // teardown tries again
    }
    reap_until_exited(sb.pause);
    for (const auto& p : network.stop()) spdlog::warn("network: {}", p);
    spdlog::info("pod {} ended with exit code {}", name, code);
    return code;  // Rollback removes cgroups, volumes and state.
}

}  // namespace podrun::pod
