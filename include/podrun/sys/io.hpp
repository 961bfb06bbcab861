// Transitional umbrella over the headers that split the old io.hpp (files, locks, events,
// clock, uuid, mounts, fdio). Only the files being reworked for confinement still include
// it (tests/include_allowlist.txt lists them); new code includes the header it needs.
#pragma once

#include <signal.h>

#include "podrun/sys/clock.hpp"
#include "podrun/sys/events.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/locks.hpp"
#include "podrun/sys/mounts.hpp"
#include "podrun/sys/uuid.hpp"
