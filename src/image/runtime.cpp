// The Kubernetes rules that combine an image config with a container, and reading a file
// of an image through its layers.
#include "podrun/image/runtime.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <charconv>
#include <sstream>

#include "podrun/sys/beneath.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/fdio.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::image {

PullPolicy pull_policy(const std::string& field, const Reference& ref) {
    if (field == "Always") return PullPolicy::Always;
    if (field == "IfNotPresent") return PullPolicy::IfNotPresent;
    if (field == "Never") return PullPolicy::Never;
    // Kubernetes' SetDefaults_Container: Always when the tag is latest (a bare name means
    // latest; a digest without a tag has none).
    return ref.tag == "latest" ? PullPolicy::Always : PullPolicy::IfNotPresent;
}

std::pair<std::vector<std::string>, std::vector<std::string>> combine_command(
    const std::vector<std::string>& command, const std::vector<std::string>& args,
    const std::optional<std::vector<std::string>>& entrypoint, const std::optional<std::vector<std::string>>& cmd) {
    auto esc = [](const std::optional<std::vector<std::string>>& v) {
        std::vector<std::string> out;
        if (v)
            for (const auto& s : *v) out.push_back(escape_dollars(s));
        return out;
    };
    if (!command.empty()) return {command, args};
    if (!args.empty()) return {esc(entrypoint), args};
    return {esc(entrypoint), esc(cmd)};
}

std::string escape_dollars(const std::string& s) {
    std::string out;
    for (char c : s) {
        out += c;
        if (c == '$') out += '$';
    }
    return out;
}

namespace {

std::optional<int64_t> number(const std::string& s) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > 0xFFFFFFFEll) return std::nullopt;
    return v;
}

// name:x:uid:gid:... (passwd) or name:x:gid:... (group): the entry whose field 0 (or,
// by number, field `id_field`) matches.
std::optional<std::vector<std::string>> find_entry(const std::string& text, const std::string& key, size_t id_field) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        size_t s = 0;
        for (size_t e; (e = line.find(':', s)) != std::string::npos; s = e + 1) f.push_back(line.substr(s, e - s));
        f.push_back(line.substr(s));
        if (f.size() <= id_field) continue;
        if (f[0] == key || (number(key) && f[id_field] == key)) return f;
    }
    return std::nullopt;
}

}  // namespace

UserIds resolve_user(const std::string& user, const std::string& passwd, const std::string& group) {
    UserIds ids;
    if (user.empty()) return ids;
    std::string u = user, g;
    if (size_t c = user.find(':'); c != std::string::npos) {
        u = user.substr(0, c);
        g = user.substr(c + 1);
    }
    if (auto n = number(u)) {
        ids.uid = *n;
        auto e = find_entry(passwd, u, 2);
        if (e && e->size() > 3 && number((*e)[3])) ids.gid = *number((*e)[3]);
    } else {
        auto e = find_entry(passwd, u, 2);
        if (!e || e->size() < 4 || !number((*e)[2]) || !number((*e)[3])) {
            throw UserError("image User \"" + user + "\": no user \"" + u + "\" in the image's /etc/passwd");
        }
        ids.uid = *number((*e)[2]);
        ids.gid = *number((*e)[3]);
    }
    if (!g.empty()) {
        if (auto n = number(g)) {
            ids.gid = *n;
        } else {
            auto e = find_entry(group, g, 2);
            if (!e || !number((*e)[2]))
                throw UserError("image User \"" + user + "\": no group \"" + g + "\" in the image's /etc/group");
            ids.gid = *number((*e)[2]);
        }
    }
    return ids;
}

std::optional<std::string> read_image_file(const std::vector<std::string>& lowerdirs, const std::string& path) {
    std::string rel = path;
    while (!rel.empty() && rel.front() == '/') rel.erase(0, 1);
    for (const auto& dir : lowerdirs) {
        sys::UniqueFd root = sys::open_dir(dir);
        // A whiteout of the file or of a parent, or an opaque parent, ends the search.
        std::string prefix;
        bool hidden = false, stop = false;
        size_t s = 0;
        while (true) {
            size_t e = rel.find('/', s);
            std::string part = prefix + (prefix.empty() ? "" : "/") +
                               rel.substr(s, e == std::string::npos ? std::string::npos : e - s);
            int err = 0;
            sys::UniqueFd fd = sys::open_beneath(root.get(), part, O_PATH | O_NOFOLLOW, &err);
            if (fd) {
                struct stat st {};
                if (::fstat(fd.get(), &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0) hidden = true;
            }
            if (hidden || e == std::string::npos) break;
            prefix = part;
            s = e + 1;
            // An opaque directory: nothing below it comes from lower layers.
            sys::UniqueFd d = sys::open_beneath(root.get(), prefix, O_RDONLY | O_DIRECTORY, &err);
            if (d && sys::get_xattr(d.get(), "trusted.overlay.opaque") == std::string("y")) stop = true;
        }
        if (hidden) return std::nullopt;
        try {
            sys::UniqueFd f = sys::open_in_root(root.get(), rel, O_RDONLY);
            std::string out;
            char buf[8192];
            for (ssize_t n; (n = sys::read_some(f.get(), buf, sizeof buf)) > 0;)
                out.append(buf, static_cast<size_t>(n));
            return out;
        } catch (const sys::SysError& e) {
            if (e.err() != ENOENT && e.err() != ENOTDIR) throw;
        }
        if (stop) return std::nullopt;
    }
    return std::nullopt;
}

ImageRuntime runtime_of(const Store& s, const ImageRecord& img, const Reference& ref) {
    ImageRuntime rt;
    rt.image = ref.str();
    rt.image_id = img.image_id_for(ref.str());
    rt.config_id = img.id;
    for (auto it = img.layers.rbegin(); it != img.layers.rend(); ++it)
        rt.lowerdirs.push_back(s.layer_dir(it->chain_id));
    rt.config = s.config(img);
    return rt;
}

}  // namespace podrun::image
