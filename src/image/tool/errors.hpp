// Errors of podrun-image that callers tell apart (exit codes, Kubernetes reasons).
#pragma once

#include <stdexcept>

namespace podrun::image {

// Content that does not match its digest (or its declared size): nothing was stored.
struct DigestError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// A layer whose uncompressed content is not the config's rootfs.diff_ids entry.
struct DiffIdMismatch : DigestError {
    using DigestError::DigestError;
};

}  // namespace podrun::image
