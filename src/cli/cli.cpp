// The command line: one small function per subcommand that defines its flags (CLI11) and
// one that calls the pod room with them; logging sinks and exit codes. The only room that
// includes CLI11 and configures spdlog; everything else just logs.
#include "podrun/cli/cli.hpp"

// GCC 12 reports a potential null dereference inside CLI11's own CLI::detail::split once it
// is inlined here (a false positive of -Wnull-dereference in libstdc++'s string move).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <unistd.h>

#include <algorithm>
#include <functional>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "podrun/explain.hpp"
#include "podrun/image/helper.hpp"
#include "podrun/pod/doctor.hpp"
#include "podrun/pod/exec.hpp"
#include "podrun/pod/logs.hpp"
#include "podrun/pod/status.hpp"
#include "podrun/pod/tree.hpp"
#include "podrun/pod/version.hpp"
#include "podrun/pod/volumes.hpp"
#include "podrun/spec/bundle.hpp"
#include "podrun/spec/resolve.hpp"

namespace podrun::cli {

namespace {

std::string source_name(const std::string& file) {
    return file == "-" ? "<stdin>" : file;
}

// Loads and validates every object of `files` (spec/bundle.hpp); prints each warning, and
// each problem once with its file and document.
std::optional<spec::Bundle> load_bundle_or_report(const std::vector<std::string>& files) {
    spec::BundleResult r = spec::load_bundle_files(files);
    for (const auto& w : r.warnings) spdlog::warn("{}", w);
    for (const auto& e : r.errors)
        std::fprintf(stderr, "podrun: %s: %s\n", e.origin.source.c_str(), e.to_string().c_str());
    if (!r.ok()) return std::nullopt;
    return std::move(r.bundle);
}

// The one Pod (or workload) of `file`, for the commands that run one pod so far, with the
// ConfigMaps and Secrets it reads looked up in `file` and `objects` (--configmap, --secret).
// The file's PersistentVolumeClaims go to *claims (for `up`, which makes them).
std::optional<spec::Pod> load_or_report(const std::string& file, const std::vector<std::string>& objects = {},
                                        std::vector<spec::PersistentVolumeClaim>* claims = nullptr) {
    std::vector<std::string> files{file};
    files.insert(files.end(), objects.begin(), objects.end());
    auto b = load_bundle_or_report(files);
    if (!b) return std::nullopt;
    if (b->pods.size() != 1) {
        std::fprintf(
            stderr,
            "podrun: %s: holds %zu pods; podrun runs one pod per file so far (podrun validate checks them all)\n",
            source_name(file).c_str(), b->pods.size());
        return std::nullopt;
    }
    // Nothing is created when a referenced object or key is missing: the kubelet's
    // CreateContainerConfigError (or FailedMount), each reference named.
    auto missing = spec::resolve_objects(b->pods[0], *b);
    for (const auto& m : missing)
        std::fprintf(stderr, "podrun: pod %s: %s\n", b->pods[0].metadata.name.c_str(), m.c_str());
    if (!missing.empty()) return std::nullopt;
    if (claims != nullptr) *claims = b->claims;
    return std::move(b->pods[0]);
}

// --explain: every narrated step on stderr, "explain | room     step".
void explain_to_stderr() {
    set_explain_sink([](std::string_view room, std::string_view step) {
        std::fprintf(stderr, "explain | %-8.*s %.*s\n", static_cast<int>(room.size()), room.data(),
                     static_cast<int>(step.size()), step.data());
    });
}

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("podrun");
    logger->set_pattern("%^podrun: %l:%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
}

// Runs a verb of the pod room: its problems printed, `failed` as the exit code then.
int guarded(const std::function<int()>& verb, int failed) {
    try {
        return verb();
    } catch (const pod::InvalidInput& e) {
        for (const auto& p : e.problems) std::fprintf(stderr, "podrun: %s\n", p.c_str());
        return failed;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return failed;
    }
}

bool require_root(const char* verb, const char* why) {
    if (::geteuid() == 0) return true;
    spdlog::error("podrun {} needs root ({}); run it with sudo", verb, why);
    return false;
}

// ---- up ----

CLI::App* define_up(CLI::App& app, UpArgs& a) {
    CLI::App* up = app.add_subcommand("up", "Start a pod in the foreground; Ctrl-C stops it and removes everything");
    pod::UpOptions& o = a.options;
    up->add_option("file", a.file, "Pod manifest (JSON or YAML), - for standard input")->required();
    // podman kube play's --configmap; --secret alike.
    up->add_option("--configmap", a.configmaps, "A file of ConfigMaps the pod reads (repeatable)");
    up->add_option("--secret", a.secrets, "A file of Secrets the pod reads (repeatable)");
    up->add_flag("-d,--detach", a.detach, "Start the pod in the background; return once every container is running");
    up->add_flag("--explain", o.explain, "Narrate every kernel step (clone flags, setns, mounts, cgroup writes)");
    up->add_option("--cgroup-parent", o.cgroup_parent, "cgroup2 directory to create the pod under");
    up->add_flag("--no-limits", o.no_limits,
                 "Run even if the host's cgroup v2 lacks the controllers the pod's limits need (limits NOT enforced)");
    up->add_option_function<int64_t>(
          "--pids-max", [&o](const int64_t& v) { o.pids_max = v; },
          "pids.max of the pod cgroup (overrides the podrun.io/pids-max annotation)")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
    up->add_option_function<std::string>(
          "--cpu-weight-formula",
          [&o](const std::string& v) {
              o.weight_formula = v == "linear" ? cgroup::WeightFormula::Linear : cgroup::WeightFormula::Quadratic;
          },
          "shares -> cpu.weight: quadratic (crun>=1.23, runc>=1.3.2) or linear")
        ->check(CLI::IsMember({"quadratic", "linear"}));
    up->add_option_function<std::string>(
          "--network",
          [&o](const std::string& v) {
              std::string why;
              auto c = spec::parse_network(v, &why);
              if (!c) throw CLI::ValidationError("--network", why);
              o.network = *c;
          },
          "none (loopback only), pasta (outbound through pasta; the default where it can run), bridge or "
          "bridge:NAME (a CNI bridge); overrides the podrun.io/network annotation")
        ->type_name("MODE");
    up->add_option("--insecure-registry", o.insecure_registries,
                   "A registry host the pull speaks to without TLS verification, or plain HTTP (repeatable)");
    up->callback([&a] { a.options.manifest = a.file; });
    return up;
}

int print_detached(const std::string& name, const pod::DetachedOutcome& r) {
    if (r.code == 0) {
        std::printf("%s\n", name.c_str());
        if (!r.message.empty()) std::fprintf(stderr, "podrun: warning: %s\n", r.message.c_str());
        return 0;
    }
    std::fprintf(stderr, "podrun: %s\n", r.message.c_str());
    return r.code;
}

int up(UpArgs a) {
    std::vector<std::string> objects = a.configmaps;
    objects.insert(objects.end(), a.secrets.begin(), a.secrets.end());
    auto p = load_or_report(a.file, objects, &a.options.claims);
    if (!p) return pod::kExitInvalid;
    if (!require_root("up", "namespaces, mounts and cgroups")) return pod::kExitPodrunFailed;
    if (a.options.explain) explain_to_stderr();
    // Both forms take the same options: whatever `up` honours, `up -d` honours.
    if (a.detach) return print_detached(p->metadata.name, pod::up_detached(*p, a.options));
    try {
        return pod::up(*p, a.options);
    } catch (const pod::InvalidInput& e) {
        for (const auto& pr : e.problems)
            std::fprintf(stderr, "podrun: %s: %s\n", source_name(a.file).c_str(), pr.c_str());
        return pod::kExitInvalid;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return pod::kExitPodrunFailed;
    }
}

// ---- validate, doctor ----

struct ValidateArgs {
    std::vector<std::string> files, f;  // two vectors: CLI11 would let one option overwrite the other
};

int validate(ValidateArgs a) {
    a.files.insert(a.files.end(), a.f.begin(), a.f.end());
    if (a.files.empty()) {
        std::fprintf(stderr, "podrun validate: give a manifest file, a directory or - (standard input)\n");
        return pod::kExitInvalid;
    }
    auto b = load_bundle_or_report(a.files);
    if (!b) return pod::kExitInvalid;
    bool missing = false;
    for (size_t i = 0; i < b->pods.size(); ++i)
        for (const auto& p : pod::image_problems(b->pods[i])) {
            const auto& o = b->pod_origins[i];
            std::fprintf(stderr, "podrun: %s: %s%s%s\n", o.source.c_str(), o.document.c_str(),
                         o.document.empty() ? "" : ": ", p.c_str());
            missing = true;
        }
    if (missing) return pod::kExitInvalid;
    for (size_t i = 0; i < b->pods.size(); ++i)
        std::printf("%s: %s: valid Pod \"%s\" (%zu init container(s), %zu container(s))\n",
                    b->pod_origins[i].source.c_str(), b->pod_origins[i].document.c_str(),
                    b->pods[i].metadata.name.c_str(), b->pods[i].init_containers.size(), b->pods[i].containers.size());
    if (b->config_maps.size() + b->secrets.size() + b->claims.size() > 0)
        std::printf("and %zu ConfigMap(s), %zu Secret(s), %zu PersistentVolumeClaim(s), all valid\n",
                    b->config_maps.size(), b->secrets.size(), b->claims.size());
    return 0;
}

int version(bool as_json) {
    auto v = pod::version_info();
    std::printf("%s", as_json ? (pod::version_json(v).dump(2) + "\n").c_str() : pod::version_text(v).c_str());
    return 0;
}

int doctor() {
    auto rep = pod::doctor();
    std::printf("podrun %s on this host:\n", PODRUN_VERSION);
    for (const auto& l : rep.checks)
        std::printf("  [%s] %-34s %s\n", l.ok ? " ok " : "FAIL", l.item.c_str(), l.detail.c_str());
    std::printf("what will work:\n");
    for (const auto& l : rep.verdicts)
        std::printf("  [%s] %-34s %s\n", l.ok ? "yes " : " no ", l.item.c_str(), l.detail.c_str());
    return 0;
}

// ---- ps, down, gc, inspect, tree ----

int ps(bool json_out) {
    auto pods = pod::list();
    if (json_out) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& p : pods) j.push_back(pod::summary_json(p));
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("%-24s %-10s %-17s %-6s %-9s %-6s %s\n", "NAME", "PHASE", "STATUS", "READY", "RESTARTS", "AGE",
                "PORTS");
    for (const auto& p : pods) {
        char line[512];
        std::snprintf(line, sizeof line, "%-24s %-10s %-17s %-6s %-9d %-6s %s", p.name.c_str(), p.phase.c_str(),
                      p.status.c_str(), (std::to_string(p.ready) + "/" + std::to_string(p.total)).c_str(), p.restarts,
                      p.age.c_str(), p.ports.c_str());
        std::string l = line;
        l.erase(l.find_last_not_of(' ') + 1);  // no trailing blanks where a pod publishes no port
        std::printf("%s\n", l.c_str());
    }
    return 0;
}

struct DownArgs {
    std::string pod;
    bool all = false;
    int64_t timeout = -1;
};

int down(const DownArgs& a) {
    if (a.all == !a.pod.empty()) {
        std::fprintf(stderr, "podrun down: give a pod name or --all\n");
        return pod::kExitInvalid;
    }
    std::vector<std::string> names;
    if (a.all) {
        for (const auto& p : pod::list()) names.push_back(p.name);
    } else {
        names.push_back(a.pod);
    }
    int rc = 0;
    for (const auto& n : names) {
        auto problems = pod::down(n, a.timeout);
        for (const auto& p : problems) spdlog::error("{}: {}", n, p);
        if (!problems.empty())
            rc = 1;
        else
            std::printf("%s\n", n.c_str());
    }
    return rc;
}

int gc() {
    for (const auto& n : pod::gc()) std::printf("removed %s\n", n.c_str());
    return 0;
}

int inspect(const std::string& name, bool ns) {
    auto j = ns ? pod::inspect_namespaces(name) : pod::inspect(name);
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
}

int tree(const std::string& name) {
    std::printf("%s", pod::tree(name).c_str());
    return 0;
}

// ---- exec ----

struct ExecArgs {
    std::string pod;
    std::vector<std::string> argv;
    pod::ExecOptions options;
    bool explain = false;
};

// The command's exit code is ours, so podrun's own failures use 125 (as podman exec and
// docker exec do), which a command rarely returns; 1 would be ambiguous.
// ---- volume ----

struct VolumeArgs {
    std::vector<std::string> names;
    bool json_out = false;
};

int volume_ls(bool json_out) {
    auto list = pod::volume_list();
    if (json_out) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& v : list) {
            nlohmann::json o = v.record.to_json();
            o["usedBy"] = v.used_by;
            j.push_back(o);
        }
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("%-24s %-10s %-22s %-10s %s\n", "NAME", "NAMESPACE", "ACCESS MODES", "REQUEST", "USED BY");
    for (const auto& v : list) {
        std::string modes, users;
        for (const auto& m : v.record.access_modes) modes += (modes.empty() ? "" : ",") + m;
        for (const auto& u : v.used_by) users += (users.empty() ? "" : ",") + u;
        const auto& req = v.record.storage_request_bytes;
        std::printf("%-24s %-10s %-22s %-10s %s\n", v.record.name.c_str(), v.record.namespace_.c_str(),
                    modes.empty() ? "-" : modes.c_str(), req ? std::to_string(*req).c_str() : "-",
                    users.empty() ? "-" : users.c_str());
    }
    return 0;
}

