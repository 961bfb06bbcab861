// `podrun logs` (see logs.hpp).
#include "podrun/pod/logs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <deque>

#include "podrun/pod/pod.hpp"
#include "podrun/pod/status.hpp"
#include "podrun/sys/clock.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::pod {

LogLine parse_log_line(const std::string& line) {
    LogLine l;
    size_t a = line.find(' ');
    if (a == std::string::npos) return l;
    size_t b = line.find(' ', a + 1);
    if (b == std::string::npos) return l;
    size_t c = line.find(' ', b + 1);
    std::string tag = line.substr(b + 1, c == std::string::npos ? std::string::npos : c - b - 1);
    l.time = line.substr(0, a);
    l.stream = line.substr(a + 1, b - a - 1);
    l.partial = tag == "P";
    l.content = c == std::string::npos ? "" : line.substr(c + 1);
    l.ok = true;
    return l;
}

namespace {

void print(const std::string& raw, bool timestamps) {
    LogLine l = parse_log_line(raw);
    if (!l.ok) return;
    std::string out = timestamps ? l.time + " " + l.content : l.content;
    if (!l.partial) out += "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

int logs(const std::string& pod, const LogsOptions& opts) {
    auto paths = state::PodPaths::for_pod(pod);
    auto st = state::load(paths);
    if (!st) throw InvalidInput({"pod \"" + pod + "\" not found (podrun ps lists pods)"});
    std::string container = opts.container;
    std::string names;
    for (const auto& c : st->containers) names += (names.empty() ? "" : ", ") + c.name;
    if (container.empty()) {
        for (const auto& c : st->containers) {
            if (!c.init) {
                container = c.name;
                break;
            }
        }
        size_t apps = 0;
        for (const auto& c : st->containers) apps += !c.init;
        if (apps > 1) std::fprintf(stderr, "Defaulted container \"%s\" out of: %s\n", container.c_str(), names.c_str());
    }
    bool known = false;
    for (const auto& c : st->containers) known = known || c.name == container;
    if (!known) throw InvalidInput({"container \"" + container + "\" is not in pod \"" + pod + "\" (choose one of: " + names + ")"});

    std::string file = paths.log_file(container) + (opts.previous ? ".previous" : "");
    auto text = sys::try_read_file(file);
    if (!text) {
        if (opts.previous) throw InvalidInput({"container \"" + container + "\" has not been restarted: no previous log"});
        text = "";
    }
    // Whole lines only; a line still being written is picked up by --follow.
    size_t offset = text->rfind('\n');
    offset = offset == std::string::npos ? 0 : offset + 1;
    std::deque<std::string> lines;
    size_t start = 0;
    while (start < offset) {
        size_t nl = text->find('\n', start);
        lines.push_back(text->substr(start, nl - start));
        start = nl + 1;
        if (opts.tail >= 0 && static_cast<int>(lines.size()) > opts.tail) lines.pop_front();
    }
    for (const auto& l : lines) print(l, opts.timestamps);
    std::fflush(stdout);
    if (!opts.follow || opts.previous) return 0;

    // Follow: poll for growth; a restart rotates the file (a new inode), which is then read
    // from its start. Ends when the pod's supervisor is gone.
    struct stat last{};
    ::stat(file.c_str(), &last);
    std::string pending;
    for (;;) {
        struct stat now{};
        bool present = ::stat(file.c_str(), &now) == 0;
        if (present && now.st_ino != last.st_ino) {
            offset = 0;
            last = now;
        }
        if (present && static_cast<size_t>(now.st_size) > offset) {
            auto t = sys::try_read_file(file).value_or("");
            if (t.size() > offset) {
                pending += t.substr(offset);
                offset = t.size();
                size_t nl;
                while ((nl = pending.find('\n')) != std::string::npos) {
                    print(pending.substr(0, nl), opts.timestamps);
                    pending.erase(0, nl + 1);
                }
                std::fflush(stdout);
            }
        }
        if (!sys::is_dir(paths.dir()) || !supervisor_alive(paths)) break;
        sys::sleep_ms(100);
    }
    return 0;
}

}  // namespace podrun::pod
