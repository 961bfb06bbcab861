// flock(2): a pod's lock (held = its supervisor runs) and short critical sections.
#pragma once

#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

// flock(LOCK_EX); with nonblock, returns an empty fd if someone else holds it. Without
// create, a missing file throws (ENOENT) instead of being made: probes of another pod's
// lock must not re-create a file its teardown has just removed.
UniqueFd lock_file(const std::string& path, bool nonblock, bool create = true);
// flock(LOCK_EX) on a directory (a short critical section across processes).
UniqueFd lock_dir(const std::string& path);

}  // namespace podrun::sys
