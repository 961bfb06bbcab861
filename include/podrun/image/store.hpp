// The image store (DESIGN.md section 5): blobs by digest, one directory per layer named by
// its ChainID, images as records pointing at them. This is the read side, linked into the
// static podrun; writing (pull, load, rmi, prune) is podrun-image's (src/image/tool/).
//
//   <root>/images.json             every image: id, names, repo digests, layers (atomic rename)
//   <root>/blobs/sha256/<hex>      manifests, configs, layer blobs, verified
//   <root>/layers/<chain hex>/     a layer unpacked, whiteouts in overlay form: a lower dir
//   <root>/lock, index.lock        flock: the store (shared to add, exclusive to remove), images.json
//   <root>/locks/<hex>             flock: one download or unpack of that blob or layer at a time
//   <root>/tmp/                    partial downloads and unpacks; removed by the next run
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "podrun/image/manifest.hpp"

namespace podrun::image {

struct LayerRecord {
    std::string blob;        // digest of the blob as stored (compressed)
    std::string media_type;  // of the blob
    int64_t size = 0;        // of the blob
    std::string diff_id;     // digest of the uncompressed tar
    std::string chain_id;    // names the unpacked directory
};

struct ImageRecord {
    std::string id;  // the config's digest (image ID, as Docker and containerd)
    std::string manifest_digest;
    std::string manifest_media_type;
    std::vector<std::string> names;         // docker.io/library/nginx:1.25
    std::vector<std::string> repo_digests;  // docker.io/library/nginx@sha256:<manifest>
    std::vector<LayerRecord> layers;        // bottom first
    int64_t size = 0;                       // config + layer blobs
    std::string created;                    // from the config
    std::string pulled_at;

    nlohmann::json to_json() const;
    static ImageRecord from_json(const nlohmann::json& j);
    // "repo@sha256:..." for containerStatuses[].imageID: the repo digest of `name`'s
    // repository if there is one, else the first, else the image ID.
    std::string image_id_for(const std::string& name) const;
};

class Store {
  public:
    explicit Store(std::string root);
    // $PODRUN_STORAGE if set (tests), else /var/lib/podrun/storage.
    static std::string default_root();

    const std::string& root() const { return root_; }
    std::string blob_path(const std::string& digest) const;  // digest checked
    std::string layer_dir(const std::string& chain_id) const;
    std::string index_file() const { return root_ + "/images.json"; }
    std::string lock_file() const { return root_ + "/lock"; }
    std::string index_lock_file() const { return root_ + "/index.lock"; }
    std::string locks_dir() const { return root_ + "/locks"; }
    std::string tmp_dir() const { return root_ + "/tmp"; }

    // Every image; an absent store has none. images.json is replaced atomically, so
    // reading needs no lock.
    std::vector<ImageRecord> images() const;
    // By name (normalised: "nginx" finds docker.io/library/nginx:latest), by repo digest,
    // by ID ("sha256:<hex>") or by an unambiguous ID prefix of at least 4 hex digits.
    std::optional<ImageRecord> find(const std::string& ref_or_id) const;
    std::string config_text(const ImageRecord& img) const;
    ImageConfig config(const ImageRecord& img) const;

  private:
    std::string root_;
};

// "sha256:<hex>" -> "<hex>" (the digest is checked).
std::string digest_hex(const std::string& digest);

}  // namespace podrun::image