int volume_rm(const std::vector<std::string>& names) {
    if (!require_root("volume rm", "the volumes live in /var/lib/podrun")) return 1;
    auto problems = pod::volume_rm(names);
    for (const auto& p : problems) std::fprintf(stderr, "podrun: %s\n", p.c_str());
    for (const auto& n : names) {
        bool failed = false;
        for (const auto& p : problems) failed = failed || p.find("\"" + n + "\"") != std::string::npos;
        if (!failed) std::printf("%s\n", n.c_str());
    }
    return problems.empty() ? 0 : 1;
}

int exec(const ExecArgs& a) {
    if (!require_root("exec", "setns into the pod's namespaces")) return pod::kExitPodrunFailed;
    if (a.explain) explain_to_stderr();
    return guarded([&] { return pod::exec(a.pod, a.argv, a.options); }, pod::kExitPodrunFailed);
}

// ---- the app ----

// A subcommand: its CLI11 definition and what it runs once parsed.
struct Verb {
    CLI::App* cmd;
    std::function<int()> run;
};

// The subcommands with their flags; `verbs` gets what each runs, reading what parsing set.
struct Commands {
    CLI::App app{"podrun: run a Kubernetes Pod on this machine, without a cluster or a daemon"};
    std::string log_level = "info";
    UpArgs up_args;
    ValidateArgs validate_args;
    std::string pod_name;
    bool json_out = false, ns = false, version_json = false;
    DownArgs down_args;
    pod::LogsOptions logs_opts;
    ExecArgs exec_args;
    VolumeArgs volume_args;
    std::vector<Verb> verbs;

