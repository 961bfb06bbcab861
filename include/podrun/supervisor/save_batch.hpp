// When the supervisor saves state.json: a change that records a new process is saved
// before the loop waits again (down, gc, exec and tree find every process by it); other
// changes (exits, ready, restart counts) wait up to a batch interval, so that changes in
// separate turns of the loop cost one fsync. Pure: the clock is passed in.
#pragma once

#include <cstdint>

namespace podrun::supervisor {

class SaveBatch {
  public:
    explicit SaveBatch(int64_t batch_ms) : batch_ms_(batch_ms) {}
    // Something changed at now_ms; new_process: a process not yet in state.json.
    void changed(int64_t now_ms, bool new_process = false);
    // How long the loop may wait before saving: -1 nothing to save, 0 save now, else ms.
    int64_t due_in(int64_t now_ms) const;
    void saved();
    bool dirty() const { return dirty_; }

  private:
    int64_t batch_ms_;
    // It starts dirty and due: pause is not in state.json yet.
    bool dirty_ = true;
    bool now_ = true;
    int64_t since_ms_ = 0;  // when the first unsaved change happened
};

}  // namespace podrun::supervisor
