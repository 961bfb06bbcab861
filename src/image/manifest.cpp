// Manifests, indexes and image configs as plain data (image-spec, Docker schema 2).
// Untrusted input: every field is type-checked; a wrong one is a ManifestError naming it.
#include "podrun/image/manifest.hpp"

#include <nlohmann/json.hpp>

#include "podrun/image/reference.hpp"

namespace podrun::image {

namespace {

using Json = nlohmann::json;

[[noreturn]] void fail(const std::string& why) {
    throw ManifestError(why);
}

Json parse_json(const std::string& body, const char* what) {
    Json j = Json::parse(body, nullptr, false);
    if (j.is_discarded()) fail(std::string(what) + " is not JSON");
    if (!j.is_object()) fail(std::string(what) + " is not a JSON object");
    return j;
}

std::string str_field(const Json& j, const char* key, const std::string& path, bool required) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (required) fail(path + "." + key + " is missing");
        return {};
    }
    if (!it->is_string()) fail(path + "." + key + " is not a string");
    return it->get<std::string>();
}

std::optional<std::vector<std::string>> str_list(const Json& j, const char* key, const std::string& path) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_array()) fail(path + "." + key + " is not an array of strings");
    std::vector<std::string> out;
    for (const auto& e : *it) {
        if (!e.is_string()) fail(path + "." + key + " is not an array of strings");
        out.push_back(e.get<std::string>());
    }
    return out;
}

Descriptor descriptor(const Json& j, const std::string& path) {
    if (!j.is_object()) fail(path + " is not an object");
    Descriptor d;
    d.media_type = str_field(j, "mediaType", path, false);
    d.digest = str_field(j, "digest", path, true);
    if (!is_sha256_digest(d.digest)) fail(path + ".digest \"" + d.digest + "\" is not a sha256 digest");
    auto size = j.find("size");
    if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
        fail(path + ".size is missing or not a non-negative integer");
    }
    d.size = size->get<int64_t>();
    if (auto p = j.find("platform"); p != j.end() && !p->is_null()) {
        if (!p->is_object()) fail(path + ".platform is not an object");
        Platform pl;
        pl.os = str_field(*p, "os", path + ".platform", true);
        pl.architecture = str_field(*p, "architecture", path + ".platform", true);
        pl.variant = str_field(*p, "variant", path + ".platform", false);
        d.platform = pl;
    }
    if (auto a = j.find("annotations"); a != j.end() && !a->is_null()) {
        if (!a->is_object()) fail(path + ".annotations is not an object");
        for (const auto& [k, v] : a->items()) {
            if (!v.is_string()) fail(path + ".annotations." + k + " is not a string");
            d.annotations[k] = v.get<std::string>();
        }
    }
    return d;
}

}  // namespace

std::string Platform::str() const {
    return os + "/" + architecture + (variant.empty() ? "" : "/" + variant);
}

std::optional<ManifestKind> manifest_kind(const std::string& media_type) {
    if (media_type == media::kOciIndex || media_type == media::kDockerList) return ManifestKind::Index;
    if (media_type == media::kOciManifest || media_type == media::kDockerManifest) return ManifestKind::Manifest;
    return std::nullopt;
}

std::string declared_media_type(const std::string& body) {
    Json j = Json::parse(body, nullptr, false);
    if (!j.is_object()) return {};
    auto it = j.find("mediaType");
    if (it != j.end() && it->is_string()) return it->get<std::string>();
    // An OCI document may omit mediaType: "manifests" marks an index, "config" a manifest.
    if (j.contains("manifests")) return media::kOciIndex;
    if (j.contains("config") && j.contains("layers")) return media::kOciManifest;
    return {};
}

Index parse_index(const std::string& body) {
    Json j = parse_json(body, "the image index");
    auto m = j.find("manifests");
    if (m == j.end() || !m->is_array()) fail("index.manifests is missing or not an array");
    Index idx;
    for (size_t i = 0; i < m->size(); ++i)
        idx.manifests.push_back(descriptor((*m)[i], "manifests[" + std::to_string(i) + "]"));
    return idx;
}

Manifest parse_manifest(const std::string& body) {
    Json j = parse_json(body, "the image manifest");
    Manifest mf;
    mf.media_type = str_field(j, "mediaType", "manifest", false);
    if (auto sv = j.find("schemaVersion"); sv == j.end() || !sv->is_number_integer() || sv->get<int>() != 2) {
        fail("manifest.schemaVersion is not 2 (schema 1 manifests are not supported)");
    }
    auto c = j.find("config");
    if (c == j.end()) fail("manifest.config is missing");
    mf.config = descriptor(*c, "manifest.config");
    auto l = j.find("layers");
    if (l == j.end() || !l->is_array()) fail("manifest.layers is missing or not an array");
    for (size_t i = 0; i < l->size(); ++i)
        mf.layers.push_back(descriptor((*l)[i], "manifest.layers[" + std::to_string(i) + "]"));
    return mf;
}

