// Fuzz target: bytes a registry or an archive sends -> image index, manifest and config
// parsing (image/manifest.cpp), the platform choice and layer media types; and each line as
// a tar entry name through the unpacker's path check (image/tool/entry_path.cpp). Beyond
// crashes, leaks and timeouts: only ManifestError and UnpackError may come out, what parses
// is coherent (digests checked, sizes non-negative), and a cleaned entry path can never
// leave its directory.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "image/tool/unpack.hpp"
#include "podrun/image/manifest.hpp"
#include "podrun/image/reference.hpp"

namespace {

using namespace podrun::image;

void check_descriptor(const Descriptor& d) {
    if (!is_sha256_digest(d.digest) || d.size < 0) __builtin_trap();
}

void entry_name(const std::string& name) {
    std::string clean;
    try {
        clean = clean_entry_path(name);
    } catch (const UnpackError&) {
        return;
    }
    // Relative, no "..", ".", or empty component; cleaning it again changes nothing.
    if (!clean.empty() && (clean.front() == '/' || clean.back() == '/')) __builtin_trap();
    size_t i = 0;
    while (i <= clean.size() && !clean.empty()) {
        size_t j = clean.find('/', i);
        if (j == std::string::npos) j = clean.size();
        std::string_view comp(clean.data() + i, j - i);
        if (comp.empty() || comp == "." || comp == "..") __builtin_trap();
        i = j + 1;
    }
    if (clean_entry_path(clean) != clean) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string body(reinterpret_cast<const char*>(data), size);
    (void)manifest_kind(declared_media_type(body));
    try {
        Index idx = parse_index(body);
        for (const auto& d : idx.manifests) check_descriptor(d);
        if (auto d = choose_platform(idx, host_platform())) check_descriptor(*d);
        (void)choose_platform(idx, Platform{"linux", "arm64", "v8"});
    } catch (const ManifestError&) {}
    try {
        Manifest mf = parse_manifest(body);
        check_descriptor(mf.config);
        for (const auto& l : mf.layers) {
            check_descriptor(l);
            try {
                (void)layer_compression(l.media_type);
            } catch (const ManifestError&) {}
        }
    } catch (const ManifestError&) {}
    try {
        ImageConfig c = parse_config(body);
        for (const auto& d : c.diff_ids)
            if (!is_sha256_digest(d)) __builtin_trap();
    } catch (const ManifestError&) {}
    try {
        (void)parse_platform(body);
    } catch (const ManifestError&) {}
    // Tar entry names: one a line (a name from libarchive holds no NUL).
    size_t start = 0;
    while (start <= body.size()) {
        size_t end = body.find('\n', start);
        if (end == std::string::npos) end = body.size();
        std::string name = body.substr(start, end - start);
        if (name.find('\0') == std::string::npos) entry_name(name);
        start = end + 1;
    }
    return 0;
}
