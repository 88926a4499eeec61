#include "drpc/manager/internal/stream_recycler.h"

#include <cstdint>
#include <utility>

#include "drpc/stream/internal/memory_poison.h"

namespace drpc::manager {
namespace {

// A kept block is poisoned under AddressSanitizer (as the pool's released
// buffers are): a stale pointer into a destroyed stream is still reported,
// though its memory was not freed.
void PoisonKept(void* block, size_t bytes) {
  stream::internal::PoisonReleased(static_cast<uint8_t*>(block), 0, bytes);
}
void UnpoisonKept(void* block, size_t bytes) {
  stream::internal::UnpoisonLent(static_cast<uint8_t*>(block), bytes);
}

}  // namespace

StreamRecycler::StreamRecycler(std::shared_ptr<ResourceMeter> meter)
    : meter_(std::move(meter)),
      mu_("stream_recycler.mu"),
      buffers_meter_(meter_.get(), ResourceKind::kMarshal) {
  blocks_.reserve(kMaxKept);
  buffers_.reserve(kMaxKept);
}

StreamRecycler::~StreamRecycler() {
  for (void* block : blocks_) {
    UnpoisonKept(block, block_bytes_);
    ::operator delete(block);
  }
}

StreamRecycler::Spare StreamRecycler::Take() {
  Spare spare;
  rt::LockGuard guard(mu_);
  if (!blocks_.empty()) {
    spare.block = blocks_.back();
    spare.block_bytes = block_bytes_;
    blocks_.pop_back();
  }
  if (!buffers_.empty()) {
    spare.marshal = std::move(buffers_.back());
    buffers_.pop_back();
    buffer_bytes_ -= spare.marshal.capacity();
    // The stream counts it from now on (Stream::Stream).
    buffers_meter_.Set(buffer_bytes_);
  }
  return spare;
}

void StreamRecycler::KeepMarshalBuffer(Buffer buffer) {
  const size_t capacity = buffer.capacity();
  if (capacity == 0 || capacity > kMaxKeptBufferBytes) return;
  rt::LockGuard guard(mu_);
  if (buffers_.size() >= kMaxKept) return;
  // Within the send limit like the stream that held it (it was counted
  // there until a moment ago); freed if there is no room now.
  if (!buffers_meter_.TrySet(buffer_bytes_ + capacity, meter_->SendLimit())) return;
  buffer_bytes_ += capacity;
  buffer.clear();
  buffers_.push_back(std::move(buffer));
}

void* StreamRecycler::Allocate(size_t bytes, void* given, size_t given_bytes) {
  if (given != nullptr) {
    UnpoisonKept(given, given_bytes);
    if (given_bytes == bytes) return given;
    ::operator delete(given);
  }
  return ::operator new(bytes);
}

void StreamRecycler::Deallocate(void* block, size_t bytes) {
  {
    rt::LockGuard guard(mu_);
    if (block_bytes_ == 0) block_bytes_ = bytes;
    if (bytes == block_bytes_ && blocks_.size() < kMaxKept) {
      PoisonKept(block, bytes);
      blocks_.push_back(block);
      return;
    }
  }
  ::operator delete(block);
}

}  // namespace drpc::manager
