// configMap and secret volume contents (see data_volume.hpp).
#include "podrun/volumes/data_volume.hpp"

#include <unistd.h>

#include <ctime>
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

}  // namespace

void add_data_volume_ops(sys::OpList& ops, const spec::Pod& pod, const state::PodPaths& paths) {
    using sys::Op;
    using sys::OpKind;
    const std::string version = version_dir_name();
    for (const auto& v : pod.volumes) {
        const auto* ov = std::get_if<spec::ObjectVolume>(&v.source);
        if (ov == nullptr) continue;
        const bool secret = ov->kind == spec::ObjectKind::Secret;
        const std::string dir = paths.memory_volume(v.name);
        const std::string data = dir + "/" + version;
        ops.add(Op{OpKind::Mkdir, dir, "", "", "", 0, 0755, -1, false,
                   std::string(secret ? "secret" : "configMap") + " volume \"" + v.name + "\" from " +
                       (secret ? "Secret " : "ConfigMap ") + ov->name +
                       " on the pod's memory tmpfs, written as the kubelet's atomic writer does"});
        ops.add(Op{OpKind::Mkdir, data, "", "", "", 0, 0755, -1, false, ""});
        std::set<std::string> top;
        for (const auto& f : ov->files) {
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
