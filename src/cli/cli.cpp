// The command line: subcommands, logging sinks and exit codes. The only room that
// includes CLI11 and configures spdlog; everything else just logs.
#include "podrun/cli/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "podrun/explain.hpp"
#include "podrun/pod/doctor.hpp"
#include "podrun/pod/pod.hpp"
#include "podrun/spec/load.hpp"
#include "podrun/sys/error.hpp"

namespace podrun::cli {

namespace {

// Loads and validates; prints every problem and returns nullopt when invalid.
std::optional<spec::Pod> load_or_report(const std::string& file) {
    spec::LoadResult r = spec::load_pod_file(file);
    for (const auto& w : r.warnings) spdlog::warn("{}", w);
    if (!r.ok()) {
        std::string src = file == "-" ? "<stdin>" : file;
        for (const auto& e : r.errors) std::fprintf(stderr, "podrun: %s: %s\n", src.c_str(), e.to_string().c_str());
        return std::nullopt;
    }
    return r.pod;
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

    CLI::App* validate = app.add_subcommand("validate", "Check a manifest; print every problem; create nothing");
    validate->add_option("file", file, "Pod manifest (JSON or YAML), - for standard input")->required();

    CLI::App* doctor = app.add_subcommand("doctor", "Show what podrun finds on this host and what will work");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : pod::kExitInvalid;
    }
    setup_logging(log_level);

    if (*doctor) {
        auto rep = pod::doctor();
        std::printf("podrun %s on this host:\n", PODRUN_VERSION);
        for (const auto& l : rep.checks) std::printf("  [%s] %-34s %s\n", l.ok ? " ok " : "FAIL", l.item.c_str(), l.detail.c_str());
        std::printf("what will work:\n");
        for (const auto& l : rep.verdicts) std::printf("  [%s] %-34s %s\n", l.ok ? "yes " : " no ", l.item.c_str(), l.detail.c_str());
        return 0;
    }
    if (*validate) {
        auto p = load_or_report(file);
        if (!p) return pod::kExitInvalid;
        std::printf("%s: valid Pod \"%s\" (%zu init container(s), %zu container(s))\n",
                    file == "-" ? "<stdin>" : file.c_str(), p->metadata.name.c_str(), p->init_containers.size(),
                    p->containers.size());
        return 0;
    }
    if (*up) {
        auto p = load_or_report(file);
        if (!p) return pod::kExitInvalid;
        if (::geteuid() != 0) {
            spdlog::error("podrun up needs root (namespaces, mounts and cgroups); run it with sudo");
            return pod::kExitPodrunFailed;
        }
        if (up_opts.explain) {
            set_explain_sink([](std::string_view room, std::string_view step) {
                std::fprintf(stderr, "explain | %-8.*s %.*s\n", static_cast<int>(room.size()), room.data(),
                             static_cast<int>(step.size()), step.data());
            });
        }
        up_opts.manifest = file;
        if (pids_max > 0) up_opts.pids_max = pids_max;
        up_opts.weight_formula = formula == "linear" ? cgroup::WeightFormula::Linear : cgroup::WeightFormula::Quadratic;
        try {
            return pod::up(*p, up_opts);
        } catch (const pod::InvalidInput& e) {
            for (const auto& pr : e.problems) std::fprintf(stderr, "podrun: %s: %s\n", file.c_str(), pr.c_str());
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
