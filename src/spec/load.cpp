// Manifest file or text -> validated Pod: parse, validate, then one warning for ignored fields.
#include "podrun/spec/load.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include "parse_text.hpp"
#include "validate.hpp"

namespace podrun::spec {

LoadResult load_pod_text(std::string_view text, std::string_view source) {
    LoadResult result;
    detail::ParsedText parsed = detail::parse_text(text);
    if (!parsed.error.empty()) {
        result.errors.push_back(Problem{"", std::string(source) + ": " + parsed.error});
        return result;
    }
    detail::Checker ck;
    Pod pod;
    detail::validate_pod(ck, parsed.doc, pod);
    result.warnings = detail::checker_warnings(ck);
    result.errors = std::move(ck.errors);
    if (result.errors.empty()) result.pod = std::move(pod);
    return result;
}

namespace {

// At most one byte more than parse_text takes, so that `podrun validate /dev/zero` (or a
// pipe that never ends) is refused by its size instead of filling memory.
std::string read_capped(std::istream& in) {
    std::string text(detail::kMaxManifestBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    return text;
}

}  // namespace

LoadResult load_pod_file(const std::string& path) {
    if (path == "-") return load_pod_text(read_capped(std::cin), "<stdin>");
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;  // capture before anything else can change it
        LoadResult r;
        r.errors.push_back(Problem{"", "cannot read " + path + ": " + std::strerror(err)});
        return r;
    }
    return load_pod_text(read_capped(in), path);
}

}  // namespace podrun::spec
