// HandlerSlot: room for one pending asio operation, so an operation the
// runtime starts again and again (a socket's parked read or write, the
// scheduler's interrupt) allocates nothing. Asio's own recycling keeps a
// freed operation in the freeing thread's cache, which misses whenever a
// fiber parks on one worker and its completion runs on another.
//
//   HandlerSlot slot;  // outlives every operation started with it
//   socket.async_send(buffers, WithSlot(slot, [&](auto ec, size_t n) {...}));
//
// An operation that does not fit, or a second one while the first is
// pending, falls back to operator new.
#pragma once

#include <atomic>
#include <cstddef>
#include <new>
#include <utility>

namespace drpc::rt::fiber {

struct HandlerSlot {
  // Fits a socket operation of asio 1.74 (its handler, buffers and
  // executor) with room to spare.
  alignas(std::max_align_t) unsigned char bytes[384];
  std::atomic<bool> busy{false};
};

template <typename T>
class SlotAllocator {
 public:
  using value_type = T;
  explicit SlotAllocator(HandlerSlot* slot) : slot_(slot) {}
  template <typename U>
  SlotAllocator(const SlotAllocator<U>& other) : slot_(other.slot()) {}  // NOLINT: rebind

  T* allocate(size_t n) {
    const size_t size = n * sizeof(T);
    bool busy = false;
    if (size <= sizeof(slot_->bytes) && alignof(T) <= alignof(std::max_align_t) &&
        slot_->busy.compare_exchange_strong(busy, true, std::memory_order_acquire)) {
      return reinterpret_cast<T*>(slot_->bytes);
    }
    return static_cast<T*>(::operator new(size));
  }
  void deallocate(T* p, size_t) {
    if (reinterpret_cast<unsigned char*>(p) == slot_->bytes) {
      slot_->busy.store(false, std::memory_order_release);
    } else {
      ::operator delete(p);
    }
  }
  HandlerSlot* slot() const { return slot_; }
  template <typename U>
  bool operator==(const SlotAllocator<U>& other) const {
    return slot_ == other.slot();
  }
  template <typename U>
  bool operator!=(const SlotAllocator<U>& other) const {
    return slot_ != other.slot();
  }

 private:
  HandlerSlot* slot_;
};

// A completion handler whose operation asio allocates from `slot`.
template <typename Fn>
struct SlotHandler {
  Fn fn;
  HandlerSlot* slot;
  using allocator_type = SlotAllocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(slot); }
  template <typename... Args>
  void operator()(Args&&... args) {
    fn(std::forward<Args>(args)...);
  }
};

template <typename Fn>
SlotHandler<Fn> WithSlot(HandlerSlot& slot, Fn fn) {
  return SlotHandler<Fn>{std::move(fn), &slot};
}

}  // namespace drpc::rt::fiber
