// One layer blob (tar, gzip or zstd) unpacked into a directory in one pass, whiteouts
// turned into overlay form as they come (STYLE.md example 15), the DiffID computed over the
// uncompressed stream on the way.
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

namespace podrun::image {

// An entry that would leave its directory, or a layer that is not a tar.
struct UnpackError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Unpacked {
    std::string diff_id;  // sha256 of the uncompressed tar
    int64_t entries = 0;
};

// `dest` must be an empty directory. Ownership, modes, times, xattrs (file capabilities
// among them), hard links and device nodes are kept; trusted.overlay.* xattrs from the
// layer are dropped (an image must not forge overlay metadata). Refused: absolute paths,
// ".." components, and any entry (or hard-link target) whose parent is reached through a
// symlink - libarchive's ARCHIVE_EXTRACT_SECURE_* flags and podrun's own openat2 check.
Unpacked unpack_layer(const std::string& blob, const std::string& dest);

// Cleans a tar entry's path: "./a//b/" -> "a/b"; "" for the root itself. Throws UnpackError
// for an absolute path or a ".." component.
std::string clean_entry_path(const std::string& p);

}  // namespace podrun::image
