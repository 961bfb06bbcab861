// podrun-image, the dynamic helper that holds the registry client and the unpacker
// (libcurl, libarchive, libcrypto): the static podrun execs it for the image subcommands
// and runs it for the pulls of `up` (docs/images.md says why it is a separate binary).
#pragma once

#include <string>
#include <vector>

namespace podrun::image {

// True for podrun's subcommands that podrun-image implements.
bool is_image_subcommand(const std::string& s);
// $PODRUN_IMAGE, else podrun-image next to the podrun binary (or ../libexec/podrun/).
std::string find_helper();
// Replaces this process with podrun-image and args (args[0] is the subcommand). Returns
// only on failure, with the exit code to use after printing why.
int exec_helper(const std::vector<std::string>& args);
// Runs podrun-image with args and waits: its stderr is passed on to ours and its last line
// kept in *last_err (the reason of a failure); its stdout is dropped. Returns its exit code.
int run_helper(const std::vector<std::string>& args, std::string* last_err);

}  // namespace podrun::image
