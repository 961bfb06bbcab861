// OCI image index/manifest/config and Docker manifest list/schema 2, parsed into plain data
// (image-spec, distribution's manifest formats). Pure: JSON text in, structs out; every
// problem a ManifestError naming the field. The fuzz target and the unit tests drive these.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace podrun::image {

namespace media {
inline constexpr const char* kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kDockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr const char* kOciLayerTar = "application/vnd.oci.image.layer.v1.tar";
}  // namespace media

struct ManifestError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Platform {
    std::string os, architecture, variant;
    std::string str() const;  // linux/arm64/v8
};

struct Descriptor {
    std::string media_type;
    std::string digest;  // sha256:<hex>, checked
    int64_t size = 0;
    std::optional<Platform> platform;
    std::map<std::string, std::string> annotations;
};

enum class ManifestKind { Index, Manifest };
// What a manifest body is, from its media type (the Content-Type or the document's own
// mediaType); nullopt for anything podrun does not read (schema 1, artifacts).
std::optional<ManifestKind> manifest_kind(const std::string& media_type);
// The media type a body declares (its "mediaType"), or "" when it declares none.
std::string declared_media_type(const std::string& body);

struct Index {
    std::vector<Descriptor> manifests;
};

struct Manifest {
    std::string media_type;
    Descriptor config;
    std::vector<Descriptor> layers;
};

enum class Compression { None, Gzip, Zstd };

struct ImageConfig {
    Platform platform;
    std::string created;
    std::string user;
    std::vector<std::string> env;
    std::optional<std::vector<std::string>> entrypoint, cmd;
    std::string working_dir;
    std::string stop_signal;
    std::vector<std::string> diff_ids;
};

Index parse_index(const std::string& body);
Manifest parse_manifest(const std::string& body);
ImageConfig parse_config(const std::string& body);

// How a layer blob is compressed, from its media type; throws ManifestError for a layer
// type podrun cannot unpack (encrypted, foreign types are read as their compression says).
Compression layer_compression(const std::string& media_type);

// "linux/amd64", "linux/arm64/v8", "linux/arm/v7"; throws ManifestError.
Platform parse_platform(const std::string& s);
// The platform this podrun was built for (GOOS/GOARCH names).
Platform host_platform();
// The manifest of an index for `want`: os and architecture equal, the variant equal when
// asked for (arm64's default v8 matching none); attestation manifests (buildkit's
// vnd.docker.reference.type=attestation-manifest, unknown/unknown) are never chosen.
std::optional<Descriptor> choose_platform(const Index& idx, const Platform& want);

}  // namespace podrun::image
