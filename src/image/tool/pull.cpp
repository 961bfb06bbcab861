// Pull from a registry: the manifest (an index resolved to this platform), then ingest.
#include "pull.hpp"

#include "registry.hpp"
#include "store_write.hpp"

namespace podrun::image {

namespace {

class RegistrySource : public BlobSource {
  public:
    explicit RegistrySource(Registry& r) : r_(r) {}
    void fetch(const Descriptor& d, int fd, const std::function<void(int64_t)>& progress) override {
        r_.blob(d, fd, progress);
    }

  private:
    Registry& r_;
};

}  // namespace

Pulled pull(const Store& s, const Reference& ref, const PullOptions& opts) {
    RegistryOptions ro;
    ro.insecure = opts.insecure;
    ro.explain = opts.explain;
    if (const RegistryEntry* e = registry_entry(opts.registries, ref.domain, ref.path)) {
        if (e->blocked)
            throw RegistryError(ref.str() + ": registry \"" + e->prefix + "\" is blocked in registries.conf", 0);
        if (e->insecure) {
            ro.insecure.push_back(ref.domain);
            if (opts.explain) opts.explain(ref.domain + " is insecure by registries.conf (" + e->prefix + ")");
        }
    }
    Registry reg(ref.domain, ref.path, ro);
    Registry::Fetched top = reg.manifest(ref.manifest_reference());
    auto kind = manifest_kind(top.media_type);
    if (!kind) {
        throw ManifestError(ref.str() + ": manifest media type \"" + top.media_type +
                            "\" is not an OCI or Docker schema 2 image (schema 1 and artifacts are not supported)");
    }
    IngestRequest req;
    Registry::Fetched mf = top;
    if (*kind == ManifestKind::Index) {
        Index idx = parse_index(top.body);
        Platform want = opts.platform.value_or(host_platform());
        auto d = choose_platform(idx, want);
        if (!d) {
            std::string have;
            for (const auto& m : idx.manifests) {
                if (m.platform) have += (have.empty() ? "" : ", ") + m.platform->str();
            }
            throw ManifestError(ref.str() + ": no image for " + want.str() + " in its index (it has " +
                                (have.empty() ? "none with a platform" : have) + "); --platform picks another");
        }
        if (opts.explain) opts.explain("index " + top.digest + ": " + want.str() + " is " + d->digest);
        mf = reg.manifest(d->digest);
        if (manifest_kind(mf.media_type) != ManifestKind::Manifest) {
            throw ManifestError(ref.str() + ": the index entry for " + want.str() + " is not an image manifest");
        }
        req.extra_blobs.emplace_back(top.digest, top.body);
    }
    req.manifest_body = mf.body;
    req.manifest_digest = mf.digest;
    req.manifest_media_type = mf.media_type;
    if (!ref.tag.empty()) req.names.push_back(ref.repository() + ":" + ref.tag);
    req.repo_digests.push_back(ref.repository() + "@" + top.digest);
    RegistrySource src(reg);
    sys::UniqueFd lock = open_store_for_adding(s);
    Pulled p;
    p.image = ingest(s, src, req, opts.progress, opts.explain);
    p.digest = top.digest;
    return p;
}

}  // namespace podrun::image
