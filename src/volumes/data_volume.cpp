// configMap, secret, downwardAPI and projected volume contents (see data_volume.hpp).
#include "podrun/volumes/data_volume.hpp"

#include <unistd.h>

#include <ctime>
#include <map>
#include <set>

namespace podrun::volumes {
namespace {

// The kubelet's timestamped directory name: "..2006_01_02_15_04_05.<unique>".
std::string version_dir_name() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "..%Y_%m_%d_%H_%M_%S", &tm);
    return std::string(buf) + "." + std::to_string(::getpid());
}

// For --explain: which volume, from what.
std::string describe(const spec::Volume& v) {
    if (const auto* ov = std::get_if<spec::ObjectVolume>(&v.source)) {
        const bool secret = ov->kind == spec::ObjectKind::Secret;
        return std::string(secret ? "secret" : "configMap") + " volume \"" + v.name + "\" from " +
               (secret ? "Secret " : "ConfigMap ") + ov->name;
    }
    const auto& pv = std::get<spec::ProjectedVolume>(v.source);
    return std::string(pv.downward_api ? "downwardAPI" : "projected") + " volume \"" + v.name + "\"";
}

}  // namespace

std::optional<std::vector<spec::DataFile>> data_volume_files(const spec::Volume& v) {
    if (const auto* ov = std::get_if<spec::ObjectVolume>(&v.source)) return ov->files;
    const auto* pv = std::get_if<spec::ProjectedVolume>(&v.source);
    if (pv == nullptr) return std::nullopt;
    // Sources in order; a later one writing the same path wins, as in the kubelet's payload map.
    std::map<std::string, spec::DataFile> by_path;
    for (const auto& src : pv->sources) {
        const auto* ov = std::get_if<spec::ObjectVolume>(&src.source);
        for (const auto& f : ov ? ov->files : src.files) by_path[f.path] = f;
    }
    std::vector<spec::DataFile> out;
    for (auto& [path, f] : by_path) out.push_back(std::move(f));
    return out;
}

void add_data_volume_ops(sys::OpList& ops, const spec::Pod& pod, const state::PodPaths& paths) {
    using sys::Op;
    using sys::OpKind;
    const std::string version = version_dir_name();
    for (const auto& v : pod.volumes) {
        auto files = data_volume_files(v);
        if (!files) continue;
        const std::string dir = paths.memory_volume(v.name);
        const std::string data = dir + "/" + version;
        ops.add(Op{OpKind::Mkdir, dir, "", "", "", 0, 0755, -1, false,
                   describe(v) + " on the pod's memory tmpfs, written as the kubelet's atomic writer does"});
        ops.add(Op{OpKind::Mkdir, data, "", "", "", 0, 0755, -1, false, ""});
        std::set<std::string> top;
        for (const auto& f : *files) {
            const std::string file = data + "/" + f.path;
            if (auto slash = f.path.rfind('/'); slash != std::string::npos)
                ops.add(Op{OpKind::MkdirP, data + "/" + f.path.substr(0, slash), "", "", "", 0, 0755, -1, false, ""});
            ops.add(Op{OpKind::CreateFile, file, "", "", f.content, 0, f.mode, -1, false, ""});
            // CreateFile's mode passes through the umask; the item's mode is exact.
            ops.add(Op{OpKind::Chmod, file, "", "", "", 0, f.mode, -1, false, ""});
            top.insert(f.path.substr(0, f.path.find('/')));
        }
        ops.add(Op{OpKind::Symlink, dir + "/..data", version, "", "", 0, 0, -1, false, ""});
        for (const auto& name : top)
            ops.add(Op{OpKind::Symlink, dir + "/" + name, "..data/" + name, "", "", 0, 0, -1, false, ""});
    }
}

}  // namespace podrun::volumes
