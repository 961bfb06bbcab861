// The pod's process tree from /proc (see tree.hpp). The supervisor is the parent of pause
// and of every container's main process (CLONE_PARENT); orphans of the pod are re-parented
// to pause, PID 1 inside.
#include "podrun/pod/tree.hpp"

#include <map>
#include <sstream>
#include <vector>

#include "podrun/pod/pod.hpp"
#include "podrun/state/state.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::pod {

namespace {

std::string status_field(const std::string& status, const std::string& key) {
    std::istringstream in(status);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(key + ":", 0) == 0) {
            std::string v = line.substr(key.size() + 1);
            size_t b = v.find_first_not_of(" \t");
            return b == std::string::npos ? "" : v.substr(b);
        }
    }
    return "";
}

std::vector<pid_t> children_of(pid_t pid) {
    std::vector<pid_t> out;
    for (const auto& tid : sys::list_dir("/proc/" + std::to_string(pid) + "/task")) {
        std::istringstream in(
            sys::try_read_file("/proc/" + std::to_string(pid) + "/task/" + tid + "/children").value_or(""));
        pid_t c;
        while (in >> c) out.push_back(c);
    }
    return out;
}

// Processes the pod's cgroup leaves do not name: pasta, a helper of the supervisor.
using Labels = std::map<pid_t, std::string>;

void walk(pid_t pid, const std::string& prefix, bool last, bool root, const Labels& labels, std::string& out) {
    std::string base = "/proc/" + std::to_string(pid);
    std::string status = sys::try_read_file(base + "/status").value_or("");
    if (status.empty()) return;
    std::string name = status_field(status, "Name");
    std::string nspid = status_field(status, "NSpid");
    std::string inner =
        nspid.substr(nspid.find_last_of(" \t") == std::string::npos ? 0 : nspid.find_last_of(" \t") + 1);
    std::string cg = sys::try_read_file(base + "/cgroup").value_or("");
    std::string leaf;
    if (auto p = cg.find("0::"); p != std::string::npos) {
        leaf = cg.substr(p + 3);
        leaf = leaf.substr(0, leaf.find('\n'));
        leaf = leaf.substr(leaf.rfind('/') + 1);
    }
    out += prefix + (root ? "" : (last ? "`- " : "|- ")) + name + "  host pid " + std::to_string(pid);
    if (inner != std::to_string(pid)) out += ", pod pid " + inner;
    if (auto l = labels.find(pid); l != labels.end()) leaf = l->second;
    if (!root && !leaf.empty()) out += "  [" + leaf + "]";
    out += "\n";
    auto kids = children_of(pid);
    for (size_t i = 0; i < kids.size(); i++) {
        walk(kids[i], prefix + (root ? "" : (last ? "   " : "|  ")), i + 1 == kids.size(), false, labels, out);
    }
}

}  // namespace

std::string tree(const std::string& name) {
    auto paths = state::PodPaths::for_pod(name);
    auto st = state::load(paths);
    if (!st) throw InvalidInput({"pod \"" + name + "\" not found (podrun ps lists pods)"});
    std::string out;
    Labels labels;
    if (st->network.pasta.matches()) labels[st->network.pasta.pid] = "network: pasta";
    if (st->supervisor.matches()) {
        out += "pod " + name + ", supervisor:\n";
        walk(st->supervisor.pid, "", true, true, labels, out);
    } else {
        out += "pod " + name + ": supervisor gone; pause and containers:\n";
        if (st->pause.matches()) walk(st->pause.pid, "", true, true, labels, out);
        for (const auto& c : st->containers) {
            if (c.process.matches()) walk(c.process.pid, "", true, true, labels, out);
        }
    }
    return out;
}

}  // namespace podrun::pod
