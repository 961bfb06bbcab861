// Layer unpacking with libarchive: a reader that only decompresses (format "raw") feeds a
// tar reader through a callback that hashes every uncompressed byte (the DiffID); each tar
// entry is checked, whiteouts become overlay whiteouts, the rest goes to libarchive's disk
// writer in the layer directory (it resolves against the cwd, hence ScopedCwd).
#include "unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>

#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "digest.hpp"
#include "podrun/sys/beneath.hpp"
#include "podrun/sys/files.hpp"

namespace podrun::image {

namespace {

using ArchivePtr = std::unique_ptr<archive, int (*)(archive*)>;
using EntryPtr = std::unique_ptr<archive_entry, void (*)(archive_entry*)>;

constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

struct Feed {
    archive* compressed;
    Sha256 hash;
    int64_t bytes = 0;
    char buf[1 << 16];
};

la_ssize_t feed_read(archive* a, void* p, const void** out) {
    auto* f = static_cast<Feed*>(p);
    la_ssize_t n = archive_read_data(f->compressed, f->buf, sizeof f->buf);
    if (n < 0) {
        archive_set_error(a, archive_errno(f->compressed), "%s", archive_error_string(f->compressed));
        return -1;
    }
    f->hash.update(f->buf, static_cast<size_t>(n));
    f->bytes += n;
    *out = f->buf;
    return n;
}

std::string parent_of(const std::string& p) {
    size_t s = p.rfind('/');
    return s == std::string::npos ? "" : p.substr(0, s);
}

std::string base_of(const std::string& p) {
    size_t s = p.rfind('/');
    return s == std::string::npos ? p : p.substr(s + 1);
}

// The parent must be reachable without a symlink (it may not exist yet: libarchive makes
// missing parents, itself refusing symlinks with ARCHIVE_EXTRACT_SECURE_SYMLINKS).
void check_parent(int root, const std::string& path, const std::string& entry) {
    std::string parent = parent_of(path);
    if (parent.empty()) return;
    int err = 0;
    sys::UniqueFd fd = sys::open_beneath(root, parent, O_PATH | O_DIRECTORY, &err);
    if (fd || err == ENOENT) return;
    throw UnpackError("layer entry \"" + entry + "\": its parent " + parent +
                      (err == ELOOP     ? " is reached through a symlink"
                       : err == ENOTDIR ? " is not a directory"
                                        : " escapes the layer") +
                      "; refused");
}

void write_header(archive* w, archive_entry* e, const std::string& entry) {
    int r = archive_write_header(w, e);
    if (r < ARCHIVE_WARN) throw UnpackError("layer entry \"" + entry + "\": " + archive_error_string(w));
}

// Drops trusted.overlay.* (opaque, redirect, metacopy...) carried by the layer itself.
void drop_overlay_xattrs(archive_entry* e) {
    if (archive_entry_xattr_reset(e) == 0) return;
    std::vector<std::pair<std::string, std::string>> keep;
    const char* name;
    const void* value;
    size_t size;
    bool dropped = false;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        if (std::string_view(name).rfind("trusted.overlay.", 0) == 0) {
            dropped = true;
            continue;
        }
        keep.emplace_back(name, std::string(static_cast<const char*>(value), size));
    }
    if (!dropped) return;
    archive_entry_xattr_clear(e);
    for (const auto& [n, v] : keep) archive_entry_xattr_add_entry(e, n.c_str(), v.data(), v.size());
}

}  // namespace

