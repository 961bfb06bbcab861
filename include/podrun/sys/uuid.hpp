// A random RFC 4122 version-4 UUID (metadata.uid), from getrandom(2).
#pragma once

#include <string>

namespace podrun::sys {

std::string random_uuid();

}  // namespace podrun::sys
