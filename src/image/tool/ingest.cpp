// The ingest pipeline: config, layers (download in parallel, unpack in order), register.
#include "ingest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "digest.hpp"
#include "errors.hpp"
#include "podrun/sys/clock.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/uuid.hpp"
#include "store_write.hpp"
#include "unpack.hpp"

namespace podrun::image {

namespace {

constexpr int64_t kMaxConfig = 8 << 20;

// Fetches one blob into the store unless it is there: under its item lock, into tmp/, then
// fsync and rename. Nothing is left at the blob's path unless its digest matched.
void fetch_blob(const Store& s, BlobSource& src, const Descriptor& d, const std::function<void(int64_t)>& progress) {
    if (sys::exists(s.blob_path(d.digest))) return;
    sys::UniqueFd lk = lock_item(s, d.digest);
    if (sys::exists(s.blob_path(d.digest))) return;  // another process fetched it meanwhile
    std::string tmp = s.tmp_dir() + "/blob-" + digest_hex(d.digest).substr(0, 12) + "-" + sys::random_uuid();
    try {
        sys::UniqueFd fd = sys::open_file(tmp, O_RDWR | O_CREAT | O_EXCL, 0600);
        src.fetch(d, fd.get(), progress);
        if (::fsync(fd.get()) != 0) throw std::runtime_error("fsync " + tmp);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    sys::rename_path(tmp, s.blob_path(d.digest));
}

}  // namespace

ImageRecord ingest(const Store& s, BlobSource& src, const IngestRequest& req, const Progress& progress,
                   const std::function<void(const std::string&)>& explain) {
    auto say = [&](const std::string& m) {
        if (explain) explain(m);
    };
    Manifest mf = parse_manifest(req.manifest_body);
    if (mf.config.media_type != media::kOciConfig && mf.config.media_type != media::kDockerConfig) {
        throw ManifestError("manifest " + req.manifest_digest + ": config media type \"" + mf.config.media_type +
                            "\" is not an image config (an artifact, not an image?)");
    }
    if (mf.config.size > kMaxConfig) throw ManifestError("config " + mf.config.digest + " is larger than 8 MiB");
    for (const auto& l : mf.layers) layer_compression(l.media_type);  // refuse unknown types before fetching

    fetch_blob(s, src, mf.config, nullptr);
    std::string config_text = sys::read_file(s.blob_path(mf.config.digest));
    ImageConfig cfg = parse_config(config_text);
    say("config " + mf.config.digest + ": digest verified; " + std::to_string(cfg.diff_ids.size()) + " diff_ids");
    if (cfg.diff_ids.size() != mf.layers.size()) {
        throw ManifestError("image " + req.manifest_digest + ": the manifest has " + std::to_string(mf.layers.size()) +
                            " layers, the config's rootfs.diff_ids " + std::to_string(cfg.diff_ids.size()));
    }

    ImageRecord img;
    img.id = mf.config.digest;
    img.manifest_digest = req.manifest_digest;
    img.manifest_media_type = req.manifest_media_type;
    img.names = req.names;
    img.repo_digests = req.repo_digests;
    img.created = cfg.created;
    img.pulled_at = sys::now_rfc3339();
    img.size = mf.config.size;
    std::string chain;
    for (size_t i = 0; i < mf.layers.size(); ++i) {
        chain = chain_id(chain, cfg.diff_ids[i]);
        img.layers.push_back({mf.layers[i].digest, mf.layers[i].media_type, mf.layers[i].size, cfg.diff_ids[i], chain});
        img.size += mf.layers[i].size;
    }

    // Which layers need their blob: those not unpacked yet (a blob is kept after unpacking,
    // but a layer directory alone is enough).
    std::vector<size_t> need;
    for (size_t i = 0; i < img.layers.size(); ++i) {
        const auto& l = img.layers[i];
        if (sys::is_dir(s.layer_dir(l.chain_id))) {
            if (progress) progress({LayerEvent::Exists, i, img.layers.size(), l.blob, l.size, l.size});
            continue;
        }
        need.push_back(i);
    }

    // Downloads: `parallel` workers take layers in order; the first failure stops the rest.
    std::atomic<size_t> next{0};
    std::mutex mu;
    std::exception_ptr failure;
    auto worker = [&] {
        for (;;) {
            size_t k = next++;
            if (k >= need.size()) return;
            {
                std::lock_guard<std::mutex> g(mu);
                if (failure) return;
            }
            size_t i = need[k];
            const auto& d = mf.layers[i];
            try {
                if (progress) progress({LayerEvent::Downloading, i, mf.layers.size(), d.digest, 0, d.size});
                fetch_blob(s, src, d, [&](int64_t b) {
                    if (progress) progress({LayerEvent::Downloading, i, mf.layers.size(), d.digest, b, d.size});
                });
                if (progress) progress({LayerEvent::Downloaded, i, mf.layers.size(), d.digest, d.size, d.size});
            } catch (...) {
                std::lock_guard<std::mutex> g(mu);
                if (!failure) failure = std::current_exception();
                return;
            }
        }
    };
    {
        std::vector<std::thread> pool;
        int n = std::max(1, std::min<int>(req.parallel, static_cast<int>(need.size())));
        for (int t = 0; t < n; ++t) pool.emplace_back(worker);
        for (auto& t : pool) t.join();
    }
    if (failure) std::rethrow_exception(failure);

    // Unpacks, one at a time in this thread (libarchive's disk writer works in the cwd).
    for (size_t i : need) {
        const auto& l = img.layers[i];
        std::string dir = s.layer_dir(l.chain_id);
        sys::UniqueFd lk = lock_item(s, l.chain_id);
        if (sys::is_dir(dir)) continue;
        if (progress) progress({LayerEvent::Unpacking, i, img.layers.size(), l.blob, l.size, l.size});
        std::string tmp = make_tmp_dir(s, "layer-" + digest_hex(l.chain_id).substr(0, 12));
        Unpacked u;
        try {
            u = unpack_layer(s.blob_path(l.blob), tmp);
        } catch (...) {
            sys::remove_tree(tmp);
            throw;
        }
        if (u.diff_id != l.diff_id) {
            sys::remove_tree(tmp);
            throw DiffIdMismatch("layer " + std::to_string(i + 1) + " (" + l.blob +
                                 "): its uncompressed content has digest " + u.diff_id +
                                 ", the config's rootfs.diff_ids[" + std::to_string(i) + "] says " + l.diff_id);
        }
        say("layer " + l.blob + ": DiffID " + u.diff_id + " verified; unpacked as ChainID " + l.chain_id);
        sys::rename_path(tmp, dir);
        if (progress) progress({LayerEvent::Unpacked, i, img.layers.size(), l.blob, l.size, l.size});
    }

    put_small_blob(s, req.manifest_digest, req.manifest_body);
    for (const auto& [d, body] : req.extra_blobs) put_small_blob(s, d, body);
    register_image(s, img);
    return img;
}

}  // namespace podrun::image
