// `podrun doctor`: what podrun finds on this host and what will and will not work.
#pragma once

#include <string>
#include <vector>

namespace podrun::pod {

struct DoctorLine {
    std::string item;
    bool ok = false;
    std::string detail;
};

struct DoctorReport {
    std::vector<DoctorLine> checks;    // facts about the host
    std::vector<DoctorLine> verdicts;  // what will and will not work
};

// Probes for real (a throw-away cgroup and child processes); leaves nothing behind.
DoctorReport doctor();

}  // namespace podrun::pod
