// `podrun load`: an OCI image layout (a directory, or an oci-archive tarball of one) or a
// docker-archive (manifest.json with Config, RepoTags, Layers). Tarballs are extracted
// into tmp/ first (regular files, directories and symlinks only, confined); every file is
// then read in that tree with openat2(RESOLVE_IN_ROOT), so a symlink in an archive cannot
// make podrun read anything outside it.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "digest.hpp"
#include "errors.hpp"
#include "podrun/sys/beneath.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/process.hpp"
#include "pull.hpp"
#include "store_write.hpp"
#include "unpack.hpp"

namespace podrun::image {

namespace {

using Json = nlohmann::json;

void extract(const std::string& tarball, const std::string& dest) {
    std::unique_ptr<archive, int (*)(archive*)> in(archive_read_new(), archive_read_free);
    archive_read_support_filter_gzip(in.get());
    archive_read_support_filter_zstd(in.get());
    archive_read_support_format_tar(in.get());
    if (archive_read_open_filename(in.get(), tarball.c_str(), 1 << 16) != ARCHIVE_OK) {
        throw UnpackError(tarball + ": " + archive_error_string(in.get()));
    }
    sys::UniqueFd root = sys::open_dir(dest);
    sys::ScopedCwd cwd(root.get());
    std::unique_ptr<archive, int (*)(archive*)> w(archive_write_disk_new(), archive_write_free);
    archive_write_disk_set_options(w.get(), ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
    for (;;) {
        archive_entry* e = nullptr;
        int r = archive_read_next_header(in.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) throw UnpackError(tarball + ": " + archive_error_string(in.get()));
        std::string path = clean_entry_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
        auto type = archive_entry_filetype(e);
        if (path.empty() || (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) || archive_entry_hardlink(e))
            continue;
        archive_entry_set_pathname(e, path.c_str());
        archive_entry_set_perm(e, type == AE_IFDIR ? 0700 : 0600);
        if (archive_write_header(w.get(), e) < ARCHIVE_WARN)
            throw UnpackError(tarball + ": " + path + ": " + archive_error_string(w.get()));
        const void* buf;
        size_t size;
        la_int64_t off;
        while (type == AE_IFREG && archive_read_data_block(in.get(), &buf, &size, &off) == ARCHIVE_OK) {
            if (archive_write_data_block(w.get(), buf, size, off) < ARCHIVE_WARN) {
                throw UnpackError(tarball + ": " + path + ": " + archive_error_string(w.get()));
            }
        }
        archive_write_finish_entry(w.get());
    }
    archive_write_close(w.get());
}

// Reads a file of the tree, in the tree: symlinks resolve as if its top were "/".
class TreeSource : public BlobSource {
  public:
    explicit TreeSource(const std::string& dir) : root_(sys::open_dir(dir)) {}
    std::string read(const std::string& rel) {
        sys::UniqueFd fd = sys::open_in_root(root_.get(), rel, O_RDONLY);
        std::string out;
        char buf[1 << 16];
        for (ssize_t n; (n = sys::read_some(fd.get(), buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
        return out;
    }
    bool has(const std::string& rel) {
        try {
            sys::open_in_root(root_.get(), rel, O_PATH);
            return true;
        } catch (const sys::SysError&) {
            return false;
        }
    }
    // (digest, size) of a file, and its first bytes (for the compression).
    std::pair<Descriptor, std::string> describe(const std::string& rel) {
        sys::UniqueFd fd = sys::open_in_root(root_.get(), rel, O_RDONLY);
        Sha256 h;
        Descriptor d;
        std::string head;
        char buf[1 << 16];
        for (ssize_t n; (n = sys::read_some(fd.get(), buf, sizeof buf)) > 0;) {
            if (head.size() < 4) head.append(buf, std::min<size_t>(4, static_cast<size_t>(n)));
            h.update(buf, static_cast<size_t>(n));
            d.size += n;
        }
        d.digest = h.digest();
        paths_[d.digest] = rel;
        return {d, head};
    }
    void fetch(const Descriptor& d, int out, const std::function<void(int64_t)>& progress) override {
        auto it = paths_.find(d.digest);
        std::string rel = it != paths_.end() ? it->second : "blobs/sha256/" + digest_hex(d.digest);
        sys::UniqueFd fd = sys::open_in_root(root_.get(), rel, O_RDONLY);
        Sha256 h;
        int64_t got = 0;
        char buf[1 << 16];
        for (ssize_t n; (n = sys::read_some(fd.get(), buf, sizeof buf)) > 0;) {
            h.update(buf, static_cast<size_t>(n));
            sys::write_all(out, std::string(buf, static_cast<size_t>(n)));
            got += n;
            if (progress) progress(got);
        }
        std::string actual = h.digest();
        if (actual != d.digest || got != d.size) {
            throw DigestError("blob " + d.digest + " (" + rel + "): its content has digest " + actual + " and " +
                              std::to_string(got) + " bytes; nothing stored");
        }
    }

  private:
    sys::UniqueFd root_;
    std::map<std::string, std::string> paths_;
};

std::vector<std::string> normalised_names(const std::vector<std::string>& raw) {
    std::vector<std::string> out;
    for (const auto& n : raw) {
        try {
            out.push_back(parse_reference(n).name());
        } catch (const ReferenceError& e) {
            spdlog::warn("load: name \"{}\" skipped: {}", n, e.what());
        }
    }
    return out;
}

std::vector<ImageRecord> load_oci(const Store& s, TreeSource& t, const PullOptions& opts) {
    Index top = parse_index(t.read("index.json"));
    std::vector<ImageRecord> out;
    for (const auto& d : top.manifests) {
        std::string body = t.read("blobs/sha256/" + digest_hex(d.digest));
        if (sha256_digest(body) != d.digest)
            throw DigestError("index.json names " + d.digest + " but that blob's digest differs");
        std::string mt = d.media_type.empty() ? declared_media_type(body) : d.media_type;
        IngestRequest req;
        std::string mdigest = d.digest;
        if (manifest_kind(mt) == ManifestKind::Index) {
            Platform want = opts.platform.value_or(host_platform());
            auto pick = choose_platform(parse_index(body), want);
            if (!pick) throw ManifestError("index " + d.digest + ": no image for " + want.str());
            req.extra_blobs.emplace_back(d.digest, body);
            body = t.read("blobs/sha256/" + digest_hex(pick->digest));
            if (sha256_digest(body) != pick->digest)
                throw DigestError("manifest " + pick->digest + ": its content's digest differs");
            mdigest = pick->digest;
            mt = pick->media_type.empty() ? declared_media_type(body) : pick->media_type;
        }
        if (manifest_kind(mt) != ManifestKind::Manifest) continue;  // an artifact: not an image
        req.manifest_body = body;
        req.manifest_digest = mdigest;
        req.manifest_media_type = mt;
        auto rn = d.annotations.find("org.opencontainers.image.ref.name");
        if (rn != d.annotations.end()) {
            // A full reference names the image; a bare tag (no repository) cannot.
            if (rn->second.find_first_of("/:") != std::string::npos)
                req.names = normalised_names({rn->second});
            else
                spdlog::warn("load: ref.name \"{}\" is a tag without a repository; the image is known by its ID",
                             rn->second);
        }
        out.push_back(ingest(s, t, req, opts.progress, opts.explain));
    }
    return out;
}

std::vector<ImageRecord> load_docker(const Store& s, TreeSource& t, const PullOptions& opts) {
    Json m = Json::parse(t.read("manifest.json"), nullptr, false);
    if (!m.is_array()) throw ManifestError("manifest.json of the docker-archive is not an array");
    std::vector<ImageRecord> out;
    for (const auto& e : m) {
        if (!e.is_object() || !e.contains("Config") || !e["Config"].is_string() || !e.contains("Layers") ||
            !e["Layers"].is_array()) {
            throw ManifestError("manifest.json: an entry without Config and Layers");
        }
        auto [cfg, chead] = t.describe(e["Config"].get<std::string>());
        cfg.media_type = media::kOciConfig;
        Json layers = Json::array();
        for (const auto& l : e["Layers"]) {
            if (!l.is_string()) throw ManifestError("manifest.json: Layers holds a non-string");
            auto [d, head] = t.describe(l.get<std::string>());
            std::string mt = media::kOciLayerTar;
            if (head.size() >= 2 && uint8_t(head[0]) == 0x1f && uint8_t(head[1]) == 0x8b)
                mt += "+gzip";
            else if (head.size() >= 4 && head == std::string("\x28\xb5\x2f\xfd", 4))
                mt += "+zstd";
            layers.push_back({{"mediaType", mt}, {"digest", d.digest}, {"size", d.size}});
        }
        // A docker-archive has no manifest: podrun writes the OCI manifest it stands for.
        Json mf = {{"schemaVersion", 2},
                   {"mediaType", media::kOciManifest},
                   {"config", {{"mediaType", cfg.media_type}, {"digest", cfg.digest}, {"size", cfg.size}}},
                   {"layers", layers}};
        IngestRequest req;
        req.manifest_body = mf.dump();
        req.manifest_digest = sha256_digest(req.manifest_body);
        req.manifest_media_type = media::kOciManifest;
        std::vector<std::string> tags;
        if (e.contains("RepoTags") && e["RepoTags"].is_array()) {
            for (const auto& r : e["RepoTags"])
                if (r.is_string()) tags.push_back(r.get<std::string>());
        }
        req.names = normalised_names(tags);
        out.push_back(ingest(s, t, req, opts.progress, opts.explain));
    }
    return out;
}

}  // namespace

std::vector<ImageRecord> load(const Store& s, const std::string& path, const PullOptions& opts) {
    sys::UniqueFd lock = open_store_for_adding(s);
    std::string dir = path, tmp;
    if (!sys::is_dir(path)) {
        if (!sys::exists(path)) throw std::runtime_error("load: " + path + ": no such file or directory");
        tmp = make_tmp_dir(s, "load");
        dir = tmp;
    }
    struct Cleanup {
        std::string d;
        ~Cleanup() {
            if (!d.empty()) sys::remove_tree(d);
        }
    } cleanup{tmp};
    if (!tmp.empty()) extract(path, tmp);
    TreeSource t(dir);
    if (t.has("index.json") && t.has("oci-layout")) return load_oci(s, t, opts);
    if (t.has("manifest.json")) return load_docker(s, t, opts);
    throw ManifestError(
        "load: " + path +
        " is neither an OCI image layout (oci-layout, index.json) nor a docker-archive (manifest.json)");
}

}  // namespace podrun::image
