// rt::Atomic<T>: a flag or counter shared between tasks without a lock.
// Sequentially consistent; in the simulator each access is a scheduling
// point, so races between a check and a later act are explored.
//
//   rt::Atomic<bool> stopping{false, "server.stopping"};
//   stopping.store(true);
//   if (stopping.load()) return;
//
// See docs/rt.md.
#pragma once

#include <type_traits>

#include "drpc/rt/internal/backend.h"

namespace drpc::rt {

template <class T>
class Atomic {
  static_assert(std::is_trivially_copyable_v<T>, "rt::Atomic holds plain values");

 public:
  explicit Atomic(T initial = T{}, const char* name = "atomic") : cell_(initial, name) {}
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load() const { return cell_.load(); }
  void store(T value) { cell_.store(value); }
  T exchange(T value) { return cell_.exchange(value); }
  // On failure `expected` receives the current value, as with std::atomic.
  bool compare_exchange(T& expected, T desired) {
    return cell_.compare_exchange(expected, desired);
  }
  T fetch_add(T delta) requires std::is_integral_v<T> { return cell_.fetch_add(delta); }
  T fetch_sub(T delta) requires std::is_integral_v<T> { return cell_.fetch_sub(delta); }

 private:
  detail::AtomicCell<T> cell_;
};

}  // namespace drpc::rt
