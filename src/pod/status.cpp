// Status of pods from their state files (see status.hpp).
#include "podrun/pod/status.hpp"

#include <ctime>

#include "podrun/namespaces/namespaces.hpp"
#include "podrun/net/ports.hpp"
#include "podrun/pod/pod.hpp"
#include "podrun/sys/locks.hpp"

namespace podrun::pod {

using nlohmann::json;

bool supervisor_alive(const state::PodPaths& paths) {
    try {
        // Held = a supervisor owns it. Asked without taking it: a probe that took the lock,
        // even for a moment, could make a starting `up` find it taken and fail.
        return sys::lock_held(paths.lock_file());
    } catch (const std::exception&) {
        return false;
    }
}

std::string human_age(const std::string& rfc3339) {
    std::tm t{};
    if (!strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%SZ", &t)) return "?";
    time_t then = timegm(&t);
    long s = static_cast<long>(std::time(nullptr) - then);
    if (s < 0) s = 0;
    if (s < 120) return std::to_string(s) + "s";
    if (s < 7200) return std::to_string(s / 60) + "m";
    if (s < 172800) return std::to_string(s / 3600) + "h";
    return std::to_string(s / 86400) + "d";
}

namespace {

PodSummary summarize(const state::PodPaths& paths, const state::PodState& st) {
    PodSummary s;
    s.name = st.name;
    s.supervisor_alive = supervisor_alive(paths);
    s.phase = s.supervisor_alive ? st.phase : "Unknown";
    for (const auto& c : st.containers) {
        s.restarts += c.restart_count;
        if (c.init && !c.sidecar) continue;  // kubectl counts sidecars in READY, not other init containers
        s.total++;
        if (c.state == "running" && c.ready && s.supervisor_alive) s.ready++;
        // kubectl's STATUS: the reason a container waits for (ImagePullBackOff, ...).
        if (s.status.empty() && s.supervisor_alive && c.state == "waiting" && !c.reason.empty()) s.status = c.reason;
    }
    if (s.status.empty()) s.status = s.phase;
    s.age = human_age(st.created_at);
    for (const auto& p : st.ports) {
        if (!s.ports.empty()) s.ports += ", ";
        s.ports += net::format_port(net::PublishedPort{p.host_ip, p.host_port, p.container_port, p.protocol, ""});
    }
    return s;
}

json container_status(const state::ContainerRecord& c, bool alive) {
    json state;
    if (!alive && c.state == "running") {
        state = {{"waiting", {{"reason", "Unknown"}, {"message", "the pod's supervisor is gone"}}}};
    } else if (c.state == "running") {
        state = {{"running", {{"startedAt", c.started_at}}}};
    } else if (c.state == "terminated") {
        state = {{"terminated",
                  {{"exitCode", c.exit_code},
                   {"reason", c.reason},
                   {"startedAt", c.started_at},
                   {"finishedAt", c.finished_at}}}};
    } else {
        state = {{"waiting", {{"reason", c.reason.empty() ? "ContainerCreating" : c.reason}}}};
        if (!c.message.empty()) state["waiting"]["message"] = c.message;
    }
    bool running = alive && c.state == "running";
    json j{{"name", c.name},
           {"state", state},
           {"ready", running && c.ready},
           {"started", running && c.started},
           {"restartCount", c.restart_count}};
    if (c.sidecar) j["restartPolicy"] = "Always";
    // podrun's own: the container's log file lost lines (a full disk, EIO); the terminal
    // of a foreground `up` still showed them.
    if (!c.log_error.empty()) {
        j["logError"] = c.log_error;
        j["logLinesLost"] = c.log_lines_lost;
    }
    if (!c.image.empty()) {
        j["image"] = c.image;
        j["imageID"] = c.image_id;
    }
    return j;
}

}  // namespace

std::vector<PodSummary> list() {
    std::vector<PodSummary> out;
    for (const auto& name : state::list_pods()) {
        auto paths = state::PodPaths::for_pod(name);
        auto st = state::load(paths);
        if (!st) continue;  // being created or removed
        out.push_back(summarize(paths, *st));
    }
    return out;
}

json summary_json(const PodSummary& s) {
    return json{{"name", s.name},
                {"phase", s.phase},
                {"status", s.status},
                {"ready", std::to_string(s.ready) + "/" + std::to_string(s.total)},
                {"restarts", s.restarts},
                {"age", s.age},
                {"supervisor", s.supervisor_alive ? "alive" : "gone"},
                {"ports", s.ports}};
}

// The hostPorts as the pod's ports name them (hostIP, hostPort, containerPort, protocol).
static json published_ports_json(const state::PodState& st) {
    json out = json::array();
    for (const auto& p : st.ports) {
        out.push_back(json{{"hostIP", p.host_ip},
                           {"hostPort", p.host_port},
                           {"containerPort", p.container_port},
                           {"protocol", p.protocol}});
    }
    return out;
}

json inspect(const std::string& name) {
    auto paths = state::PodPaths::for_pod(name);
    auto st = state::load(paths);
    if (!st) throw InvalidInput({"pod \"" + name + "\" not found (podrun ps lists pods)"});
    bool alive = supervisor_alive(paths);
    json init = json::array(), apps = json::array();
    bool all_init_done = true, all_ready = true;
    for (const auto& c : st->containers) {
        json cs = container_status(c, alive);
        if (c.init) {
            init.push_back(cs);
            // A sidecar counts as initialized once it has started; others once they completed.
            if (c.sidecar) all_ready = all_ready && cs["ready"].get<bool>();
            all_init_done = all_init_done && (c.sidecar ? cs["started"].get<bool>() || c.state == "terminated"
                                                        : c.state == "terminated" && c.exit_code == 0);
        } else {
            apps.push_back(cs);
            all_ready = all_ready && cs["ready"].get<bool>();
        }
    }
    auto cond = [](const char* type, bool ok) { return json{{"type", type}, {"status", ok ? "True" : "False"}}; };
    json status{{"phase", alive ? st->phase : "Unknown"},
                {"conditions", json::array({cond("Initialized", all_init_done), cond("ContainersReady", all_ready),
                                            cond("Ready", all_ready)})},
                {"hostIP", "127.0.0.1"},
                {"podIP", st->network.pod_ip.empty() ? "127.0.0.1" : st->network.pod_ip},
                {"podIPs", json::array({json{{"ip", st->network.pod_ip.empty() ? "127.0.0.1" : st->network.pod_ip}}})},
                {"network", st->network.mode},
                {"startTime", st->created_at},
                {"publishedPorts", published_ports_json(*st)},
                {"initContainerStatuses", init},
                {"containerStatuses", apps}};
    json metadata{
        {"name", st->name}, {"namespace", st->namespace_}, {"uid", st->uid}, {"creationTimestamp", st->created_at}};
    if (!st->labels.empty()) metadata["labels"] = st->labels;
    if (!st->annotations.empty()) metadata["annotations"] = st->annotations;
    return json{{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", metadata}, {"status", status}};
}

json inspect_namespaces(const std::string& name) {
    auto paths = state::PodPaths::for_pod(name);
    auto st = state::load(paths);
    if (!st) throw InvalidInput({"pod \"" + name + "\" not found (podrun ps lists pods)"});
    auto inodes = [](pid_t pid) {
        json j = json::object();
        for (const auto& n : namespaces::all_ns_names()) {
            if (auto ino = namespaces::ns_inode(pid, n)) j[n] = *ino;
        }
        return j;
    };
    json out{{"pause",
              {{"pid", st->pause.pid}, {"namespaces", st->pause.matches() ? inodes(st->pause.pid) : json::object()}}}};
    json cs = json::object();
    for (const auto& c : st->containers) {
        if (!c.process.matches()) continue;
        cs[c.name] = {{"pid", c.process.pid}, {"namespaces", inodes(c.process.pid)}};
    }
    out["containers"] = cs;
    return out;
}

}  // namespace podrun::pod
