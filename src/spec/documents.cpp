// Splitting a multi-document YAML file the way kubectl does, so each document goes through
// the one parser (parse_text) with its rules and limits.
#include "documents.hpp"

#include <charconv>

namespace podrun::spec::detail {
namespace {

bool blank_or_comment(std::string_view part) {
    size_t i = 0;
    while (i < part.size()) {
        size_t end = part.find('\n', i);
        if (end == std::string_view::npos) end = part.size();
        std::string_view line = part.substr(i, end - i);
        const size_t first = line.find_first_not_of(" \t\r");
        if (first != std::string_view::npos && line[first] != '#') return false;
        i = end + 1;
    }
    return true;
}

// parse_text counts lines from the start of the part; people count them in the file.
std::string shift_line(const std::string& error, size_t offset) {
    constexpr std::string_view prefix = "line ";
    if (offset == 0 || error.rfind(prefix, 0) != 0) return error;
    size_t line = 0;
    const char* b = error.data() + prefix.size();
    auto [p, ec] = std::from_chars(b, error.data() + error.size(), line);
    if (ec != std::errc()) return error;
    return std::string(prefix) + std::to_string(line + offset) + std::string(p);
}

}  // namespace

ParsedDocs parse_documents(std::string_view text) {
    ParsedDocs out;
    if (text.size() > kMaxFileBytes) {
        out.error =
            "the file is larger than " + std::to_string(kMaxFileBytes) + " bytes (3 MiB), the most podrun reads";
        return out;
    }
    const size_t first = text.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && text[first] == '{') {
        // JSON, or a whole-document YAML flow mapping: one document either way.
        ParsedText one = parse_text(text);
        out.error = std::move(one.error);
        if (out.error.empty() && !one.doc.is_null()) out.docs.push_back(std::move(one.doc));
        return out;
    }
    size_t part_start = 0, part_line = 0, line_no = 0, i = 0;
    auto flush = [&](size_t end) {
        std::string_view part = text.substr(part_start, end - part_start);
        if (!out.error.empty() || blank_or_comment(part)) return;
        ParsedText one = parse_text(part);
        if (!one.error.empty())
            out.error = shift_line(one.error, part_line);
        else if (!one.doc.is_null())
            out.docs.push_back(std::move(one.doc));
    };
    while (i <= text.size() && out.error.empty()) {
        size_t end = text.find('\n', i);
        if (end == std::string_view::npos) end = text.size();
        std::string_view line = text.substr(i, end - i);
        if (line.substr(0, 3) == "---") {
            std::string_view rest = line.substr(3);
            const size_t c = rest.find_first_not_of(" \t\r");
            if (c != std::string_view::npos && rest[c] != '#') {
                out.error = "line " + std::to_string(line_no + 1) +
                            ": a document separator \"---\" must stand on its own line (as "
                            "kubectl reads it); move what follows it to the next line";
                return out;
            }
            flush(i);
            part_start = end + 1 > text.size() ? text.size() : end + 1;
            part_line = line_no + 1;
        }
        ++line_no;
        i = end + 1;
    }
    flush(text.size());
    return out;
}

}  // namespace podrun::spec::detail
