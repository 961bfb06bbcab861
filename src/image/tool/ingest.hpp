// Bringing an image into the store, whatever it comes from (a registry, an archive, an
// OCI layout): manifest and config checked, missing layer blobs fetched in parallel
// (bounded), each missing layer unpacked once into its ChainID directory with its DiffID
// checked, then the image registered. Pull and load are thin sources over this.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "podrun/image/manifest.hpp"
#include "podrun/image/store.hpp"

namespace podrun::image {

// Where blobs come from. fetch() writes the blob to fd, checking its digest and size while
// it streams (DigestError otherwise). Called from several threads at once.
class BlobSource {
  public:
    virtual ~BlobSource() = default;
    virtual void fetch(const Descriptor& d, int fd, const std::function<void(int64_t)>& progress) = 0;
};

// What ingest reports: one layer's download or unpack moving on.
struct LayerEvent {
    enum Kind { Exists, Downloading, Downloaded, Unpacking, Unpacked } kind;
    size_t index = 0, count = 0;
    std::string digest;
    int64_t bytes = 0, total = 0;
};
using Progress = std::function<void(const LayerEvent&)>;

struct IngestRequest {
    std::string manifest_body;  // the image manifest (not the index)
    std::string manifest_digest;
    std::string manifest_media_type;
    std::vector<std::pair<std::string, std::string>> extra_blobs;  // (digest, body): the index
    std::vector<std::string> names, repo_digests;
    int parallel = 3;
};

// Needs the store held for adding (open_store_for_adding). Thread-safe against other
// processes doing the same: each blob and layer is fetched or unpacked by one of them.
ImageRecord ingest(const Store& s, BlobSource& src, const IngestRequest& req, const Progress& progress,
                   const std::function<void(const std::string&)>& explain);

}  // namespace podrun::image
