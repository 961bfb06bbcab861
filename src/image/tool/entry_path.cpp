// A tar entry's path, cleaned and checked before anything is made for it (unpack.hpp): pure,
// so that the fuzz target (fuzz/image_fuzz.cpp) runs it without libarchive.
#include <string>

#include "unpack.hpp"

namespace podrun::image {

std::string clean_entry_path(const std::string& p) {
    if (!p.empty() && p.front() == '/') throw UnpackError("layer entry \"" + p + "\": an absolute path; refused");
    std::string out;
    size_t i = 0;
    while (i <= p.size()) {
        size_t j = p.find('/', i);
        if (j == std::string::npos) j = p.size();
        std::string comp = p.substr(i, j - i);
        if (comp == "..") throw UnpackError("layer entry \"" + p + "\": a \"..\" component; refused");
        if (!comp.empty() && comp != ".") out += (out.empty() ? "" : "/") + comp;
        i = j + 1;
    }
    return out;
}

}  // namespace podrun::image
