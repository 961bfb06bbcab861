// Several objects at once: documents and Lists -> Pods, ConfigMaps, Secrets, claims, with
// every problem of every object reported together, each prefixed by where it came from.
#include "podrun/spec/bundle.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "bundle_objects.hpp"
#include "documents.hpp"
#include "validate.hpp"

namespace podrun::spec {

std::string BundleProblem::to_string() const {
    const std::string p = problem.to_string();
    return origin.document.empty() ? p : origin.document + ": " + p;
}

namespace {

using detail::Json;

class Loader {
  public:
    BundleResult result;
    Bundle bundle;

    void text(std::string_view text, const std::string& source) {
        detail::ParsedDocs parsed = detail::parse_documents(text);
        if (!parsed.error.empty()) {
            fail({source, ""}, "", parsed.error);
            return;
        }
        if (parsed.docs.empty()) fail({source, ""}, "", "holds no Kubernetes object");
        for (size_t i = 0; i < parsed.docs.size(); ++i)
            object(parsed.docs[i], source, "document " + std::to_string(i + 1));
    }

    void finish() {
        if (!skipped_.empty()) {
            std::string w = "skipping objects podrun does not run: ";
            for (size_t i = 0; i < skipped_.size(); ++i) w += (i ? ", " : "") + skipped_[i];
            result.warnings.push_back(std::move(w));
        }
        if (result.errors.empty()) result.bundle = std::move(bundle);
    }

  private:
    std::vector<std::string> skipped_;
    // (kind, namespace, name) -> where it was first seen; pods by name only, since podrun's
    // pods share one namespace on the machine (/run/podrun/<name>).
    std::map<std::string, std::string> names_;

    void fail(const Origin& o, std::string path, std::string message) {
        result.errors.push_back(BundleProblem{o, Problem{std::move(path), std::move(message)}});
    }

    static std::string name_of(const Json& doc) {
        const Json* md = detail::member(doc, "metadata");
        const Json* n = md ? detail::member(*md, "name") : nullptr;
        return n && n->is_string() ? n->get<std::string>() : std::string();
    }

    // Problems and warnings of one object's checker, under that object's origin.
    void collect(detail::Checker& ck, const Origin& o, std::vector<std::string> extra = {}) {
        for (Problem& p : ck.errors) result.errors.push_back(BundleProblem{o, std::move(p)});
        for (std::string& w : detail::checker_warnings(ck)) extra.push_back(std::move(w));
        for (std::string& w : extra) result.warnings.push_back(o.source + ": " + o.document + ": " + w);
    }

    bool unique(const Origin& o, const std::string& kind, const Metadata& md) {
        if (md.name.empty()) return true;  // its own error already
        const std::string key = kind == "Pod" ? "Pod/" + md.name : kind + "/" + md.namespace_ + "/" + md.name;
        auto [it, fresh] = names_.emplace(key, o.source + ", " + o.document);
        if (!fresh)
            fail(o, "metadata.name",
                 quote_name(md.name) + ": another " + kind + " of that name is in " + it->second +
                     (kind == "Pod" ? " (podrun's pods share one namespace on this machine)" : ""));
        return fresh;
    }

    static std::string quote_name(const std::string& n) { return detail::quote(n); }

