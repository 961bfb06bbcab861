// Image references, parsed and normalised as Docker and containerd do (distribution's
// reference grammar): `nginx` = docker.io/library/nginx:latest. Pure: no I/O.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace podrun::image {

struct ReferenceError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

struct Reference {
    std::string domain;  // docker.io, ghcr.io, localhost:5000, [::1]:5000
    std::string path;    // library/nginx
    std::string tag;     // "latest" when neither tag nor digest was given; "" with a digest only
    std::string digest;  // "" or "sha256:<64 hex>"

    std::string repository() const { return domain + "/" + path; }
    // The canonical form: docker.io/library/nginx:1.25, repo@sha256:..., repo:tag@sha256:...
    std::string str() const;
    // repo:tag (or repo@digest when untagged): the name an image is listed under.
    std::string name() const;
    // The tag or digest to ask the registry's manifest endpoint for (the digest wins).
    std::string manifest_reference() const { return digest.empty() ? tag : digest; }
    // The host to talk to: docker.io's API lives at registry-1.docker.io.
    std::string registry_host() const;
};

// Throws ReferenceError saying what is wrong: "invalid reference format: repository name
// must be lowercase".
Reference parse_reference(std::string_view s);
// nullopt when s parses; else the problem (for the validator, which never touches the network).
std::optional<std::string> reference_problem(std::string_view s);

// True for a sha256 digest "sha256:<64 lowercase hex>" (the only algorithm podrun stores).
bool is_sha256_digest(std::string_view d);

// The host part of a domain without its port: "localhost:5000" -> "localhost", "[::1]:5000" -> "::1".
std::string domain_host(std::string_view domain);
// Registries tried over plain HTTP as Docker does: localhost, 127.0.0.0/8, ::1.
bool is_loopback_domain(std::string_view domain);

}  // namespace podrun::image
