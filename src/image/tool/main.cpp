// podrun-image: podrun's image subcommands (pull, images, rmi, image prune/inspect, load).
#include "commands.hpp"

int main(int argc, char** argv) {
    return podrun::image::image_main(argc, argv);
}
