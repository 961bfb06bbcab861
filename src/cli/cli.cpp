// Placeholder until the cli room lands.
#include "podrun/cli/cli.hpp"

namespace podrun::cli {
int run(int, char**) { return 0; }
}  // namespace podrun::cli