    Commands() {
        app.require_subcommand(1);
        app.set_version_flag("--version", std::string("podrun ") + PODRUN_VERSION);
        app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
            ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
        verbs.push_back({define_up(app, up_args), [this] { return cli::up(up_args); }});

        CLI::App* v = app.add_subcommand("validate", "Check manifests; print every problem; create nothing");
        v->add_option("file", validate_args.files,
                      "Manifest files or directories (JSON or YAML, several objects each), - for standard input");
        v->add_option("-f,--filename", validate_args.f, "Another manifest file or directory (repeatable)");
        verbs.push_back({v, [this] { return validate(validate_args); }});

        CLI::App* d = app.add_subcommand("doctor", "Show what podrun finds on this host and what will work");
        verbs.push_back({d, [] { return guarded(doctor, 1); }});

        CLI::App* p = app.add_subcommand("ps", "List pods: phase, ready/total, restarts, age");
        p->add_flag("--json", json_out, "Print JSON");
        verbs.push_back({p, [this] { return guarded([this] { return ps(json_out); }, 1); }});

        CLI::App* dn = app.add_subcommand("down", "Stop a pod (SIGTERM, grace period, SIGKILL) and remove everything");
        dn->add_option("pod", down_args.pod, "Pod name");
        dn->add_flag("--all", down_args.all, "Every pod");
        dn->add_option("--timeout", down_args.timeout,
                       "Grace period in seconds (default: the pod's terminationGracePeriodSeconds)")
            ->check(CLI::Range(int64_t{0}, int64_t{86400}));
        verbs.push_back({dn, [this] { return guarded([this] { return down(down_args); }, 1); }});

        CLI::App* g = app.add_subcommand("gc", "Remove what pods whose supervisor is gone left behind");
        verbs.push_back({g, [] { return guarded(gc, 1); }});

        CLI::App* in = app.add_subcommand("inspect", "Print a pod's status as Kubernetes shapes it (JSON)");
        in->add_option("pod", pod_name, "Pod name")->required();
        in->add_flag("--ns", ns, "Namespace inodes of pause and each container instead");
        verbs.push_back({in, [this] { return guarded([this] { return inspect(pod_name, ns); }, 1); }});

        CLI::App* t = app.add_subcommand("tree", "Show the pod's process tree, pids outside and inside the pod");
        t->add_option("pod", pod_name, "Pod name")->required();
        verbs.push_back({t, [this] { return guarded([this] { return tree(pod_name); }, 1); }});

        CLI::App* l = app.add_subcommand("logs", "Print a container's log");
        l->add_option("pod", pod_name, "Pod name")->required();
        l->add_option("-c,--container", logs_opts.container, "Container (default: the first app container)");
        l->add_flag("-f,--follow", logs_opts.follow, "Keep printing new lines until the pod ends");
        l->add_option("--tail", logs_opts.tail, "Only the last N lines");
        l->add_flag("--timestamps", logs_opts.timestamps, "Prefix each line with its RFC3339 time");
        l->add_flag("-p,--previous", logs_opts.previous, "The log of the previous instance (after a restart)");
        verbs.push_back({l, [this] { return guarded([this] { return pod::logs(pod_name, logs_opts); }, 1); }});

        CLI::App* e = app.add_subcommand(
            "exec", "Run a command in a running container of a pod: podrun exec POD [-c NAME] [-i] [-t] -- CMD...");
        e->add_option("pod", exec_args.pod, "Pod name")->required();
        e->add_option("command", exec_args.argv, "The command and its arguments (after --)")->required();
        e->add_option("-c,--container", exec_args.options.container, "Container (default: the first app container)");
        e->add_flag("-i,--stdin", exec_args.options.stdin_open, "Pass standard input to the command");
        e->add_flag("-t,--tty", exec_args.options.tty,
                    "Run the command on a terminal (a pty of the container's /dev/pts)");
        e->add_flag("--explain", exec_args.explain, "Narrate every kernel step (setns, chroot, clone3 into the leaf)");
        verbs.push_back({e, [this] { return cli::exec(exec_args); }});

        CLI::App* vol =
            app.add_subcommand("volume", "persistentVolumeClaim volumes: volume ls | inspect NAME | rm NAME...");
        vol->require_subcommand(1);
        CLI::App* vls = vol->add_subcommand("ls", "List the volumes: access modes, request, the pods using each");
        vls->add_flag("--json", volume_args.json_out, "Print JSON");
        verbs.push_back({vls, [this] { return guarded([this] { return volume_ls(volume_args.json_out); }, 1); }});
        CLI::App* vin = vol->add_subcommand("inspect", "Print a volume's record and users (JSON)");
        vin->add_option("name", pod_name, "Volume (claim) name")->required();
        verbs.push_back({vin, [this] {
                             return guarded(
                                 [this] {
                                     std::printf("%s\n", pod::volume_inspect(pod_name).dump(2).c_str());
                                     return 0;
                                 },
                                 1);
                         }});
        CLI::App* vrm = vol->add_subcommand("rm", "Remove volumes and their data (refused while a pod uses one)");
        vrm->add_option("name", volume_args.names, "Volume (claim) names")->required();
        verbs.push_back({vrm, [this] { return guarded([this] { return volume_rm(volume_args.names); }, 1); }});

        CLI::App* ver = app.add_subcommand("version", "Print the version, git revision and kernel features found");
        ver->add_flag("--json", version_json, "Print JSON");
        verbs.push_back({ver, [this] { return version(version_json); }});

        // Listed for --help; podrun-image parses their options (run() hands them over first).
        app.add_subcommand("pull", "Pull an image from a registry; print its digest (podrun pull --help)");
        app.add_subcommand("images", "List the images of the store (--json)");
        app.add_subcommand("rmi", "Remove images (refused while a running pod uses one)");
        app.add_subcommand("image", "image prune | image inspect REF");
        app.add_subcommand("load", "Load images: load -i docker-archive, oci-archive or OCI layout directory");
    }
};

}  // namespace

int run(int argc, char** argv) {
    // pull, images, rmi, image, load: podrun-image's (src/image/tool/), exec'd with the rest.
    if (argc > 1 && image::is_image_subcommand(argv[1])) return image::exec_helper({argv + 1, argv + argc});
    Commands cli;
    try {
        cli.app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.app.exit(e) == 0 ? 0 : pod::kExitInvalid;
    }
    setup_logging(cli.log_level);
    for (const auto& v : cli.verbs) {
        if (*v.cmd) return v.run();
    }
    return pod::kExitInvalid;
}

std::optional<UpArgs> parse_up(const std::vector<std::string>& args) {
    Commands cli;
    std::vector<std::string> reversed{"up"};
    reversed.insert(reversed.end(), args.begin(), args.end());
    std::reverse(reversed.begin(), reversed.end());  // CLI11 takes its vector back to front
    try {
        cli.app.parse(reversed);
    } catch (const CLI::ParseError&) {
        return std::nullopt;
    }
    return cli.up_args;
}

}  // namespace podrun::cli
