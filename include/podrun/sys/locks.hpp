// Locks: a pod's lock (held = its supervisor runs, an OFD lock a probe can ask about without
// taking it) and flock(2) for short critical sections on directories.
#pragma once

#include <string>

#include "podrun/sys/fd.hpp"

namespace podrun::sys {

// An exclusive open-file-description lock on the whole file (fcntl F_OFD_SETLK[W]: like
// flock, held by the open file, shared with a forked child, gone when the last fd closes);
// with nonblock, returns an empty fd if someone else holds it. Without create, a missing
// file throws (ENOENT) instead of being made: probes of another pod's lock must not
// re-create a file its teardown has just removed.
UniqueFd lock_file(const std::string& path, bool nonblock, bool create = true);
// Whether lock_file's lock on `path` is held, asked with F_OFD_GETLK: nothing is taken, so
// a probe (ps, logs -f) can never make a concurrent lock_file fail. Throws if `path` is
// missing.
bool lock_held(const std::string& path);
// flock(LOCK_EX), or LOCK_SH, on a directory (a short critical section across processes);
// with nonblock, an empty fd if it is held otherwise.
UniqueFd lock_dir(const std::string& path, bool shared = false, bool nonblock = false);

}  // namespace podrun::sys
