// `podrun up -d`: the supervisor runs in a detached child (its own session, stdio on
// /dev/null, stderr in the pod's supervisor.log); the caller waits on a pipe until every
// container runs or the pod fails, and returns that outcome.
#include <cstdio>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "podrun/pod/pod.hpp"
#include "podrun/sys/daemon.hpp"
#include "podrun/sys/fdio.hpp"

namespace podrun::pod {

namespace {

// The child: runs the pod to its end and exits with its code; tells the caller on the pipe
// once every container runs ("0 running"), or why the pod ended before ("<code> <why>").
[[noreturn]] void supervise(const spec::Pod& p, UpOptions opts, sys::UniqueFd channel) {
    bool told = false;
    opts.detached = true;
    opts.on_dir_ready = [](const state::PodPaths& paths) { sys::redirect_stderr(paths.supervisor_log()); };
    opts.on_running = [&]() {
        sys::write_all(channel.get(), "0 running");
        told = true;
        channel.reset();  // EOF: the caller returns while we keep the pod
    };
    opts.on_waiting = [&](const std::string& why) {
        sys::write_all(channel.get(), "0 waiting " + why);
        told = true;
        channel.reset();
    };
    int code;
    std::string err;
    const std::string source = opts.manifest == "-" ? "<stdin>" : opts.manifest;
    try {
        code = up(p, opts);
    } catch (const InvalidInput& e) {
        code = kExitInvalid;
        for (const auto& pr : e.problems) err += (err.empty() ? "" : "\n") + source + ": " + pr;
    } catch (const std::exception& e) {
        code = kExitPodrunFailed;
        err = e.what();
    }
    // After the caller returned (a pod that waited for its image), only the log can say why.
    if (told && !err.empty()) spdlog::error("{}", err);
    if (!told && channel) {
        sys::write_all(
            channel.get(),
            std::to_string(code) + " " +
                (err.empty() ? "the pod ended before every container ran, exit code " + std::to_string(code) : err));
    }
    std::fflush(nullptr);
    std::exit(code);
}

}  // namespace

DetachedOutcome up_detached(const spec::Pod& p, const UpOptions& opts) {
    sys::Detached d;
    try {
        d = sys::fork_detached();
    } catch (const std::exception& e) {
        return {kExitPodrunFailed, e.what()};
    }
    if (d.child) supervise(p, opts, std::move(d.channel));
    std::string msg = sys::read_to_eof(d.channel.get());
    if (msg.empty())
        return {kExitPodrunFailed, "the detached supervisor of pod " + p.metadata.name + " died before the pod ran"};
    int code = std::atoi(msg.c_str());
    std::string text = msg.substr(msg.find(' ') + 1);
    if (code == 0 && text == "running") return {0, ""};
    // Made, and waiting for an image (ImagePullBackOff): up -d succeeded, with a warning.
    if (code == 0 && text.rfind("waiting ", 0) == 0) return {0, text.substr(8)};
    return {code == 0 ? 1 : code, text};
}

}  // namespace podrun::pod
