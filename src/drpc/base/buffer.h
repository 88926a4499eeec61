// drpc::Buffer: an owned, growable, move-only byte array that does not zero
// the bytes it grows into.
//
//   Buffer out;
//   out.Append(AsBytes("header"));
//   uint8_t* body = out.Extend(n);  // n uninitialised bytes to fill
//   Send(out.view());
//   out.clear();                    // keeps the capacity for the next message
//
// Copy explicitly with Clone(). Why not std::vector<uint8_t>: docs/base.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "drpc/base/bytes.h"
#include "drpc/base/check.h"

namespace drpc {

class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t capacity) { Reserve(capacity); }
  explicit Buffer(Bytes contents) { Append(contents); }
  Buffer(Buffer&& other) noexcept { *this = std::move(other); }
  Buffer& operator=(Buffer&& other) noexcept {
    data_ = std::move(other.data_);
    size_ = other.size_;
    capacity_ = other.capacity_;
    other.size_ = other.capacity_ = 0;
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  Buffer Clone() const { return Buffer(view()); }

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  Bytes view() const { return Bytes(data_.get(), size_); }

  void clear() { size_ = 0; }

  // Makes room for at least `capacity` bytes in total, keeping the contents.
  void Reserve(size_t capacity) {
    if (capacity > capacity_) Reallocate(GrowthFor(capacity));
  }

  // Sets the size; bytes past the old size are left uninitialised.
  void Resize(size_t size) {
    Reserve(size);
    size_ = size;
  }

  // Appends `n` uninitialised bytes and returns where they start.
  uint8_t* Extend(size_t n) {
    Reserve(size_ + n);
    uint8_t* out = data_.get() + size_;
    size_ += n;
    return out;
  }

  void Append(Bytes bytes) {
    if (bytes.empty()) return;
    std::memcpy(Extend(bytes.size()), bytes.data(), bytes.size());
  }
  void PushBack(uint8_t byte) { *Extend(1) = byte; }

  // Drops the first `n` bytes, moving the rest to the front.
  void Consume(size_t n) {
    DRPC_ASSERT(n <= size_, "Buffer::Consume past the end");
    if (n == size_) {
      size_ = 0;
      return;
    }
    std::memmove(data_.get(), data_.get() + n, size_ - n);
    size_ -= n;
  }

  // Frees the memory (capacity becomes 0).
  void Release() {
    data_.reset();
    size_ = capacity_ = 0;
  }

 private:
  size_t GrowthFor(size_t needed) const {
    size_t grown = capacity_ < 64 ? 64 : capacity_ * 2;
    return grown > needed ? grown : needed;
  }
  void Reallocate(size_t capacity) {
    std::unique_ptr<uint8_t[]> fresh(new uint8_t[capacity]);
    if (size_ != 0) std::memcpy(fresh.get(), data_.get(), size_);
    data_ = std::move(fresh);
    capacity_ = capacity;
  }

  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace drpc
