// The bridge mode's CNI calls (see cni.hpp).
#include "podrun/net/cni.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "podrun/explain.hpp"
#include "podrun/net/default_conflist.hpp"
#include "podrun/sys/child_steps.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/locks.hpp"
#include "podrun/sys/mount.hpp"
#include "podrun/sys/net.hpp"
#include "podrun/sys/spawn.hpp"

namespace podrun::net {

using nlohmann::json;

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// A conflist, or a single plugin's config turned into a list of one (as libcni does).
json as_list(const json& j) {
    if (j.contains("plugins")) return j;
    json l{
        {"cniVersion", j.value("cniVersion", "0.4.0")}, {"name", j.value("name", "")}, {"plugins", json::array({j})}};
    return l;
}

json parse_list(const std::string& text) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw std::runtime_error("the CNI config is not a JSON object");
    j = as_list(j);
    if (!j["plugins"].is_array() || j["plugins"].empty())
        throw std::runtime_error("the CNI conflist \"" + j.value("name", "") + "\" has no plugins");
    return j;
}

// One plugin's config as ADD or DEL gets it on stdin: the plugin's own object, with the
// list's cniVersion and name, and the previous result.
json plugin_config(const json& list, const json& plugin, const std::string& prev) {
    json c = plugin;
    c["cniVersion"] = list.value("cniVersion", "0.4.0");
    c["name"] = list.value("name", "");
    if (!prev.empty()) c["prevResult"] = json::parse(prev, nullptr, false);
    return c;
}

struct PluginRun {
    int code = 0;
    std::string out;
};

// Runs one plugin with `config` on stdin; its stdout is the result or the error (its stderr,
// free-form logging, is dropped).
PluginRun run_plugin(const std::string& command, const CniCall& call, const std::string& type,
                     const std::string& config) {
    const std::string bin = cni_plugin_dir() + "/" + type;
    std::vector<std::string> env{"CNI_COMMAND=" + command, "CNI_CONTAINERID=" + call.container_id,
                                 "CNI_NETNS=" + call.netns, "CNI_IFNAME=" + call.ifname, "CNI_PATH=" + cni_plugin_dir(),
                                 // The bridge plugin runs iptables for ipMasq.
                                 "PATH=" + env_or("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")};
    explain("net", "CNI " + command + ": CNI_COMMAND=" + command + " CNI_CONTAINERID=" + call.container_id +
                       " CNI_NETNS=" + call.netns + " CNI_IFNAME=" + call.ifname + " CNI_PATH=" + cni_plugin_dir() +
                       " " + bin + " <<< " + config);
    sys::Pipe in = sys::make_pipe(0), out = sys::make_pipe(0);
    sys::ExecPlan exec({bin}, env, "");
    sys::SpawnOptions so;
    so.in = in.read_end.get();
    so.out = out.write_end.get();
    sys::Spawned s = sys::spawn(exec, so);
    in.read_end.reset();
    out.write_end.reset();
    sys::write_all(in.write_end.get(), config);  // a config is far below a pipe's 64 KiB
    in.write_end.reset();
    PluginRun r;
    r.out = sys::read_to_eof(out.read_end.get());
    r.code = s.child.wait().shell_code();
    explain("net", "  -> exit " + std::to_string(r.code) + ": " + r.out);
    return r;
}

// A plugin's error ({"code", "msg", "details"}) as one line.
std::string plugin_error(const std::string& type, const PluginRun& r) {
    json e = json::parse(r.out, nullptr, false);
    std::string why = r.out;
    if (e.is_object() && e.contains("msg")) {
        why = e.value("msg", "");
        if (!e.value("details", "").empty()) why += " (" + e.value("details", "") + ")";
    }
    while (!why.empty() && why.back() == '\n') why.pop_back();
    if (r.code == 127) why = "not found or not executable";
    return "CNI plugin \"" + type + "\" (" + cni_plugin_dir() + "/" + type + ") failed, exit " +
           std::to_string(r.code) + ": " + why;
}

}  // namespace

std::string cni_conf_dir() {
    return env_or("PODRUN_CNI_CONF_DIR", "/etc/cni/net.d");
}

std::string cni_plugin_dir() {
    return env_or("PODRUN_CNI_PATH", "/usr/lib/cni");
}

std::string load_conflist(const std::string& name) {
    if (name.empty()) {
        const std::string self = sys::self_exe();
        const std::string installed = self.substr(0, self.rfind('/')) + "/../share/podrun/cni/podrun0.conflist";
        if (auto t = sys::try_read_file(installed)) return *t;
        return kDefaultConflist;
    }
    const std::string dir = cni_conf_dir();
    for (const std::string ext : {".conflist", ".conf", ".json"}) {
        if (auto t = sys::try_read_file(dir + "/" + name + ext)) {
            json l = parse_list(*t);
            if (l.value("name", "") != name) {
                throw std::runtime_error(dir + "/" + name + ext + " names its network \"" + l.value("name", "") +
                                         "\", not \"" + name + "\": give its name in --network=bridge:NAME");
            }
            return *t;
        }
    }
    throw std::runtime_error("no CNI network \"" + name + "\": " + dir + "/" + name +
                             ".conflist does not exist (write one, or use --network=bridge for podrun's podrun0)");
}

