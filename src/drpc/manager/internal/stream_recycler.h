// StreamRecycler: what a connection's finished streams leave for its next
// ones, so that a warm connection opens and finishes streams without
// allocating (docs/resources.md, "Recycled per call"):
//   * the block std::allocate_shared makes for a ManagedStream (its control
//     block, the stream and its hooks: always one size), kept when the last
//     reference to the stream goes (Allocator::deallocate);
//   * a stream's marshal buffer, kept when the stream is destroyed and
//     handed to a new stream (StreamConfig::marshal_buffer); counted as
//     `marshal` while kept, within the connection's send limit.
// At most kMaxKept of each, buffers of at most kMaxKeptBufferBytes. The
// manager and every allocator copy (one inside each stream's control block)
// share it, so it outlives every block it gave out. Thread-safe.
//
//   StreamRecycler::Spare spare = recycler->Take();   // one lock
//   config.marshal_buffer = std::move(spare.marshal);
//   auto s = std::allocate_shared<ManagedStream>(
//       StreamRecycler::Allocator<ManagedStream>(recycler, spare), ...);
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/base/resource_meter.h"
#include "drpc/rt/mutex.h"

namespace drpc::manager {

class StreamRecycler {
 public:
  static constexpr size_t kMaxKept = 8;
  static constexpr size_t kMaxKeptBufferBytes = size_t{16} << 10;

  explicit StreamRecycler(std::shared_ptr<ResourceMeter> meter);
  ~StreamRecycler();  // frees what it keeps
  StreamRecycler(const StreamRecycler&) = delete;
  StreamRecycler& operator=(const StreamRecycler&) = delete;

  struct Spare {
    void* block = nullptr;   // a kept stream block, or null
    size_t block_bytes = 0;  // its size
    Buffer marshal;          // a kept marshal buffer, or empty
  };
  // What a new stream may reuse (both may be empty).
  Spare Take();
  // A destroyed stream's marshal buffer (no call running on it).
  void KeepMarshalBuffer(Buffer buffer);

  // The allocator of a ManagedStream's block: the given kept block (from
  // Take) if there is one, else a new one; a released block goes back to
  // the recycler.
  template <class T>
  class Allocator {
   public:
    using value_type = T;
    // `spare`: the block Take gave (or none); `allocate` uses it once.
    Allocator(std::shared_ptr<StreamRecycler> recycler, const Spare& spare)
        : recycler_(std::move(recycler)), block_(spare.block), block_bytes_(spare.block_bytes) {}
    template <class U>
    Allocator(const Allocator<U>& other)
        : recycler_(other.recycler_), block_(other.block_), block_bytes_(other.block_bytes_) {}

    T* allocate(size_t n) {
      static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__,
                    "blocks come from operator new");
      void* given = std::exchange(block_, nullptr);
      return static_cast<T*>(Allocate(n * sizeof(T), given, block_bytes_));
    }
    void deallocate(T* p, size_t n) { recycler_->Deallocate(p, n * sizeof(T)); }

    template <class U>
    bool operator==(const Allocator<U>& other) const {
      return recycler_ == other.recycler_;
    }

   private:
    template <class U>
    friend class Allocator;
    std::shared_ptr<StreamRecycler> recycler_;
    void* block_;  // from Take; used once, by allocate
    size_t block_bytes_;
  };

 private:
  // `given` (a block of `given_bytes` from Take, or null) if it has the
  // size, else a new block (`given` is freed).
  static void* Allocate(size_t bytes, void* given, size_t given_bytes);
  void Deallocate(void* block, size_t bytes);

  const std::shared_ptr<ResourceMeter> meter_;
  rt::Mutex mu_;
  size_t block_bytes_ = 0;       // guarded by mu_: the size of the blocks kept (0: none yet)
  std::vector<void*> blocks_;    // guarded by mu_; reserved to kMaxKept
  std::vector<Buffer> buffers_;  // guarded by mu_; reserved to kMaxKept
  size_t buffer_bytes_ = 0;      // guarded by mu_: their capacity
  MeteredBytes buffers_meter_;   // guarded by mu_: buffer_bytes_, as kMarshal
};

}  // namespace drpc::manager
