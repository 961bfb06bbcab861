// Save batching (see save_batch.hpp).
#include "podrun/supervisor/save_batch.hpp"

namespace podrun::supervisor {

void SaveBatch::changed(int64_t now_ms, bool new_process) {
    if (!dirty_) since_ms_ = now_ms;
    dirty_ = true;
    now_ = now_ || new_process;
}

int64_t SaveBatch::due_in(int64_t now_ms) const {
    if (!dirty_) return -1;
    if (now_) return 0;
    int64_t left = since_ms_ + batch_ms_ - now_ms;
    return left > 0 ? left : 0;
}

void SaveBatch::saved() {
    dirty_ = false;
    now_ = false;
}

}  // namespace podrun::supervisor
