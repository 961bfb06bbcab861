// The store's write side: locks, temporary space that a crash leaves for the next run to
// remove, blobs and layer directories put in place by rename, images.json updated under
// its lock. Removal (rmi, prune) is here too.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "podrun/image/store.hpp"
#include "podrun/sys/fd.hpp"

namespace podrun::image {

// The store lock: shared while adding (pull, load: many at once), exclusive while removing
// (rmi, prune) and while cleaning tmp/, so a removal never takes what a pull is adding.
// Creates the store's directories.
sys::UniqueFd lock_store(const Store& s, bool exclusive);
// Takes the store exclusively if no one else holds it, removes what crashed runs left in
// tmp/, and returns holding it shared.
sys::UniqueFd open_store_for_adding(const Store& s);
void clean_tmp(const Store& s);  // under the exclusive lock only

// flock on <root>/locks/<hex>: one download or unpack of one thing at a time; the second
// comes after the first and finds it done.
sys::UniqueFd lock_item(const Store& s, const std::string& digest);

// A new directory under tmp/ (gone with the operation, or with the next cleaning).
std::string make_tmp_dir(const Store& s, const std::string& what);

// Writes a small blob (manifest, config) whose digest must be `digest`.
void put_small_blob(const Store& s, const std::string& digest, const std::string& body);

// Adds or replaces the image with img.id; its names and repo digests move to it from
// any other image (a tag names one image). Under index.lock.
void register_image(const Store& s, const ImageRecord& img);
// Rewrites images.json through f (under index.lock).
void update_images(const Store& s, const std::function<void(std::vector<ImageRecord>&)>& f);

struct PruneResult {
    std::vector<std::string> blobs, layers;  // digests / chain ids removed
    int64_t bytes = 0;
};
// Removes every blob and layer directory no image references (under the exclusive lock).
PruneResult prune_unreferenced(const Store& s);

}  // namespace podrun::image
