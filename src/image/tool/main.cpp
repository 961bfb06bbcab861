// podrun-image: podrun's image subcommands (pull, images, rmi, image prune/inspect, load),
// and the probe handlers that need libcurl (`probe`, run by the supervisor).
#include <cstring>

#include "commands.hpp"
#include "probe.hpp"

int main(int argc, char** argv) {
    if (argc > 1 && std::strcmp(argv[1], "probe") == 0) return podrun::image::probe_main(argc, argv);
    return podrun::image::image_main(argc, argv);
}