ImageConfig parse_config(const std::string& body) {
    Json j = parse_json(body, "the image config");
    ImageConfig ic;
    ic.platform.os = str_field(j, "os", "config", false);
    ic.platform.architecture = str_field(j, "architecture", "config", false);
    ic.platform.variant = str_field(j, "variant", "config", false);
    ic.created = str_field(j, "created", "config", false);
    if (auto c = j.find("config"); c != j.end() && !c->is_null()) {
        if (!c->is_object()) fail("config.config is not an object");
        ic.user = str_field(*c, "User", "config.config", false);
        ic.env = str_list(*c, "Env", "config.config").value_or(std::vector<std::string>{});
        ic.entrypoint = str_list(*c, "Entrypoint", "config.config");
        ic.cmd = str_list(*c, "Cmd", "config.config");
        ic.working_dir = str_field(*c, "WorkingDir", "config.config", false);
        ic.stop_signal = str_field(*c, "StopSignal", "config.config", false);
    }
    auto rootfs = j.find("rootfs");
    if (rootfs == j.end() || !rootfs->is_object()) fail("config.rootfs is missing");
    if (str_field(*rootfs, "type", "config.rootfs", true) != "layers") fail("config.rootfs.type is not \"layers\"");
    ic.diff_ids = str_list(*rootfs, "diff_ids", "config.rootfs").value_or(std::vector<std::string>{});
    for (size_t i = 0; i < ic.diff_ids.size(); ++i) {
        if (!is_sha256_digest(ic.diff_ids[i]))
            fail("config.rootfs.diff_ids[" + std::to_string(i) + "] is not a sha256 digest");
    }
    return ic;
}

Compression layer_compression(const std::string& mt) {
    auto ends = [&](const char* s) {
        std::string suf(s);
        return mt.size() >= suf.size() && mt.compare(mt.size() - suf.size(), suf.size(), suf) == 0;
    };
    if (mt.find("encrypted") != std::string::npos)
        fail("layer media type " + mt + " is encrypted; podrun cannot decrypt layers");
    if (mt == "application/vnd.docker.image.rootfs.diff.tar.gzip" ||
        mt == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" || ends(".tar+gzip") || ends(".tar.gzip")) {
        return Compression::Gzip;
    }
    if (ends(".tar+zstd") || ends(".tar.zstd")) return Compression::Zstd;
    if (ends(".tar") || mt == "application/vnd.docker.image.rootfs.diff.tar") return Compression::None;
    fail("layer media type \"" + mt + "\" is not a tar layer");
}

Platform parse_platform(const std::string& s) {
    Platform p;
    size_t a = s.find('/');
    if (a == std::string::npos || a == 0) fail("platform \"" + s + "\" is not os/arch[/variant]");
    p.os = s.substr(0, a);
    size_t b = s.find('/', a + 1);
    p.architecture = s.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
    if (b != std::string::npos) p.variant = s.substr(b + 1);
    if (p.architecture.empty() || p.variant.find('/') != std::string::npos)
        fail("platform \"" + s + "\" is not os/arch[/variant]");
    return p;
}

Platform host_platform() {
#if defined(__x86_64__)
    return {"linux", "amd64", ""};
#elif defined(__aarch64__)
    return {"linux", "arm64", ""};
#elif defined(__arm__)
    return {"linux", "arm", "v7"};
#elif defined(__i386__)
    return {"linux", "386", ""};
#elif defined(__riscv) && __riscv_xlen == 64
    return {"linux", "riscv64", ""};
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return {"linux", "ppc64le", ""};
#elif defined(__s390x__)
    return {"linux", "s390x", ""};
#else
#error "podrun: add this architecture's GOARCH name to host_platform()"
#endif
}

std::optional<Descriptor> choose_platform(const Index& idx, const Platform& want) {
    for (const auto& d : idx.manifests) {
        auto rt = d.annotations.find("vnd.docker.reference.type");
        if (rt != d.annotations.end() && rt->second == "attestation-manifest") continue;
        if (!d.platform || !manifest_kind(d.media_type.empty() ? media::kOciManifest : d.media_type)) continue;
        const Platform& p = *d.platform;
        if (p.os != want.os || p.architecture != want.architecture) continue;
        if (!want.variant.empty() && p.variant != want.variant &&
            !(want.architecture == "arm64" && want.variant == "v8" && p.variant.empty())) {
            continue;
        }
        return d;
    }
    return std::nullopt;
}

}  // namespace podrun::image
