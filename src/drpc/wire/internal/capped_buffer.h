// CappedBuffer: growable bytes whose capacity never passes a fixed limit.
// The reader and the assembler keep peer-controlled data in it, so what a peer
// can make us allocate is bounded by configuration, not by what it declares.
// (drpc::Buffer grows to twice its capacity, which could overshoot a limit.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "drpc/base/bytes.h"
#include "drpc/base/check.h"

namespace drpc::wire::internal {

class CappedBuffer {
 public:
  explicit CappedBuffer(size_t limit) : limit_(limit) {
    DRPC_ASSERT(limit > 0, "CappedBuffer limit must be positive");
  }
  CappedBuffer(CappedBuffer&&) noexcept = default;
  CappedBuffer& operator=(CappedBuffer&&) noexcept = default;

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t limit() const { return limit_; }
  Bytes view() const { return Bytes(data_.get(), size_); }
  // The free space after the contents.
  MutableBytes tail() { return MutableBytes(data_.get() + size_, capacity_ - size_); }

  // The capacity Reserve(capacity) leaves (what a caller counting memory
  // must count before it grows the buffer).
  size_t CapacityAfterReserve(size_t capacity) const {
    if (capacity <= capacity_) return capacity_;
    size_t grown = capacity_ < kMinCapacity ? kMinCapacity : capacity_ * 2;
    if (grown < capacity) grown = capacity;
    if (grown > limit_) grown = limit_;
    return grown;
  }

  // Makes the capacity at least `capacity` (<= limit), keeping the contents.
  // Grows geometrically so appends stay amortised O(1), but never past limit.
  void Reserve(size_t capacity) {
    DRPC_ASSERT(capacity <= limit_, "CappedBuffer::Reserve past its limit");
    if (capacity <= capacity_) return;
    const size_t grown = CapacityAfterReserve(capacity);
    std::unique_ptr<uint8_t[]> fresh(new uint8_t[grown]);
    if (size_ != 0) std::memcpy(fresh.get(), data_.get(), size_);
    data_ = std::move(fresh);
    capacity_ = grown;
  }

  void Append(Bytes bytes) {
    if (bytes.empty()) return;
    DRPC_ASSERT(bytes.size() <= limit_ - size_, "CappedBuffer::Append past its limit");
    Reserve(size_ + bytes.size());
    std::memcpy(data_.get() + size_, bytes.data(), bytes.size());
    size_ += bytes.size();
  }

  // Marks `n` bytes written into tail() as contents.
  void Commit(size_t n) {
    DRPC_ASSERT(n <= capacity_ - size_, "CappedBuffer::Commit past the capacity");
    size_ += n;
  }

  // Drops the first `n` bytes, moving the rest to the front.
  void DropFront(size_t n) {
    DRPC_ASSERT(n <= size_, "CappedBuffer::DropFront past the end");
    if (n == 0) return;
    if (n != size_) std::memmove(data_.get(), data_.get() + n, size_ - n);
    size_ -= n;
  }

  void clear() { size_ = 0; }

  // Frees the memory.
  void Release() {
    data_.reset();
    size_ = capacity_ = 0;
  }

 private:
  static constexpr size_t kMinCapacity = 64;

  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
  size_t limit_;
};

}  // namespace drpc::wire::internal
