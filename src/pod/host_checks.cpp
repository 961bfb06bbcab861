// Checks of the manifest against this host, before anything is created.
#include <cstring>

#include "podrun/pod/pod.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::pod {

namespace {

std::string type_name(spec::HostPathType t) {
    switch (t) {
        case spec::HostPathType::Unset:
            return "";
        case spec::HostPathType::DirectoryOrCreate:
            return "DirectoryOrCreate";
        case spec::HostPathType::Directory:
            return "Directory";
        case spec::HostPathType::FileOrCreate:
            return "FileOrCreate";
        case spec::HostPathType::File:
            return "File";
        case spec::HostPathType::Socket:
            return "Socket";
        case spec::HostPathType::CharDevice:
            return "CharDevice";
        case spec::HostPathType::BlockDevice:
            return "BlockDevice";
    }
    return "?";
}

void check_containers(const std::vector<spec::Container>& cs, const std::string& list,
                      std::vector<std::string>& problems) {
    for (size_t i = 0; i < cs.size(); i++) {
        if (!cs[i].image || cs[i].image->front() != '/') continue;  // a reference: pulled, not checked here
        const std::string& img = *cs[i].image;
        if (!sys::is_dir(img)) {
            problems.push_back("spec." + list + "[" + std::to_string(i) + "].image: \"" + img +
                               "\" is not a directory: an image that starts with '/' names a rootfs directory "
                               "on this machine; give an existing one, or an image reference such as busybox:1.36");
        } else if (!sys::is_dir(img + "/dev") && !sys::is_dir(img + "/bin") && !sys::is_dir(img + "/usr")) {
            problems.push_back("spec." + list + "[" + std::to_string(i) + "].image: \"" + img +
                               "\" does not look like a root filesystem (no bin, usr or dev)");
        }
    }
}

}  // namespace

std::vector<std::string> image_problems(const spec::Pod& pod) {
    std::vector<std::string> problems;
    check_containers(pod.init_containers, "initContainers", problems);
    check_containers(pod.containers, "containers", problems);
    return problems;
}

void check_host(const spec::Pod& pod) {
    std::vector<std::string> problems;
    // /var/lib/podrun/<pod> is a pod's directory, /var/lib/podrun/storage the image store and
    // /var/lib/podrun/volumes the persistentVolumeClaims: a pod of either name would share (and
    // at teardown remove) them.
    if (pod.metadata.name == "storage") {
        problems.push_back(
            "metadata.name: \"storage\" is reserved (/var/lib/podrun/storage is the image store); choose another name");
    }
    if (pod.metadata.name == "volumes") {
        problems.push_back(
            "metadata.name: \"volumes\" is reserved (/var/lib/podrun/volumes holds the persistentVolumeClaims); choose "
            "another name");
    }
    check_containers(pod.init_containers, "initContainers", problems);
    check_containers(pod.containers, "containers", problems);
    for (size_t i = 0; i < pod.volumes.size(); i++) {
        const auto* hp = std::get_if<spec::HostPathVolume>(&pod.volumes[i].source);
        if (!hp) continue;
        std::string where = "spec.volumes[" + std::to_string(i) + "].hostPath";
        const std::optional<sys::FileKind> kind = sys::file_kind(hp->path);
        const bool present = kind.has_value();
        auto is = [&](sys::FileKind k) { return kind == k; };
        auto fail = [&](const std::string& want) {
            problems.push_back(where + ".path: \"" + hp->path + "\" is not " + want + " (type " + type_name(hp->type) +
                               ")");
        };
        switch (hp->type) {
            case spec::HostPathType::Unset:
                break;
            case spec::HostPathType::DirectoryOrCreate:
                if (!present) {
                    sys::mkdir_p(hp->path, 0755);  // Kubernetes: created with 0755
                } else if (!is(sys::FileKind::Directory)) {
                    fail("a directory");
                }
                break;
            case spec::HostPathType::Directory:
                if (!is(sys::FileKind::Directory)) fail("an existing directory");
                break;
            case spec::HostPathType::FileOrCreate:
                if (!present) {
                    // Kubernetes creates the file (0644) but not its parent directories.
                    if (int e = sys::create_file(hp->path, 0644)) {
                        fail("a file, and could not be created: " + std::string(std::strerror(e)));
                    }
                } else if (!is(sys::FileKind::Regular)) {
                    fail("a regular file");
                }
                break;
            case spec::HostPathType::File:
                if (!is(sys::FileKind::Regular)) fail("an existing regular file");
                break;
            case spec::HostPathType::Socket:
                if (!is(sys::FileKind::Socket)) fail("an existing UNIX socket");
                break;
            case spec::HostPathType::CharDevice:
                if (!is(sys::FileKind::CharDevice)) fail("an existing character device");
                break;
            case spec::HostPathType::BlockDevice:
                if (!is(sys::FileKind::BlockDevice)) fail("an existing block device");
                break;
        }
        if (hp->type == spec::HostPathType::Unset && !present) {
            problems.push_back(where + ".path: \"" + hp->path +
                               "\" does not exist (set type: DirectoryOrCreate to have it created)");
        }
    }
    if (!problems.empty()) throw InvalidInput(problems);
}

}  // namespace podrun::pod
