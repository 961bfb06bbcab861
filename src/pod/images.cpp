// Pulling a pod's images by imagePullPolicy and combining each image's config with its
// container, before `up` creates anything.
#include "podrun/pod/images.hpp"

#include <map>
#include <set>

#include "podrun/explain.hpp"
#include "podrun/image/helper.hpp"
#include "podrun/image/runtime.hpp"
#include "podrun/spec/signals.hpp"

namespace podrun::pod {

namespace {

// overlayfs' OVL_MAX_STACK: the most lower layers one overlay takes.
constexpr size_t kOverlayMaxLayers = 500;

std::string join(const std::vector<std::string>& v, const std::string& sep) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
    return out;
}

// The image's config applied to the container, as the kubelet + CRI runtime do.
void apply(spec::Container& c, const image::ImageRuntime& rt, const std::string& path) {
    const image::ImageConfig& cfg = rt.config;
    auto [cmd, args] = image::combine_command(c.command, c.args, cfg.entrypoint, cfg.cmd);
    if (cmd.empty() && args.empty()) {
        throw ImageProblem("CreateContainerConfigError",
                           path + ": image " + rt.image + " has neither Entrypoint nor Cmd; give command");
    }
    c.command = std::move(cmd);
    c.args = std::move(args);
    // The image's Env first, the container's over it: a name the container sets wins.
    std::set<std::string> own;
    for (const auto& e : c.env) own.insert(e.name);
    std::vector<spec::EnvVar> env;
    for (const auto& kv : cfg.env) {
        size_t eq = kv.find('=');
        std::string name = kv.substr(0, eq);
        if (name.empty() || own.count(name)) continue;
        env.push_back({name, image::escape_dollars(eq == std::string::npos ? "" : kv.substr(eq + 1)), std::nullopt});
    }
    env.insert(env.end(), c.env.begin(), c.env.end());
    c.env = std::move(env);
    if (c.working_dir.empty()) c.working_dir = cfg.working_dir;
    // The container's lifecycle.stopSignal wins; else the image's, read as containerd does.
    if (c.lifecycle.stop_signal.empty() && !cfg.stop_signal.empty()) {
        auto sig = spec::image_stop_signal(cfg.stop_signal);
        if (!sig)
            throw ImageProblem("CreateContainerConfigError", path + ": image " + rt.image + " has StopSignal \"" +
                                                                 cfg.stop_signal + "\", which is no Linux signal");
        c.lifecycle.stop_signal = *sig;
    }
    // Read in the image's layers, never the host's files: the image's User below, and the
    // confinement's supplementary groups and HOME from them (confine/confine.cpp).
    c.image_passwd = image::read_image_file(rt.lowerdirs, "/etc/passwd");
    c.image_group = image::read_image_file(rt.lowerdirs, "/etc/group");
    if (!c.security.run_as_user && !cfg.user.empty()) {
        try {
            image::UserIds ids = image::resolve_user(cfg.user, c.image_passwd.value_or(""), c.image_group.value_or(""));
            c.security.run_as_user = ids.uid;
            if (!c.security.run_as_group) c.security.run_as_group = ids.gid;
        } catch (const image::UserError& e) {
            throw ImageProblem("CreateContainerConfigError", path + ": " + e.what());
        }
    }
    // The layers, top first, for the overlay (launcher/container_fs.cpp: one by one, or
    // short links, so the one-page limit of a lowerdir string does not apply).
    if (rt.lowerdirs.size() > kOverlayMaxLayers) {
        throw ImageProblem("CreateContainerConfigError",
                           path + ": image " + rt.image + " has " + std::to_string(rt.lowerdirs.size()) +
                               " layers, more than overlayfs stacks (" + std::to_string(kOverlayMaxLayers) + ")");
    }
    c.image = rt.image;
    c.image_layers = rt.lowerdirs;
}

}  // namespace

std::map<std::string, ImageUse> prepare_images(spec::Pod& pod, bool explain_on,
                                               const std::vector<std::string>& insecure) {
    std::map<std::string, ImageUse> uses;
    image::Store store(image::Store::default_root());
    std::map<std::string, image::ImageRuntime> done;  // by reference: one pull per pod
    auto each = [&](std::vector<spec::Container>& cs, const std::string& list) {
        for (size_t i = 0; i < cs.size(); ++i) {
            spec::Container& c = cs[i];
            if (!c.image || c.image->front() == '/') continue;
            std::string path = "spec." + list + "[" + std::to_string(i) + "].image";
            image::Reference ref;
            try {
                ref = image::parse_reference(*c.image);
            } catch (const image::ReferenceError& e) {
                throw ImageProblem("InvalidImageName", path + ": " + e.what());
            }
            auto it = done.find(ref.str());
            if (it == done.end()) {
                image::PullPolicy pol = image::pull_policy(c.image_pull_policy, ref);
                auto img = store.find(ref.str());
                if (pol == image::PullPolicy::Never && !img) {
                    throw ImageProblem("ErrImageNeverPull",
                                       path + ": image " + ref.str() + " is not present and imagePullPolicy is Never");
                }
                if (pol == image::PullPolicy::Always || !img) {
                    explain("image",
                            "pull " + ref.str() +
                                (pol == image::PullPolicy::Always ? " (imagePullPolicy Always)" : " (not present)"));
                    std::vector<std::string> args = {"pull", "--root", store.root(), ref.str()};
                    if (explain_on) args.insert(args.begin() + 1, "--explain");
                    for (const auto& h : insecure) args.insert(args.begin() + 1, {"--insecure-registry", h});
                    std::string why;
                    int rc = image::run_helper(args, &why);
                    if (rc != 0) throw ImageProblem("ErrImagePull", path + ": pull " + ref.str() + ": " + why, c.name);
                    img = store.find(ref.str());
                    if (!img)
                        throw ImageProblem("ErrImagePull",
                                           path + ": " + ref.str() + " pulled but not found in the store", c.name);
                }
                it = done.emplace(ref.str(), image::runtime_of(store, *img, ref)).first;
                explain("image", ref.str() + " is " + it->second.image_id + ": " +
                                     std::to_string(it->second.lowerdirs.size()) + " layers, overlay lowerdir " +
                                     join(it->second.lowerdirs, ":"));
            }
            apply(c, it->second, path);
            uses[c.name] = {it->second.image, it->second.image_id, it->second.config_id};
        }
    };
    each(pod.init_containers, "initContainers");
    each(pod.containers, "containers");
    return uses;
}

}  // namespace podrun::pod
