// Pulling a pod's images by imagePullPolicy and combining each image's config with its
// container, before `up` creates anything.
#include "podrun/pod/images.hpp"

#include <map>
#include <set>

#include "podrun/explain.hpp"
#include "podrun/image/helper.hpp"
#include "podrun/image/runtime.hpp"

namespace podrun::pod {

namespace {

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
    if (!c.security.run_as_user && !cfg.user.empty()) {
        // Resolved against the image's own files, read in its layers, never the host's.
        std::string passwd = image::read_image_file(rt.lowerdirs, "/etc/passwd").value_or("");
        std::string group = image::read_image_file(rt.lowerdirs, "/etc/group").value_or("");
        try {
            image::UserIds ids = image::resolve_user(cfg.user, passwd, group);
            c.security.run_as_user = ids.uid;
            if (!c.security.run_as_group) c.security.run_as_group = ids.gid;
        } catch (const image::UserError& e) {
            throw ImageProblem("CreateContainerConfigError", path + ": " + e.what());
        }
    }
    // The layers, top first, as overlay's lowerdir list. Each is <root>/layers/<64 hex>
    // (about 100 bytes): the one-page mount data limit holds about 40 layers.
    c.image = join(rt.lowerdirs, ":");
    if (c.image->size() > 3800) {
        throw ImageProblem("CreateContainerConfigError", path + ": image " + rt.image + " has " +
                                                             std::to_string(rt.lowerdirs.size()) +
                                                             " layers, more than one overlay mount takes here");
    }
}

}  // namespace

std::map<std::string, ImageUse> prepare_images(spec::Pod& pod, bool explain_on) {
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
                    std::string why;
                    int rc = image::run_helper(args, &why);
                    if (rc != 0) throw ImageProblem("ErrImagePull", path + ": pull " + ref.str() + ": " + why);
                    img = store.find(ref.str());
                    if (!img)
                        throw ImageProblem("ErrImagePull",
                                           path + ": " + ref.str() + " pulled but not found in the store");
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
