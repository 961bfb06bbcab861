// The store's read side: where things are, and the image records of images.json.
#include "podrun/image/store.hpp"

#include <cstdlib>

#include "podrun/image/reference.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::image {

using Json = nlohmann::json;

std::string digest_hex(const std::string& digest) {
    if (!is_sha256_digest(digest)) throw ManifestError("\"" + digest + "\" is not a sha256 digest");
    return digest.substr(7);
}

Json ImageRecord::to_json() const {
    Json layers_j = Json::array();
    for (const auto& l : layers) {
        layers_j.push_back({{"blob", l.blob},
                            {"mediaType", l.media_type},
                            {"size", l.size},
                            {"diffID", l.diff_id},
                            {"chainID", l.chain_id}});
    }
    return {{"id", id},       {"manifest", manifest_digest}, {"manifestMediaType", manifest_media_type},
            {"names", names}, {"repoDigests", repo_digests}, {"layers", layers_j},
            {"size", size},   {"created", created},          {"pulledAt", pulled_at}};
}

ImageRecord ImageRecord::from_json(const Json& j) {
    ImageRecord r;
    r.id = j.at("id").get<std::string>();
    r.manifest_digest = j.at("manifest").get<std::string>();
    r.manifest_media_type = j.value("manifestMediaType", "");
    r.names = j.value("names", std::vector<std::string>{});
    r.repo_digests = j.value("repoDigests", std::vector<std::string>{});
    for (const auto& l : j.at("layers")) {
        r.layers.push_back({l.at("blob").get<std::string>(), l.value("mediaType", ""), l.value("size", int64_t{0}),
                            l.at("diffID").get<std::string>(), l.at("chainID").get<std::string>()});
    }
    r.size = j.value("size", int64_t{0});
    r.created = j.value("created", "");
    r.pulled_at = j.value("pulledAt", "");
    return r;
}

std::string ImageRecord::image_id_for(const std::string& name) const {
    std::string repo;
    try {
        repo = parse_reference(name).repository();
    } catch (const ReferenceError&) {}
    for (const auto& rd : repo_digests) {
        if (rd.rfind(repo + "@", 0) == 0) return rd;
    }
    return repo_digests.empty() ? id : repo_digests.front();
}

Store::Store(std::string root) : root_(std::move(root)) {}

std::string Store::default_root() {
    const char* e = std::getenv("PODRUN_STORAGE");
    return e && *e ? e : "/var/lib/podrun/storage";
}

std::string Store::blob_path(const std::string& digest) const {
    return root_ + "/blobs/sha256/" + digest_hex(digest);
}

std::string Store::layer_dir(const std::string& chain_id) const {
    return root_ + "/layers/" + digest_hex(chain_id);
}

std::vector<ImageRecord> Store::images() const {
    auto text = sys::try_read_file(index_file());
    if (!text) return {};
    Json j = Json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.contains("images")) {
        throw ManifestError(index_file() + " is not podrun's image index (remove it and pull again)");
    }
    std::vector<ImageRecord> out;
    for (const auto& e : j.at("images")) out.push_back(ImageRecord::from_json(e));
    return out;
}

std::optional<ImageRecord> Store::find(const std::string& s) const {
    auto all = images();
    if (auto ref = reference_problem(s); !ref) {
        Reference r = parse_reference(s);
        // A name with a digest matches the repo digest; "repo:tag@digest" is found by digest.
        std::string want = r.digest.empty() ? r.name() : r.repository() + "@" + r.digest;
        for (const auto& img : all) {
            for (const auto& n : r.digest.empty() ? img.names : img.repo_digests) {
                if (n == want) return img;
            }
        }
    }
    std::string hex = s.rfind("sha256:", 0) == 0 ? s.substr(7) : s;
    if (hex.size() < 4 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) return std::nullopt;
    std::optional<ImageRecord> found;
    for (const auto& img : all) {
        if (img.id.compare(7, hex.size(), hex) == 0) {
            if (found) throw ManifestError("image ID prefix \"" + s + "\" is ambiguous; give more digits");
            found = img;
        }
    }
    return found;
}

std::string Store::config_text(const ImageRecord& img) const {
    return sys::read_file(blob_path(img.id));
}

ImageConfig Store::config(const ImageRecord& img) const {
    return parse_config(config_text(img));
}

}  // namespace podrun::image
