// `podrun logs`: a container's log file (CRI format) printed back, optionally followed.
#pragma once

#include <string>
#include <vector>

namespace podrun::pod {

struct LogsOptions {
    std::string container;  // empty: the first app container (kubectl's default)
    bool follow = false;
    int tail = -1;  // last N lines; -1 all
    bool timestamps = false;
    bool previous = false;  // the previous instance's log (after a restart)
};

// Writes the log to stdout; returns 0, or throws InvalidInput naming what is missing.
int logs(const std::string& pod, const LogsOptions& opts);

// One CRI log line split: "<time> <stream> <F|P> <content>".
struct LogLine {
    std::string time, stream, content;
    bool partial = false;
    bool ok = false;
};
LogLine parse_log_line(const std::string& line);
// A log and the files its rotation kept ("<base>.1" newest, supervisor/output.hpp), oldest
// first, ending with base itself.
std::vector<std::string> log_files(const std::string& base);

}  // namespace podrun::pod
