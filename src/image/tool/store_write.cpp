// Writing the store. Everything becomes visible by one rename (blob, layer directory,
// images.json), so a crash leaves either nothing or garbage under tmp/.
#include "store_write.hpp"

#include <fcntl.h>

#include <filesystem>
#include <set>

#include "digest.hpp"
#include "podrun/sys/beneath.hpp"
#include "podrun/sys/error.hpp"
#include "podrun/sys/files.hpp"
#include "podrun/sys/process.hpp"
#include "podrun/sys/uuid.hpp"

namespace podrun::image {

namespace {

void make_dirs(const Store& s) {
    for (const auto& d : {s.root(), s.root() + "/blobs/sha256", s.root() + "/layers", s.locks_dir(), s.tmp_dir()}) {
        sys::mkdir_p(d, 0700);
    }
}

void write_index(const Store& s, const std::vector<ImageRecord>& imgs) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& i : imgs) arr.push_back(i.to_json());
    sys::write_file_atomic(s.index_file(), nlohmann::json{{"images", arr}}.dump(1) + "\n", 0600);
}

}  // namespace

sys::UniqueFd lock_store(const Store& s, bool exclusive) {
    make_dirs(s);
    sys::UniqueFd fd = sys::open_file(s.lock_file(), O_RDWR | O_CREAT, 0600);
    sys::flock_fd(fd.get(), exclusive, false, s.lock_file());
    return fd;
}

sys::UniqueFd open_store_for_adding(const Store& s) {
    make_dirs(s);
    sys::UniqueFd fd = sys::open_file(s.lock_file(), O_RDWR | O_CREAT, 0600);
    if (sys::flock_fd(fd.get(), true, true, s.lock_file())) clean_tmp(s);
    // Converting to shared is not atomic (flock(2)); a removal that slips in between
    // finds nothing of ours yet.
    sys::flock_fd(fd.get(), false, false, s.lock_file());
    return fd;
}

void clean_tmp(const Store& s) {
    for (const auto& n : sys::list_dir(s.tmp_dir())) sys::remove_tree(s.tmp_dir() + "/" + n);
}

sys::UniqueFd lock_item(const Store& s, const std::string& digest) {
    sys::UniqueFd fd = sys::open_file(s.locks_dir() + "/" + digest_hex(digest), O_RDWR | O_CREAT, 0600);
    sys::flock_fd(fd.get(), true, false, s.locks_dir() + "/" + digest_hex(digest));
    return fd;
}

std::string make_tmp_dir(const Store& s, const std::string& what) {
    std::string d = s.tmp_dir() + "/" + what + "-" + sys::random_uuid();
    sys::mkdir_p(d, 0700);
    return d;
}

void put_small_blob(const Store& s, const std::string& digest, const std::string& body) {
    std::string actual = sha256_digest(body);
    if (actual != digest) throw std::runtime_error("blob " + digest + " has digest " + actual);
    if (sys::exists(s.blob_path(digest))) return;
    // write_file_atomic's temporary name is fixed: one writer at a time.
    sys::UniqueFd lk = lock_item(s, digest);
    if (sys::exists(s.blob_path(digest))) return;
    sys::write_file_atomic(s.blob_path(digest), body, 0600);
}

void update_images(const Store& s, const std::function<void(std::vector<ImageRecord>&)>& f) {
    sys::UniqueFd lk = sys::open_file(s.index_lock_file(), O_RDWR | O_CREAT, 0600);
    sys::flock_fd(lk.get(), true, false, s.index_lock_file());
    auto imgs = s.images();
    f(imgs);
    write_index(s, imgs);
}

void register_image(const Store& s, const ImageRecord& img) {
    update_images(s, [&](std::vector<ImageRecord>& imgs) {
        std::set<std::string> names(img.names.begin(), img.names.end());
        std::set<std::string> rds(img.repo_digests.begin(), img.repo_digests.end());
        ImageRecord merged = img;
        for (auto it = imgs.begin(); it != imgs.end();) {
            if (it->id == img.id) {
                // Same image again: keep the names it had, add the new ones.
                for (const auto& n : it->names)
                    if (!names.count(n)) merged.names.push_back(n), names.insert(n);
                for (const auto& r : it->repo_digests)
                    if (!rds.count(r)) merged.repo_digests.push_back(r), rds.insert(r);
                it = imgs.erase(it);
                continue;
            }
            std::erase_if(it->names, [&](const std::string& n) { return names.count(n) > 0; });
            ++it;
        }
        imgs.push_back(merged);
    });
}

PruneResult prune_unreferenced(const Store& s) {
    PruneResult out;
    std::set<std::string> blobs, layers;
    for (const auto& img : s.images()) {
        blobs.insert(digest_hex(img.id));
        blobs.insert(digest_hex(img.manifest_digest));
        for (const auto& rd : img.repo_digests) {
            size_t at = rd.find('@');
            if (at != std::string::npos) blobs.insert(digest_hex(rd.substr(at + 1)));
        }
        for (const auto& l : img.layers) {
            blobs.insert(digest_hex(l.blob));
            layers.insert(digest_hex(l.chain_id));
        }
    }
    std::string bdir = s.root() + "/blobs/sha256";
    for (const auto& n : sys::exists(bdir) ? sys::list_dir(bdir) : std::vector<std::string>{}) {
        if (blobs.count(n)) continue;
        std::error_code ec;
        auto sz = std::filesystem::file_size(bdir + "/" + n, ec);
        if (!ec) out.bytes += static_cast<int64_t>(sz);
        sys::remove_tree(bdir + "/" + n);
        out.blobs.push_back("sha256:" + n);
    }
    std::string ldir = s.root() + "/layers";
    for (const auto& n : sys::exists(ldir) ? sys::list_dir(ldir) : std::vector<std::string>{}) {
        if (layers.count(n)) continue;
        sys::remove_tree(ldir + "/" + n);
        out.layers.push_back("sha256:" + n);
    }
    return out;
}

}  // namespace podrun::image