Unpacked unpack_layer(const std::string& blob, const std::string& dest) {
    ArchivePtr in(archive_read_new(), archive_read_free);
    archive_read_support_filter_gzip(in.get());
    archive_read_support_filter_zstd(in.get());
    archive_read_support_format_raw(in.get());
    // An uncompressed tar: format raw passes it through unchanged (no filter bids).
    if (archive_read_open_filename(in.get(), blob.c_str(), 1 << 16) != ARCHIVE_OK) {
        throw UnpackError("open layer " + blob + ": " + archive_error_string(in.get()));
    }
    archive_entry* raw = nullptr;
    if (archive_read_next_header(in.get(), &raw) != ARCHIVE_OK) {
        throw UnpackError("layer " + blob + ": " + archive_error_string(in.get()));
    }
    auto feed = std::make_unique<Feed>();
    feed->compressed = in.get();

    ArchivePtr tar(archive_read_new(), archive_read_free);
    archive_read_support_format_tar(tar.get());
    if (archive_read_open(tar.get(), feed.get(), nullptr, feed_read, nullptr) != ARCHIVE_OK) {
        throw UnpackError("layer " + blob + " is not a tar: " + archive_error_string(tar.get()));
    }

    sys::UniqueFd root = sys::open_dir(dest);
    sys::ScopedCwd cwd(root.get());
    ArchivePtr w(archive_write_disk_new(), archive_write_free);
    // No archive_write_disk_set_standard_lookup: owners stay the tar's numeric ids, never
    // names looked up in the host's /etc/passwd.
    archive_write_disk_set_options(w.get(), ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME |
                                                ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_ACL |
                                                ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                                ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
    Unpacked out;
    for (;;) {
        archive_entry* e = nullptr;
        int r = archive_read_next_header(tar.get(), &e);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) throw UnpackError("layer " + blob + ": " + archive_error_string(tar.get()));
        const char* name = archive_entry_pathname(e);
        std::string entry = name ? name : "";
        std::string path = clean_entry_path(entry);
        ++out.entries;
        if (path.empty()) continue;  // "./": the layer directory itself
        check_parent(root.get(), path, entry);
        std::string base = base_of(path);
        if (base == kOpaque) {
            // The parent hides everything below it in lower layers: trusted.overlay.opaque=y.
            std::string dir = parent_of(path);
            int err = 0;
            sys::UniqueFd fd = sys::open_beneath(root.get(), dir, O_RDONLY | O_DIRECTORY, &err);
            if (!fd && err == ENOENT) {
                EntryPtr d(archive_entry_new(), archive_entry_free);
                archive_entry_set_pathname(d.get(), dir.c_str());
                archive_entry_set_filetype(d.get(), AE_IFDIR);
                archive_entry_set_perm(d.get(), 0755);
                write_header(w.get(), d.get(), entry);
                archive_write_finish_entry(w.get());
                fd = sys::open_beneath(root.get(), dir, O_RDONLY | O_DIRECTORY, &err);
            }
            if (!fd) throw UnpackError("layer entry \"" + entry + "\": open its directory: " + std::strerror(err));
            sys::set_xattr(fd.get(), "trusted.overlay.opaque", "y");
            continue;
        }
        if (base.rfind(kWhiteout, 0) == 0) {
            // .wh.NAME: NAME is deleted - overlay's whiteout is a 0:0 character device.
            std::string victim = base.substr(kWhiteout.size());
            if (victim.empty() || victim == "." || victim == "..")
                throw UnpackError("layer entry \"" + entry + "\": a bad whiteout");
            std::string parent = parent_of(path);
            std::string target = parent.empty() ? victim : parent + "/" + victim;
            EntryPtr wh(archive_entry_new(), archive_entry_free);
            archive_entry_set_pathname(wh.get(), target.c_str());
            archive_entry_set_filetype(wh.get(), AE_IFCHR);
            archive_entry_set_perm(wh.get(), 0);
            archive_entry_set_rdev(wh.get(), 0);
            archive_entry_set_uid(wh.get(), 0);
            archive_entry_set_gid(wh.get(), 0);
            write_header(w.get(), wh.get(), entry);
            archive_write_finish_entry(w.get());
            continue;
        }
        archive_entry_set_pathname(e, path.c_str());
        if (const char* hl = archive_entry_hardlink(e)) {
            std::string link = clean_entry_path(hl);
            if (link.empty()) throw UnpackError("layer entry \"" + entry + "\": a hard link to the layer's root");
            check_parent(root.get(), link, entry);
            archive_entry_set_hardlink(e, link.c_str());
        }
        drop_overlay_xattrs(e);
        write_header(w.get(), e, entry);
        if (archive_entry_size(e) > 0 && !archive_entry_hardlink(e)) {
            const void* buf;
            size_t size;
            la_int64_t off;
            for (;;) {
                int d = archive_read_data_block(tar.get(), &buf, &size, &off);
                if (d == ARCHIVE_EOF) break;
                if (d < ARCHIVE_WARN) throw UnpackError("layer " + blob + ": " + archive_error_string(tar.get()));
                if (archive_write_data_block(w.get(), buf, size, off) < ARCHIVE_WARN) {
                    throw UnpackError("layer entry \"" + entry + "\": " + archive_error_string(w.get()));
                }
            }
        }
        if (archive_write_finish_entry(w.get()) < ARCHIVE_WARN) {
            throw UnpackError("layer entry \"" + entry + "\": " + archive_error_string(w.get()));
        }
    }
    // Directories' modes and times are fixed up at close, still relative to the cwd.
    if (archive_write_close(w.get()) < ARCHIVE_WARN)
        throw UnpackError("layer " + blob + ": " + archive_error_string(w.get()));
    // The tar reader stops at its end marker; the DiffID covers the stream to its last byte.
    const void* dummy;
    while (feed_read(tar.get(), feed.get(), &dummy) > 0) {}
    out.diff_id = feed->hash.digest();
    return out;
}

}  // namespace podrun::image
