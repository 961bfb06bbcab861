// pull, images, rmi, image prune, image inspect, load: argument parsing (CLI11), output,
// exit codes (0 done, 1 failed, 2 usage).
#include "commands.hpp"

#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "errors.hpp"
#include "podrun/state/state.hpp"
#include "podrun/sys/files.hpp"
#include "pull.hpp"
#include "registry.hpp"
#include "store_write.hpp"
#include "unpack.hpp"

namespace podrun::image {

namespace {

std::string human(int64_t b) {
    char buf[32];
    if (b < 1000)
        std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(b));
    else if (b < 1000 * 1000)
        std::snprintf(buf, sizeof buf, "%.1f kB", static_cast<double>(b) / 1e3);
    else if (b < 1000LL * 1000 * 1000)
        std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / 1e6);
    else
        std::snprintf(buf, sizeof buf, "%.2f GB", static_cast<double>(b) / 1e9);
    return buf;
}

std::string short_digest(const std::string& d) {
    return d.size() > 19 ? d.substr(7, 12) : d;
}

// Progress: on a terminal one line per layer, redrawn (bytes, rate, a bar); otherwise one
// plain line per event that matters (a layer present, downloaded, unpacked).
class ProgressView {
  public:
    explicit ProgressView(bool quiet) : quiet_(quiet), tty_(::isatty(STDERR_FILENO) == 1) {}
    Progress callback() {
        return [this](const LayerEvent& e) { on(e); };
    }

  private:
    struct Line {
        std::string digest, state = "waiting";
        int64_t bytes = 0, total = 0;
        std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    };
    void on(const LayerEvent& e) {
        if (quiet_) return;
        std::lock_guard<std::mutex> g(mu_);
        if (lines_.size() < e.count) lines_.resize(e.count);
        Line& l = lines_[e.index];
        l.digest = e.digest;
        l.bytes = e.bytes;
        l.total = e.total;
        static const char* names[] = {"already present", "downloading", "downloaded", "unpacking", "unpacked"};
        std::string st = names[e.kind];
        if (!tty_) {
            if (e.kind != LayerEvent::Downloading) {
                std::fprintf(stderr, "layer %zu/%zu %s: %s (%s)\n", e.index + 1, e.count,
                             short_digest(e.digest).c_str(), st.c_str(), human(e.total).c_str());
            }
            return;
        }
        if (e.kind == LayerEvent::Downloading && l.state != "downloading") l.start = std::chrono::steady_clock::now();
        l.state = st;
        auto now = std::chrono::steady_clock::now();
        if (e.kind == LayerEvent::Downloading && e.bytes != 0 && e.bytes != e.total &&
            now - drawn_ < std::chrono::milliseconds(100))
            return;
        drawn_ = now;
        if (shown_) std::fprintf(stderr, "\x1b[%zuA", shown_);
        for (const auto& x : lines_) {
            double secs = std::chrono::duration<double>(now - x.start).count();
            int width = 20, fill = x.total > 0 ? static_cast<int>(width * x.bytes / x.total) : 0;
            std::string bar =
                std::string(static_cast<size_t>(fill), '=') + std::string(static_cast<size_t>(width - fill), ' ');
            std::string rate = x.state == "downloading" && secs > 0.2
                                   ? human(static_cast<int64_t>(static_cast<double>(x.bytes) / secs)) + "/s"
                                   : "";
            std::fprintf(stderr, "\x1b[2K%s [%s] %9s / %-9s %-15s %s\n",
                         x.digest.empty() ? "            " : short_digest(x.digest).c_str(), bar.c_str(),
                         human(x.bytes).c_str(), human(x.total).c_str(), x.state.c_str(), rate.c_str());
        }
        shown_ = lines_.size();
    }
    bool quiet_, tty_;
    std::mutex mu_;
    std::vector<Line> lines_;
    size_t shown_ = 0;
    std::chrono::steady_clock::time_point drawn_{};
};

void explain_to_stderr(const std::string& m) {
    std::fprintf(stderr, "explain | %-8s %s\n", "image", m.c_str());
}

