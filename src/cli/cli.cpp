// The command line: subcommands, logging sinks and exit codes. The only room that
// includes CLI11 and configures spdlog; everything else just logs.
#include "podrun/cli/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "podrun/explain.hpp"
#include "podrun/pod/doctor.hpp"
#include "podrun/pod/exec.hpp"
#include "podrun/pod/logs.hpp"
#include "podrun/pod/status.hpp"
#include "podrun/pod/tree.hpp"
#include "podrun/pod/pod.hpp"
#include "podrun/spec/bundle.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/spec/resolve.hpp"
#include "podrun/sys/process.hpp"

namespace podrun::cli {

namespace {

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
std::optional<spec::Pod> load_or_report(const std::string& file, const std::vector<std::string>& objects = {}) {
    std::vector<std::string> files{file};
    files.insert(files.end(), objects.begin(), objects.end());
    auto b = load_bundle_or_report(files);
    if (!b) return std::nullopt;
    if (b->pods.size() != 1) {
        std::fprintf(stderr, "podrun: %s: holds %zu pods; podrun runs one pod per file so far (podrun validate checks them all)\n",
                     file == "-" ? "<stdin>" : file.c_str(), b->pods.size());
        return std::nullopt;
    }
    // Nothing is created when a referenced object or key is missing: the kubelet's
    // CreateContainerConfigError (or FailedMount), each reference named.
    auto missing = spec::resolve_objects(b->pods[0], *b);
    for (const auto& m : missing) std::fprintf(stderr, "podrun: pod %s: %s\n", b->pods[0].metadata.name.c_str(), m.c_str());
    if (!missing.empty()) return std::nullopt;
    return std::move(b->pods[0]);
}

// `up -d`: the supervisor runs in a detached child (its own session, stdio on /dev/null,
// stderr in the pod's supervisor.log); we wait on a pipe until every container runs or
// the pod fails, and exit with that outcome.
int up_detached(const spec::Pod& p, pod::UpOptions opts, const std::string& file) {
    sys::Detached d;
    try {
        d = sys::fork_detached();
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return pod::kExitPodrunFailed;
    }
    if (d.child) {
        int ready = d.channel.get();
        bool told = false;
        opts.detached = true;
        opts.on_dir_ready = [](const state::PodPaths& paths) { sys::redirect_stderr(paths.supervisor_log()); };
        opts.on_running = [&]() {
            sys::write_all(ready, "0 running");
            told = true;
            d.channel.reset();  // EOF: the caller returns while we keep the pod
        };
        int code;
        std::string err;
        try {
            code = pod::up(p, opts);
        } catch (const pod::InvalidInput& e) {
            code = pod::kExitInvalid;
            for (const auto& pr : e.problems) err += (err.empty() ? "" : "\n") + (file == "-" ? "<stdin>" : file) + ": " + pr;
        } catch (const std::exception& e) {
            code = pod::kExitPodrunFailed;
            err = e.what();
        }
        if (!told && d.channel) {
            sys::write_all(ready, std::to_string(code) + " " +
                                      (err.empty() ? "the pod ended before every container ran, exit code " + std::to_string(code)
                                                   : err));
        }
        std::fflush(nullptr);
        std::exit(code);
    }
    std::string msg = sys::read_to_eof(d.channel.get());
    if (msg.empty()) {
        spdlog::error("the detached supervisor of pod {} died before the pod ran", p.metadata.name);
        return pod::kExitPodrunFailed;
    }
    int code = std::atoi(msg.c_str());
    std::string text = msg.substr(msg.find(' ') + 1);
    if (code == 0 && text == "running") {
        std::printf("%s\n", p.metadata.name.c_str());
        return 0;
    }
    std::fprintf(stderr, "podrun: %s\n", text.c_str());
    return code == 0 ? 1 : code;
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

}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"podrun: run a Kubernetes Pod on this machine, without a cluster or a daemon"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("podrun ") + PODRUN_VERSION);
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));

    std::string file;
    pod::UpOptions up_opts;
    CLI::App* up = app.add_subcommand("up", "Start a pod in the foreground; Ctrl-C stops it and removes everything");
    up->add_option("file", file, "Pod manifest (JSON or YAML), - for standard input")->required();
    // podman kube play's --configmap; --secret alike. Two vectors: CLI11 would let one option
    // overwrite the other.
    std::vector<std::string> up_configmaps, up_secrets;
    up->add_option("--configmap", up_configmaps, "A file of ConfigMaps the pod reads (repeatable)");
    up->add_option("--secret", up_secrets, "A file of Secrets the pod reads (repeatable)");
    bool detach = false;
    up->add_flag("-d,--detach", detach, "Start the pod in the background; return once every container is running");
    up->add_flag("--explain", up_opts.explain, "Narrate every kernel step (clone flags, setns, mounts, cgroup writes)");
    up->add_option("--cgroup-parent", up_opts.cgroup_parent, "cgroup2 directory to create the pod under");
    up->add_flag("--no-limits", up_opts.no_limits,
                 "Run even if the host's cgroup v2 lacks the controllers the pod's limits need (limits NOT enforced)");
    int64_t pids_max = 0;
    up->add_option("--pids-max", pids_max, "pids.max of the pod cgroup (overrides the podrun.io/pids-max annotation)")
        ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
    std::string formula = "quadratic";
    up->add_option("--cpu-weight-formula", formula, "shares -> cpu.weight: quadratic (crun>=1.23, runc>=1.3.2) or linear")
        ->check(CLI::IsMember({"quadratic", "linear"}));

    CLI::App* validate = app.add_subcommand("validate", "Check manifests; print every problem; create nothing");
    std::vector<std::string> validate_files, validate_f;  // two vectors: CLI11 would let one option overwrite the other
    validate->add_option("file", validate_files, "Manifest files or directories (JSON or YAML, several objects each), - for standard input");
    validate->add_option("-f,--filename", validate_f, "Another manifest file or directory (repeatable)");

    CLI::App* doctor = app.add_subcommand("doctor", "Show what podrun finds on this host and what will work");

    std::string pod_name;
    bool json_out = false;
    CLI::App* ps = app.add_subcommand("ps", "List pods: phase, ready/total, restarts, age");
    ps->add_flag("--json", json_out, "Print JSON");

    bool all = false;
    int64_t timeout = -1;
    CLI::App* downc = app.add_subcommand("down", "Stop a pod (SIGTERM, grace period, SIGKILL) and remove everything");
    downc->add_option("pod", pod_name, "Pod name");
    downc->add_flag("--all", all, "Every pod");
    downc->add_option("--timeout", timeout, "Grace period in seconds (default: the pod's terminationGracePeriodSeconds)")
        ->check(CLI::Range(int64_t{0}, int64_t{86400}));

    CLI::App* gcc = app.add_subcommand("gc", "Remove what pods whose supervisor is gone left behind");

    bool ns = false;
    CLI::App* inspectc = app.add_subcommand("inspect", "Print a pod's status as Kubernetes shapes it (JSON)");
    inspectc->add_option("pod", pod_name, "Pod name")->required();
    inspectc->add_flag("--ns", ns, "Namespace inodes of pause and each container instead");

    CLI::App* treec = app.add_subcommand("tree", "Show the pod's process tree, pids outside and inside the pod");
    treec->add_option("pod", pod_name, "Pod name")->required();

    pod::LogsOptions log_opts;
    CLI::App* logsc = app.add_subcommand("logs", "Print a container's log");
    logsc->add_option("pod", pod_name, "Pod name")->required();
    logsc->add_option("-c,--container", log_opts.container, "Container (default: the first app container)");
    logsc->add_flag("-f,--follow", log_opts.follow, "Keep printing new lines until the pod ends");
    logsc->add_option("--tail", log_opts.tail, "Only the last N lines");
    logsc->add_flag("--timestamps", log_opts.timestamps, "Prefix each line with its RFC3339 time");
    logsc->add_flag("-p,--previous", log_opts.previous, "The log of the previous instance (after a restart)");

    pod::ExecOptions exec_opts;
    std::vector<std::string> exec_argv;
    bool exec_explain = false;
    CLI::App* execc = app.add_subcommand(
        "exec", "Run a command in a running container of a pod: podrun exec POD [-c NAME] [-i] [-t] -- CMD...");
    execc->add_option("pod", pod_name, "Pod name")->required();
    execc->add_option("command", exec_argv, "The command and its arguments (after --)")->required();
    execc->add_option("-c,--container", exec_opts.container, "Container (default: the first app container)");
    execc->add_flag("-i,--stdin", exec_opts.stdin_open, "Pass standard input to the command");
    execc->add_flag("-t,--tty", exec_opts.tty, "Run the command on a terminal (a pty of the container's /dev/pts)");
    execc->add_flag("--explain", exec_explain, "Narrate every kernel step (setns, chroot, clone3 into the leaf)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : pod::kExitInvalid;
    }
    setup_logging(log_level);

    // exec: the command's exit code is ours, so podrun's own failures use 125 (as podman
    // exec and docker exec do), which a command rarely returns; 1 would be ambiguous.
    if (*execc) {
        if (::geteuid() != 0) {
            spdlog::error("podrun exec needs root (setns into the pod's namespaces); run it with sudo");
            return pod::kExitPodrunFailed;
        }
        if (exec_explain) {
            explain_to_stderr();
        }
        try {
            return pod::exec(pod_name, exec_argv, exec_opts);
        } catch (const pod::InvalidInput& e) {
            for (const auto& p : e.problems) std::fprintf(stderr, "podrun: %s\n", p.c_str());
            return pod::kExitPodrunFailed;
        } catch (const std::exception& e) {
            spdlog::error("{}", e.what());
            return pod::kExitPodrunFailed;
        }
    }

    try {
        if (*ps) {
            auto pods = pod::list();
            if (json_out) {
                nlohmann::json j = nlohmann::json::array();
                for (const auto& p : pods) j.push_back(pod::summary_json(p));
                std::printf("%s\n", j.dump(2).c_str());
            } else {
                std::printf("%-24s %-10s %-6s %-9s %s\n", "NAME", "PHASE", "READY", "RESTARTS", "AGE");
                for (const auto& p : pods) {
                    std::printf("%-24s %-10s %-6s %-9d %s\n", p.name.c_str(), p.phase.c_str(),
                                (std::to_string(p.ready) + "/" + std::to_string(p.total)).c_str(), p.restarts,
                                p.age.c_str());
                }
            }
            return 0;
        }
        if (*downc) {
            if (all == !pod_name.empty()) {
                std::fprintf(stderr, "podrun down: give a pod name or --all\n");
                return pod::kExitInvalid;
            }
            std::vector<std::string> names;
            if (all) {
                for (const auto& p : pod::list()) names.push_back(p.name);
            } else {
                names.push_back(pod_name);
            }
            int rc = 0;
            for (const auto& n : names) {
                auto problems = pod::down(n, timeout);
                for (const auto& p : problems) spdlog::error("{}: {}", n, p);
                if (!problems.empty()) rc = 1;
                else std::printf("%s\n", n.c_str());
            }
            return rc;
        }
        if (*gcc) {
            for (const auto& n : pod::gc()) std::printf("removed %s\n", n.c_str());
            return 0;
        }
        if (*inspectc) {
            auto j = ns ? pod::inspect_namespaces(pod_name) : pod::inspect(pod_name);
            std::printf("%s\n", j.dump(2).c_str());
            return 0;
        }
        if (*logsc) return pod::logs(pod_name, log_opts);
        if (*treec) {
            std::printf("%s", pod::tree(pod_name).c_str());
            return 0;
        }
    } catch (const pod::InvalidInput& e) {
        for (const auto& p : e.problems) std::fprintf(stderr, "podrun: %s\n", p.c_str());
        return 1;
    } catch (const std::exception& e) {
        spdlog::error("{}", e.what());
        return 1;
    }

    if (*doctor) {
        auto rep = pod::doctor();
        std::printf("podrun %s on this host:\n", PODRUN_VERSION);
        for (const auto& l : rep.checks) std::printf("  [%s] %-34s %s\n", l.ok ? " ok " : "FAIL", l.item.c_str(), l.detail.c_str());
        std::printf("what will work:\n");
        for (const auto& l : rep.verdicts) std::printf("  [%s] %-34s %s\n", l.ok ? "yes " : " no ", l.item.c_str(), l.detail.c_str());
        return 0;
    }
    if (*validate) {
        validate_files.insert(validate_files.end(), validate_f.begin(), validate_f.end());
        if (validate_files.empty()) {
            std::fprintf(stderr, "podrun validate: give a manifest file, a directory or - (standard input)\n");
            return pod::kExitInvalid;
        }
        auto b = load_bundle_or_report(validate_files);
        if (!b) return pod::kExitInvalid;
        for (size_t i = 0; i < b->pods.size(); ++i)
            std::printf("%s: %s: valid Pod \"%s\" (%zu init container(s), %zu container(s))\n",
                        b->pod_origins[i].source.c_str(), b->pod_origins[i].document.c_str(),
                        b->pods[i].metadata.name.c_str(), b->pods[i].init_containers.size(), b->pods[i].containers.size());
        if (b->config_maps.size() + b->secrets.size() + b->claims.size() > 0)
            std::printf("and %zu ConfigMap(s), %zu Secret(s), %zu PersistentVolumeClaim(s), all valid\n",
                        b->config_maps.size(), b->secrets.size(), b->claims.size());
        return 0;
    }
    if (*up) {
        std::vector<std::string> objects = up_configmaps;
        objects.insert(objects.end(), up_secrets.begin(), up_secrets.end());
        auto p = load_or_report(file, objects);
        if (!p) return pod::kExitInvalid;
        if (::geteuid() != 0) {
            spdlog::error("podrun up needs root (namespaces, mounts and cgroups); run it with sudo");
            return pod::kExitPodrunFailed;
        }
        if (up_opts.explain) {
            explain_to_stderr();
        }
        up_opts.manifest = file;
        if (detach) return up_detached(*p, up_opts, file);
        if (pids_max > 0) up_opts.pids_max = pids_max;
        up_opts.weight_formula = formula == "linear" ? cgroup::WeightFormula::Linear : cgroup::WeightFormula::Quadratic;
        try {
            return pod::up(*p, up_opts);
        } catch (const pod::InvalidInput& e) {
            for (const auto& pr : e.problems) {
                std::fprintf(stderr, "podrun: %s: %s\n", file == "-" ? "<stdin>" : file.c_str(), pr.c_str());
            }
            return pod::kExitInvalid;
        } catch (const pod::LimitsUnavailable& e) {
            spdlog::error("{}", e.what());
            return pod::kExitPodrunFailed;
        } catch (const sys::SysError& e) {
            spdlog::error("{}", e.what());
            return pod::kExitPodrunFailed;
        } catch (const std::exception& e) {
            spdlog::error("{}", e.what());
            return pod::kExitPodrunFailed;
        }
    }
    return pod::kExitInvalid;
}

}  // namespace podrun::cli
