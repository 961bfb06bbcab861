// The image subcommands of podrun, run by podrun-image (podrun execs it: the registry
// client and libarchive stay out of the static podrun, docs/images.md).
#pragma once

namespace podrun::image {

// argv[1] is the subcommand: pull, images, rmi, image (prune | inspect), load.
int image_main(int argc, char** argv);

}  // namespace podrun::image
