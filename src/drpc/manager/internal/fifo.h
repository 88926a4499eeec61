// Fifo<T>: a first-in first-out queue in a ring of slots that grows
// (doubling) to the queue's peak and is then reused: a queue that fills and
// empties again allocates nothing once it has grown. (std::deque allocates
// a chunk, and frees one, every few elements that pass through it: for the
// accept queue, every few calls.) Internal to the manager; not thread-safe.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

#include "drpc/base/check.h"

namespace drpc::manager {

template <class T>
class Fifo {
 public:
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }

  T& front() {
    DRPC_ASSERT(count_ > 0, "front() of an empty Fifo");
    return slots_[head_];
  }
  // The slot is reset to T{} (what it held is destroyed now, not when the
  // slot is next used).
  void pop_front() {
    DRPC_ASSERT(count_ > 0, "pop_front() of an empty Fifo");
    slots_[head_] = T{};
    head_ = (head_ + 1) % slots_.size();
    --count_;
  }
  void push_back(T value) {
    if (count_ == slots_.size()) Grow();
    slots_[(head_ + count_) % slots_.size()] = std::move(value);
    ++count_;
  }
  void clear() {
    while (!empty()) pop_front();
  }
  void swap(Fifo& other) noexcept {
    slots_.swap(other.slots_);
    std::swap(head_, other.head_);
    std::swap(count_, other.count_);
  }

 private:
  void Grow() {
    std::vector<T> grown(std::max<size_t>(4, slots_.size() * 2));
    for (size_t i = 0; i < count_; ++i) grown[i] = std::move(slots_[(head_ + i) % slots_.size()]);
    slots_ = std::move(grown);
    head_ = 0;
  }

  std::vector<T> slots_;  // the ring; queued: count_ slots from head_
  size_t head_ = 0;
  size_t count_ = 0;
};

}  // namespace drpc::manager