// The running pods whose containers use the image (recorded as imageRef in state.json).
std::vector<std::string> pods_using(const ImageRecord& img) {
    std::vector<std::string> out;
    for (const auto& name : state::list_pods()) {
        auto paths = state::PodPaths::for_pod(name);
        auto text = sys::try_read_file(paths.state_file());
        if (!text) continue;
        auto j = nlohmann::json::parse(*text, nullptr, false);
        if (!j.is_object()) continue;
        bool uses = false;
        for (const auto& c : j.value("containers", nlohmann::json::array())) {
            if (c.is_object() && c.value("imageRef", std::string()) == img.id) uses = true;
        }
        if (!uses) continue;
        auto st = state::load(paths);
        if (st && (st->supervisor.matches() || st->pause.matches())) out.push_back(name);
    }
    return out;
}

std::string repo_of(const std::string& name) {
    size_t at = name.find('@');
    size_t colon = name.rfind(':');
    size_t slash = name.rfind('/');
    if (at != std::string::npos) return name.substr(0, at);
    if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) return name.substr(0, colon);
    return name;
}

}  // namespace

int image_main(int argc, char** argv) {
    CLI::App app{"podrun-image: podrun's image store (podrun pull, images, rmi, image, load)"};
    app.require_subcommand(1);
    std::string root = Store::default_root();
    std::string log_level = "info";
    app.add_option("--root", root, "The image store (default /var/lib/podrun/storage)");
    app.add_option("--log-level", log_level)->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

    std::string ref;
    bool quiet = false, json = false, explain = false;
    std::vector<std::string> insecure, refs;
    std::string platform;
    auto add_common = [&](CLI::App* c) {
        c->add_option("--root", root, "The image store (default /var/lib/podrun/storage)");
    };
    CLI::App* pullc = app.add_subcommand("pull", "Pull an image from a registry; print its digest");
    pullc->add_option("reference", ref, "nginx, nginx:1.25, localhost:5000/app@sha256:...")->required();
    pullc->add_flag("-q,--quiet", quiet, "Print only the digest");
    pullc->add_option("--platform", platform, "os/arch[/variant] to choose from an index (default: this host's)");
    pullc->add_option("--insecure-registry", insecure,
                      "A registry host spoken to without TLS verification, or plain HTTP");
    pullc->add_flag("--explain", explain, "Narrate each request and each digest check");
    add_common(pullc);
    CLI::App* imagesc = app.add_subcommand("images", "List images: repository, tag, image ID, digest, size, created");
    imagesc->add_flag("--json", json, "Print JSON");
    add_common(imagesc);
    CLI::App* rmic = app.add_subcommand("rmi", "Remove images (refused while a running pod uses one)");
    rmic->add_option("reference", refs, "Names or IDs")->required();
    add_common(rmic);
    CLI::App* imagec = app.add_subcommand("image", "Image store maintenance");
    imagec->require_subcommand(1);
    CLI::App* prunec = imagec->add_subcommand("prune", "Remove blobs and layers no image uses");
    add_common(prunec);
    CLI::App* inspectc = imagec->add_subcommand("inspect", "Print an image's OCI config as JSON");
    inspectc->add_option("reference", ref, "Name or ID")->required();
    add_common(inspectc);
    std::string input;
    CLI::App* loadc =
        app.add_subcommand("load", "Load images from a docker-archive, an oci-archive or an OCI layout directory");
    loadc->add_option("-i,--input", input, "The tarball or directory")->required();
    loadc->add_flag("-q,--quiet", quiet, "Print only the loaded names");
    add_common(loadc);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    auto logger = spdlog::stderr_color_mt("podrun");
    logger->set_pattern("%^podrun: %l:%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(log_level));

    Store store(root);
    PullOptions po;
    po.insecure = insecure;
    ProgressView view(quiet);
    po.progress = view.callback();
    if (explain) po.explain = explain_to_stderr;
    try {
        if (!platform.empty()) po.platform = parse_platform(platform);
        if (*pullc) {
            Reference r = parse_reference(ref);
            po.registries = load_registries_conf();
            for (const auto& w : po.registries.warnings) spdlog::warn("{}", w);
            for (const auto& n : po.registries.notes) {
                spdlog::debug("{}", n);
                if (po.explain) po.explain(n);
            }
            if (!quiet) std::fprintf(stderr, "pulling %s\n", r.str().c_str());
            Pulled p = pull(store, r, po);
            if (!quiet) std::fprintf(stderr, "%s: image %s\n", r.str().c_str(), p.image.id.c_str());
            std::printf("%s\n", p.digest.c_str());
            return 0;
        }
        if (*loadc) {
            for (const auto& img : load(store, input, po)) {
                if (img.names.empty()) std::printf("Loaded image ID: %s\n", img.id.c_str());
                for (const auto& n : img.names) std::printf("Loaded image: %s\n", n.c_str());
            }
            return 0;
        }
        if (*imagesc) {
            auto imgs = store.images();
            if (json) {
                nlohmann::json arr = nlohmann::json::array();
                for (const auto& i : imgs) {
                    arr.push_back({{"id", i.id},
                                   {"names", i.names},
                                   {"repoDigests", i.repo_digests},
                                   {"size", i.size},
                                   {"created", i.created},
                                   {"layers", i.layers.size()}});
                }
                std::printf("%s\n", arr.dump(2).c_str());
                return 0;
            }
            std::printf("%-44s %-16s %-14s %-20s %-10s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "DIGEST", "SIZE",
                        "CREATED");
            for (const auto& i : imgs) {
                std::string digest =
                    i.repo_digests.empty()
                        ? "<none>"
                        : short_digest(i.repo_digests.front().substr(i.repo_digests.front().find('@') + 1));
                std::vector<std::pair<std::string, std::string>> rows;
                for (const auto& n : i.names) {
                    std::string repo = repo_of(n);
                    rows.emplace_back(repo, n.substr(repo.size() + 1));
                }
                if (rows.empty())
                    rows.emplace_back(i.repo_digests.empty() ? "<none>" : repo_of(i.repo_digests.front()), "<none>");
                for (const auto& [repo, tag] : rows) {
                    std::printf("%-44s %-16s %-14s %-20s %-10s %s\n", repo.c_str(), tag.c_str(),
                                short_digest(i.id).c_str(), digest.c_str(), human(i.size).c_str(),
                                i.created.substr(0, 19).c_str());
                }
            }
            return 0;
        }
        if (*inspectc) {
            auto img = store.find(ref);
            if (!img) {
                std::fprintf(stderr, "podrun: image inspect: no image %s in %s\n", ref.c_str(), root.c_str());
                return 1;
            }
            std::printf("%s\n", nlohmann::json::parse(store.config_text(*img)).dump(2).c_str());
            return 0;
        }
        if (*rmic) {
            sys::UniqueFd lock = lock_store(store, true);
            int rc = 0;
            for (const auto& r : refs) {
                auto img = store.find(r);
                if (!img) {
                    std::fprintf(stderr, "podrun: rmi: no image %s\n", r.c_str());
                    rc = 1;
                    continue;
                }
                auto users = pods_using(*img);
                if (!users.empty()) {
                    std::string list;
                    for (const auto& u : users) list += (list.empty() ? "" : ", ") + u;
                    std::fprintf(stderr,
                                 "podrun: rmi %s: image %s is used by running pod %s; stop it first (podrun down %s)\n",
                                 r.c_str(), short_digest(img->id).c_str(), list.c_str(), users.front().c_str());
                    rc = 1;
                    continue;
                }
                // A name given removes that name only; the image goes with its last name
                // (or at once when asked for by ID), as docker rmi.
                bool by_name = false;
                std::string full;
                if (!reference_problem(r)) {
                    Reference rr = parse_reference(r);
                    full = rr.digest.empty() ? rr.name() : "";
                    by_name =
                        !full.empty() && std::find(img->names.begin(), img->names.end(), full) != img->names.end();
                }
                bool gone = false;
                update_images(store, [&](std::vector<ImageRecord>& imgs) {
                    for (auto it = imgs.begin(); it != imgs.end(); ++it) {
                        if (it->id != img->id) continue;
                        if (by_name && it->names.size() > 1) {
                            std::erase(it->names, full);
                        } else {
                            imgs.erase(it);
                            gone = true;
                        }
                        break;
                    }
                });
                std::printf("%s: %s\n", gone ? "Deleted" : "Untagged", gone ? img->id.c_str() : full.c_str());
            }
            if (rc == 0 || true) {
                auto pr = prune_unreferenced(store);
                (void)pr;
            }
            return rc;
        }
        if (*prunec) {
            sys::UniqueFd lock = lock_store(store, true);
            clean_tmp(store);
            auto pr = prune_unreferenced(store);
            for (const auto& l : pr.layers) std::printf("deleted layer %s\n", l.c_str());
            std::printf("removed %zu blobs (%s) and %zu layers\n", pr.blobs.size(), human(pr.bytes).c_str(),
                        pr.layers.size());
            return 0;
        }
    } catch (const ReferenceError& e) {
        std::fprintf(stderr, "podrun: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "podrun: %s\n", e.what());
        return 1;
    }
    return 2;
}

}  // namespace podrun::image