std::vector<std::string> cni_problems(const std::string& conflist) {
    std::vector<std::string> out;
    json l = parse_list(conflist);
    bool masq = false;
    for (const auto& p : l["plugins"]) {
        const std::string type = p.value("type", "");
        if (type.empty() || type.find('/') != std::string::npos) {
            out.push_back("a plugin of \"" + l.value("name", "") + "\" has no valid \"type\"");
            continue;
        }
        if (!sys::executable(cni_plugin_dir() + "/" + type))
            out.push_back("the CNI plugin " + cni_plugin_dir() + "/" + type +
                          " is missing (apt-get install containernetworking-plugins)");
        if (p.contains("ipam") && p["ipam"].is_object()) {
            const std::string ipam = p["ipam"].value("type", "");
            if (!ipam.empty() && !sys::executable(cni_plugin_dir() + "/" + ipam))
                out.push_back("the CNI IPAM plugin " + cni_plugin_dir() + "/" + ipam +
                              " is missing (apt-get install containernetworking-plugins)");
        }
        masq = masq || p.value("ipMasq", false);
    }
    if (masq) {
        bool iptables = false;
        for (const char* d : {"/usr/sbin/iptables", "/sbin/iptables", "/usr/bin/iptables"})
            iptables = iptables || sys::executable(d);
        if (!iptables)
            out.push_back("ipMasq needs the iptables binary, which is not installed (apt-get install iptables)");
        const std::string fwd = sys::try_read_file("/proc/sys/net/ipv4/ip_forward").value_or("0");
        if (fwd.rfind('1', 0) != 0) {
            out.push_back(
                "ipMasq needs net.ipv4.ip_forward = 1, and it is 0: pods would get addresses but no outbound "
                "traffic (sysctl -w net.ipv4.ip_forward=1, or a conflist without ipMasq)");
        }
    }
    return out;
}

std::string cni_add(const CniCall& call) {
    json l = parse_list(call.conflist);
    std::string prev;
    size_t done = 0;
    for (const auto& p : l["plugins"]) {
        const std::string type = p.value("type", "");
        PluginRun r = run_plugin("ADD", call, type, plugin_config(l, p, prev).dump());
        if (r.code != 0) {
            // Undo the plugins that succeeded (and this one, which may have done half its work).
            CniCall undo = call;
            json part = l;
            part["plugins"] = json::array();
            for (size_t i = 0; i <= done; i++) part["plugins"].push_back(l["plugins"][i]);
            undo.conflist = part.dump();
            (void)cni_del(undo, prev);
            throw std::runtime_error(plugin_error(type, r));
        }
        prev = r.out;
        done++;
    }
    return prev;
}

std::vector<std::string> cni_del(const CniCall& call, const std::string& result) {
    std::vector<std::string> problems;
    json l;
    try {
        l = parse_list(call.conflist);
    } catch (const std::exception& e) {
        return {std::string("CNI DEL: ") + e.what()};
    }
    const auto& plugins = l["plugins"];
    for (size_t i = plugins.size(); i-- > 0;) {
        const std::string type = plugins[i].value("type", "");
        try {
            PluginRun r = run_plugin("DEL", call, type, plugin_config(l, plugins[i], result).dump());
            if (r.code != 0) problems.push_back(plugin_error(type, r));
        } catch (const std::exception& e) {
            problems.push_back("CNI DEL " + type + ": " + e.what());
        }
    }
    return problems;
}

namespace {
// host-local's default dataDir (the CNI plugins' plugins/ipam/host-local).
std::string lease_dir(const json& list) {
    std::string dir = "/var/lib/cni/networks";
    for (const auto& p : list["plugins"]) {
        if (p.contains("ipam") && p["ipam"].is_object()) dir = p["ipam"].value("dataDir", dir);
    }
    return dir + "/" + list.value("name", "");
}
}  // namespace

sys::UniqueFd lock_network(const std::string& conflist) {
    const std::string dir = lease_dir(parse_list(conflist));
    sys::mkdir_p(dir, 0755);
    return sys::lock_dir(dir);
}

std::string remove_bridge_if_unused(const std::string& conflist) {
    json l;
    try {
        l = parse_list(conflist);
    } catch (const std::exception& e) {
        return e.what();
    }
    const std::string dir = lease_dir(l);
    for (const auto& f : sys::list_dir(dir)) {
        // host-local's own files; every other name there is a lease (an address).
        if (f != "lock" && f.rfind("last_reserved_ip", 0) != 0) return "";
    }
    for (const auto& p : l["plugins"]) {
        if (p.value("type", "") != "bridge") continue;
        const std::string br = p.value("bridge", "cni0");
        int e = sys::delete_link(br);
        if (e == 0) explain("net", "ip link delete " + br + "  (the last pod of " + l.value("name", "") + " ended)");
        if (e != 0 && e != ENODEV) return "deleting the bridge " + br + ": " + std::strerror(e);
    }
    return "";
}

std::string result_ip(const std::string& result) {
    json r = json::parse(result, nullptr, false);
    if (!r.is_object() || !r.contains("ips") || !r["ips"].is_array()) return "";
    for (const auto& ip : r["ips"]) {
        std::string a = ip.value("address", "");
        if (a.empty()) continue;
        return a.substr(0, a.find('/'));
    }
    return "";
}

}  // namespace podrun::net
