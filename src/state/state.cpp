// State files (see state.hpp).
#include "podrun/state/state.hpp"

#include <cstdlib>

#include "podrun/sys/files.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::state {

using nlohmann::json;

std::string run_root() {
    const char* v = std::getenv("PODRUN_RUN_ROOT");
    return v && *v ? v : "/run/podrun";
}
std::string lib_root() {
    const char* v = std::getenv("PODRUN_LIB_ROOT");
    return v && *v ? v : "/var/lib/podrun";
}

PodPaths PodPaths::for_pod(const std::string& pod) {
    return PodPaths{pod, state::run_root(), state::lib_root()};
}

bool ProcessRecord::matches() const {
    if (pid <= 0) return false;
    auto st = sys::process_start_time(pid);
    return st && (start_time == 0 || *st == start_time);
}

static json proc_json(const ProcessRecord& p) {
    return json{{"pid", p.pid}, {"startTime", p.start_time}};
}
static ProcessRecord proc_from(const json& j) {
    ProcessRecord p;
    if (j.is_object()) {
        p.pid = j.value("pid", 0);
        p.start_time = j.value("startTime", uint64_t{0});
    }
    return p;
}

json PodState::to_json() const {
    json cs = json::array();
    for (const auto& c : containers) {
        cs.push_back(json{{"name", c.name},
                          {"init", c.init},
                          {"process", proc_json(c.process)},
                          {"state", c.state},
                          {"reason", c.reason},
                          {"message", c.message},
                          {"exitCode", c.exit_code},
                          {"restartCount", c.restart_count},
                          {"startedAt", c.started_at},
                          {"finishedAt", c.finished_at},
                          {"workingDir", c.working_dir},
                          {"sidecar", c.sidecar},
                          {"image", c.image},
                          {"imageID", c.image_id},
                          {"imageRef", c.image_ref},
                          {"started", c.started},
                          {"ready", c.ready},
                          {"logError", c.log_error},
                          {"logLinesLost", c.log_lines_lost}});
    }
    json ps = json::array();
    for (const auto& p : ports) {
        ps.push_back(json{{"hostIP", p.host_ip},
                          {"hostPort", p.host_port},
                          {"containerPort", p.container_port},
                          {"protocol", p.protocol}});
    }
    return json{{"name", name},
                {"uid", uid},
                {"createdAt", created_at},
                {"phase", phase},
                {"manifest", manifest_path},
                {"supervisor", proc_json(supervisor)},
                {"pause", proc_json(pause)},
                {"cgroupParent", cgroup_parent},
                {"dirs", dirs},
                {"graceSeconds", grace_seconds},
                {"detached", detached},
                {"namespace", namespace_},
                {"labels", labels},
                {"annotations", annotations},
                {"hostname", hostname},
                {"containers", cs},
                {"ports", ps},
                {"network", json{{"mode", network.mode},
                                 {"netnsFile", network.netns_file},
                                 {"pasta", proc_json(network.pasta)},
                                 {"podIP", network.pod_ip},
                                 {"cniConflist", network.cni_conflist},
                                 {"cniContainerID", network.cni_container_id},
                                 {"cniIfname", network.cni_ifname},
                                 {"cniResult", network.cni_result}}},
                {"claims", claims}};
}

PodState PodState::from_json(const json& j) {
    PodState s;
    s.name = j.value("name", "");
    s.uid = j.value("uid", "");
    s.created_at = j.value("createdAt", "");
    s.phase = j.value("phase", "Unknown");
    s.manifest_path = j.value("manifest", "");
    s.supervisor = proc_from(j.value("supervisor", json{}));
    s.pause = proc_from(j.value("pause", json{}));
    s.cgroup_parent = j.value("cgroupParent", "");
    s.dirs = j.value("dirs", std::vector<std::string>{});
    s.grace_seconds = j.value("graceSeconds", int64_t{30});
    s.detached = j.value("detached", false);
    s.namespace_ = j.value("namespace", "default");
    s.labels = j.value("labels", std::map<std::string, std::string>{});
    s.annotations = j.value("annotations", std::map<std::string, std::string>{});
    s.hostname = j.value("hostname", "");
    s.claims = j.value("claims", std::vector<std::string>{});
    for (const auto& p : j.value("ports", json::array())) {
        s.ports.push_back(PortRecord{p.value("hostIP", ""), p.value("hostPort", 0), p.value("containerPort", 0),
                                     p.value("protocol", "TCP")});
    }
    const json n = j.value("network", json::object());
    s.network.mode = n.value("mode", "none");
    s.network.netns_file = n.value("netnsFile", "");
    s.network.pasta = proc_from(n.value("pasta", json{}));
    s.network.pod_ip = n.value("podIP", "");
    s.network.cni_conflist = n.value("cniConflist", "");
    s.network.cni_container_id = n.value("cniContainerID", "");
    s.network.cni_ifname = n.value("cniIfname", "");
    s.network.cni_result = n.value("cniResult", "");
    for (const auto& c : j.value("containers", json::array())) {
        ContainerRecord r;
        r.name = c.value("name", "");
        r.init = c.value("init", false);
        r.process = proc_from(c.value("process", json{}));
        r.state = c.value("state", "waiting");
        r.reason = c.value("reason", "");
        r.message = c.value("message", "");
        r.exit_code = c.value("exitCode", 0);
        r.restart_count = c.value("restartCount", 0);
        r.started_at = c.value("startedAt", "");
        r.finished_at = c.value("finishedAt", "");
        r.working_dir = c.value("workingDir", "");
        r.image = c.value("image", "");
        r.image_id = c.value("imageID", "");
        r.image_ref = c.value("imageRef", "");
        r.sidecar = c.value("sidecar", false);
        r.started = c.value("started", false);
        r.ready = c.value("ready", false);
        r.log_error = c.value("logError", "");
        r.log_lines_lost = c.value("logLinesLost", uint64_t{0});
        s.containers.push_back(r);
    }
    return s;
}

void save(const PodPaths& paths, const PodState& st) {
    sys::write_file_atomic(paths.state_file(), st.to_json().dump(2) + "\n", 0600);
}

std::optional<PodState> load(const PodPaths& paths) {
    auto text = sys::try_read_file(paths.state_file());
    if (!text) return std::nullopt;
    auto j = json::parse(*text, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return PodState::from_json(j);
}

std::vector<std::string> list_pods() {
    std::vector<std::string> out;
    for (auto& n : sys::list_dir(run_root())) {
        if (sys::is_dir(run_root() + "/" + n)) out.push_back(n);
    }
    return out;
}

}  // namespace podrun::state
