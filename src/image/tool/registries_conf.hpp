// containers-registries.conf(5), the part podrun acts on: which registries are insecure
// (`[[registry]] location = "..." insecure = true`, and v1's `[registries.insecure]`) or
// blocked. Read by hand: a small TOML subset (tables, arrays of tables, strings, booleans,
// arrays of strings), every other key named in a warning.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace podrun::image {

struct RegistryEntry {
    std::string prefix;  // `prefix`, else `location`: "host[:port][/path]" or "*.domain"
    bool insecure = false;
    bool blocked = false;
};

struct RegistriesConf {
    std::vector<RegistryEntry> registries;
    // What podrun does not act on, with where it is. warnings: what would change where an
    // image comes from ([[registry.mirror]], other keys of a [[registry]]); notes: the
    // settings of the file's other readers (podman's short names, aliases, search lists).
    std::vector<std::string> warnings, notes;
};

struct RegistriesConfError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Parses one file's text; `source` names it in messages ("path:line: ..."). Throws
// RegistriesConfError on what is not TOML of that subset.
RegistriesConf parse_registries_conf(const std::string& text, const std::string& source);

// $CONTAINERS_REGISTRIES_CONF, else /etc/containers/registries.conf, then the drop-ins of
// /etc/containers/registries.conf.d/*.conf in name order (a later entry of the same prefix
// replaces an earlier one, as in containers/image). Missing files are no error.
RegistriesConf load_registries_conf();

// The entry for a reference's registry and repository (domain "reg:5000", path "team/app"):
// the longest matching prefix, as containers/image matches them; nullptr when none.
const RegistryEntry* registry_entry(const RegistriesConf& conf, const std::string& domain, const std::string& path);

}  // namespace podrun::image