    void object(const Json& doc, const std::string& source, const std::string& where) {
        std::string kind;
        if (const Json* k = detail::member(doc, "kind"); k != nullptr && k->is_string()) kind = k->get<std::string>();
        const std::string name = name_of(doc);
        Origin o{source, where + (kind.empty() ? "" : " (" + kind + (name.empty() ? "" : " " + name) + ")")};
        if (!doc.is_object()) {
            fail(o, "", "expected a Kubernetes object (apiVersion, kind, metadata, ...), got " + detail::describe(doc));
            return;
        }
        if (kind.empty()) {
            fail(o, "kind",
                 detail::member(doc, "kind") == nullptr
                     ? "required (Pod, ConfigMap, Secret, PersistentVolumeClaim, ...)"
                     : "expected a string, got " + detail::describe(doc["kind"]));
            return;
        }
        detail::Checker ck;
        if (kind == "List" || (kind.size() > 4 && kind.ends_with("List"))) {
            // kubectl's List (and typed lists such as PodList): each item is an object.
            ck.object(&doc, "", detail::Kind::List);
            collect(ck, o);
            const Json* items = detail::member(doc, "items");
            if (items == nullptr) return;  // an empty list
            if (!items->is_array()) {
                fail(o, "items", "expected an array, got " + detail::describe(*items));
                return;
            }
            for (size_t i = 0; i < items->size(); ++i)
                object((*items)[i], source, where + ", items[" + std::to_string(i) + "]");
        } else if (kind == "Pod") {
            Pod pod;
            detail::validate_pod(ck, doc, pod);
            collect(ck, o);
            if (unique(o, kind, pod.metadata)) {
                bundle.pods.push_back(std::move(pod));
                bundle.pod_origins.push_back(o);
            }
        } else if (kind == "ConfigMap") {
            ConfigMap cm;
            detail::validate_config_map(ck, doc, cm);
            collect(ck, o);
            cm.origin = o;
            if (unique(o, kind, cm.metadata)) bundle.config_maps.push_back(std::move(cm));
        } else if (kind == "Secret") {
            Secret s;
            detail::validate_secret(ck, doc, s);
            collect(ck, o);
            s.origin = o;
            if (unique(o, kind, s.metadata)) bundle.secrets.push_back(std::move(s));
        } else if (kind == "PersistentVolumeClaim") {
            PersistentVolumeClaim c;
            detail::validate_claim(ck, doc, c);
            collect(ck, o);
            c.origin = o;
            if (unique(o, kind, c.metadata)) bundle.claims.push_back(std::move(c));
        } else if (!detail::workload_api_version(kind).empty()) {
            Pod pod;
            std::vector<std::string> warnings{"runs its pod template as one pod named " + quote_name(name)};
            detail::validate_workload(ck, doc, kind, pod, warnings);
            collect(ck, o, std::move(warnings));
            if (unique(o, "Pod", pod.metadata)) {
                bundle.pods.push_back(std::move(pod));
                bundle.pod_origins.push_back(o);
            }
        } else {
            skipped_.push_back(kind + (name.empty() ? "" : " " + name) + " (" + source + ", " + where + ")");
        }
    }
};

bool manifest_name(const std::filesystem::path& p) {
    const std::string ext = p.extension().string();
    return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

// At most one byte more than parse_documents takes, so that /dev/zero or a pipe that never
// ends is refused by its size instead of filling memory.
std::string read_capped(std::istream& in) {
    std::string text(detail::kMaxFileBytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    return text;
}

// Reads `path` into `out`; false (with a problem recorded) when it cannot be read.
bool read(Loader& l, const std::string& path, std::string& out) {
    if (path == "-") {
        out = read_capped(std::cin);
        return true;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;  // capture before anything else can change it
        l.result.errors.push_back(
            BundleProblem{{path, ""}, Problem{"", std::string("cannot read: ") + std::strerror(err)}});
        return false;
    }
    out = read_capped(in);
    return true;
}

}  // namespace

BundleResult load_bundle_text(std::string_view text, std::string_view source) {
    Loader l;
    l.text(text, std::string(source));
    l.finish();
    return std::move(l.result);
}

BundleResult load_bundle_files(const std::vector<std::string>& paths) {
    Loader l;
    for (const std::string& path : paths) {
        std::error_code ec;
        if (path != "-" && std::filesystem::is_directory(path, ec)) {
            std::vector<std::filesystem::path> files;
            for (const auto& e : std::filesystem::directory_iterator(path, ec))
                if (manifest_name(e.path()) && !e.is_directory()) files.push_back(e.path());
            if (ec) {
                l.result.errors.push_back(
                    BundleProblem{{path, ""}, Problem{"", "cannot read the directory: " + ec.message()}});
                continue;
            }
            std::sort(files.begin(), files.end());
            if (files.empty())
                l.result.errors.push_back(
                    BundleProblem{{path, ""}, Problem{"", "holds no *.yaml, *.yml or *.json file"}});
            for (const auto& f : files) {
                std::string text;
                if (read(l, f.string(), text)) l.text(text, f.string());
            }
            continue;
        }
        std::string text;
        if (read(l, path, text)) l.text(text, path == "-" ? "<stdin>" : path);
    }
    l.finish();
    return std::move(l.result);
}

}  // namespace podrun::spec
