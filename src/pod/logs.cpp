// `podrun logs` (see logs.hpp): the container's log files, rotated ones first, printed
// back; --follow keeps reading the file being written, across rotations and restarts.
#include "podrun/pod/logs.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cstdio>
#include <deque>

#include "podrun/pod/pod.hpp"
#include "podrun/pod/status.hpp"
#include "podrun/sys/clock.hpp"
#include "podrun/sys/fdio.hpp"
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

std::vector<std::string> log_files(const std::string& base) {
    std::vector<std::string> out;
    // "<base>.1" is the newest rotated file (supervisor/output.hpp); read oldest first.
    for (int n = 1; n < 1000 && sys::exists(base + "." + std::to_string(n)); n++)
        out.push_back(base + "." + std::to_string(n));
    std::reverse(out.begin(), out.end());
    out.push_back(base);
    return out;
}

namespace {

void print(const std::string& raw, bool timestamps) {
    LogLine l = parse_log_line(raw);
    if (!l.ok) return;
    std::string out = timestamps ? l.time + " " + l.content : l.content;
    if (!l.partial) out += "\n";
    std::fwrite(out.data(), 1, out.size(), stdout);
}

// Appends what fd holds from its offset to its end.
void read_rest(int fd, std::string& into) {
    char buf[65536];
    for (;;) {
        ssize_t n = sys::read_some(fd, buf, sizeof buf);
        if (n <= 0) return;
        into.append(buf, static_cast<size_t>(n));
    }
}

// Prints the whole lines of `pending`, keeping a line still being written.
void print_lines(std::string& pending, bool timestamps) {
    size_t start = 0, nl;
    while ((nl = pending.find('\n', start)) != std::string::npos) {
        print(pending.substr(start, nl - start), timestamps);
        start = nl + 1;
    }
    pending.erase(0, start);  // once: a rotation's worth of lines is megabytes
    std::fflush(stdout);
}

std::string pick_container(const state::PodState& st, const std::string& pod, const std::string& asked) {
    std::string container = asked;
    std::string names;
    for (const auto& c : st.containers) names += (names.empty() ? "" : ", ") + c.name;
    if (container.empty()) {
        for (const auto& c : st.containers) {
            if (!c.init) {
                container = c.name;
                break;
            }
        }
        size_t apps = 0;
        for (const auto& c : st.containers) apps += !c.init;
        if (apps > 1) std::fprintf(stderr, "Defaulted container \"%s\" out of: %s\n", container.c_str(), names.c_str());
    }
    bool known = false;
    for (const auto& c : st.containers) known = known || c.name == container;
    if (!known)
        throw InvalidInput(
            {"container \"" + container + "\" is not in pod \"" + pod + "\" (choose one of: " + names + ")"});
    return container;
}

}  // namespace

int logs(const std::string& pod, const LogsOptions& opts) {
    auto paths = state::PodPaths::for_pod(pod);
    auto st = state::load(paths);
    if (!st) throw InvalidInput({"pod \"" + pod + "\" not found (podrun ps lists pods)"});
    const std::string container = pick_container(*st, pod, opts.container);

    const std::string file = paths.log_file(container) + (opts.previous ? ".previous" : "");
    if (opts.previous && !sys::exists(file)) {
        throw InvalidInput({"container \"" + container + "\" has not been restarted: no previous log"});
    }
    // The file being written is read through an fd that --follow keeps: a rotation renames
    // it, and what was appended before is still read from it.
    sys::UniqueFd current;
    try {
        current = sys::open_file(file, O_RDONLY);
    } catch (const std::exception&) {}
    std::string text;
    std::vector<std::string> files = log_files(file);
    files.pop_back();
    for (const auto& f : files) text += sys::try_read_file(f).value_or("");
    if (current) read_rest(current.get(), text);

    // Whole lines only; a line still being written is picked up by --follow.
    size_t end = text.rfind('\n');
    end = end == std::string::npos ? 0 : end + 1;
    std::deque<std::string> lines;
    size_t start = 0;
    while (start < end) {
        size_t nl = text.find('\n', start);
        lines.push_back(text.substr(start, nl - start));
        start = nl + 1;
        if (opts.tail >= 0 && static_cast<int>(lines.size()) > opts.tail) lines.pop_front();
    }
    for (const auto& l : lines) print(l, opts.timestamps);
    std::fflush(stdout);
    if (!opts.follow || opts.previous) return 0;

    // Follow: poll for growth. When the path names another file (rotated at its size, or
    // a restart began a new one), the rest of the old one is read from our fd first.
    std::string pending = text.substr(end);
    for (;;) {
        if (current) read_rest(current.get(), pending);
        auto at_path = sys::file_id(file);
        // Plain values, not optionals: GCC 12 warns of maybe-uninitialized ones here.
        sys::FileId ours{};
        const bool have_ours = current && sys::file_id(current.get()).has_value();
        if (have_ours) ours = *sys::file_id(current.get());
        if (at_path && (!have_ours || !(*at_path == ours))) {
            if (current) read_rest(current.get(), pending);
            // The file to go on with is opened first: should the writer rotate again while
            // we catch up, that one is still ours to read (by fd), and it is where the
            // catching up stops. Opened after the catching up, a file rotated meanwhile
            // would be skipped whole.
            sys::UniqueFd next;
            try {
                next = sys::open_file(file, O_RDONLY);
            } catch (const std::exception&) {}
            sys::FileId next_id{};
            const bool have_next = next && sys::file_id(next.get()).has_value();
            if (have_next) next_id = *sys::file_id(next.get());
            // Several rotations may have come since the last look: the files newer than
            // ours ("<file>.k" for k below ours) are read whole, oldest first, up to the next.
            int k = 1;
            auto is_ours = [&](int n) {
                auto id = sys::file_id(file + "." + std::to_string(n));
                return have_ours && id && *id == ours;
            };
            while (k < 1000 && sys::exists(file + "." + std::to_string(k)) && !is_ours(k)) k++;
            if (!have_ours || !sys::exists(file + "." + std::to_string(k))) k = 1;  // not among them: nothing between
            for (int j = k - 1; j >= 1; j--) {
                sys::UniqueFd f;
                try {
                    f = sys::open_file(file + "." + std::to_string(j), O_RDONLY);
                } catch (const std::exception&) {
                    continue;
                }
                auto id = sys::file_id(f.get());
                if (have_next && id && *id == next_id) break;  // rotated since we opened it
                read_rest(f.get(), pending);
            }
            print_lines(pending, opts.timestamps);
            pending.clear();  // a line cut by a restart does not continue in the next file
            current = std::move(next);
            continue;
        }
        print_lines(pending, opts.timestamps);
        if (!sys::is_dir(paths.dir()) || !supervisor_alive(paths)) break;
        sys::sleep_ms(100);
    }
    return 0;
}

}  // namespace podrun::pod
