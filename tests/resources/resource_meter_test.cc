// The resource meter's numbers for known sequences, one category at a time:
// N bytes held -> N counted, released -> 0.
#include "drpc/base/resource_meter.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "drpc/base/buffer.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/codec.h"
#include "drpc/stream/frame_sink.h"
#include "drpc/stream/ring_buffer.h"
#include "drpc/stream/stream.h"
#include "drpc/wire/assembler.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/memory_io.h"
#include "drpc/wire/reader.h"

namespace drpc {
namespace {

int64_t Of(const ResourceMeter& meter, ResourceKind kind) {
  return meter.Snapshot().bytes_of(kind);
}

TEST(ResourceMeter, MeteredBytesCountsTheDifferenceAndGivesItBack) {
  ResourceMeter meter;
  {
    MeteredBytes held(&meter, ResourceKind::kMarshal);
    held.Set(1000);
    EXPECT_EQ(Of(meter, ResourceKind::kMarshal), 1000);
    held.Set(300);
    EXPECT_EQ(Of(meter, ResourceKind::kMarshal), 300);
    MeteredBytes moved = std::move(held);  // the count moves, not doubles
    EXPECT_EQ(Of(meter, ResourceKind::kMarshal), 300);
    EXPECT_EQ(held.counted(), 0u);
  }
  EXPECT_EQ(Of(meter, ResourceKind::kMarshal), 0);
  EXPECT_TRUE(meter.Snapshot().empty());
}

TEST(ResourceMeter, SnapshotTotalsAndNamesTheCategories) {
  ResourceMeter meter;
  meter.AddBytes(ResourceKind::kPoolLent, 4096);
  meter.AddBytes(ResourceKind::kWriterQueue, 100);
  meter.AddTasks(3);
  const ResourceUsage usage = meter.Snapshot();
  EXPECT_EQ(usage.total_bytes(), 4196);
  EXPECT_EQ(usage.tasks, 3);
  EXPECT_EQ(usage.ToString(), "total=4196 pool-lent=4096 writer-queue=100 tasks=3");
}

TEST(ResourceMeter, PoolCountsLentThenKeptThenNothing) {
  auto meter = std::make_shared<ResourceMeter>();
  {
    auto pool = stream::BufferPool::Create({.name = "p", .meter = meter});
    stream::PooledBuffer b = pool->Get();
    EXPECT_EQ(Of(*meter, ResourceKind::kPoolLent), 4096);  // the initial capacity
    EXPECT_EQ(Of(*meter, ResourceKind::kPoolKept), 0);
    pool->Put(std::move(b));
    EXPECT_EQ(Of(*meter, ResourceKind::kPoolLent), 0);
    EXPECT_EQ(Of(*meter, ResourceKind::kPoolKept), 4096);
    stream::PooledBuffer again = pool->Get();  // reused: kept -> lent
    EXPECT_EQ(Of(*meter, ResourceKind::kPoolLent), 4096);
    EXPECT_EQ(Of(*meter, ResourceKind::kPoolKept), 0);
  }
  // The buffer went back, then the pool went with its kept buffers.
  EXPECT_TRUE(meter->Snapshot().empty()) << meter->Snapshot().ToString();
}

TEST(ResourceMeter, RingCountsItsSlotArrayOnceMoreThanFourMessagesAreQueued) {
  auto meter = std::make_shared<ResourceMeter>();
  auto pool = stream::BufferPool::Create({.name = "p", .meter = meter});
  {
    stream::RingBuffer ring(pool, {.capacity = 16});
    for (int i = 0; i < 4; ++i)
      ASSERT_EQ(ring.Enqueue(AsBytes("m")), stream::EnqueueResult::kQueued);
    EXPECT_EQ(Of(*meter, ResourceKind::kRingSlots), 0);  // the ring's own four slots
    ASSERT_EQ(ring.Enqueue(AsBytes("m")), stream::EnqueueResult::kQueued);
    EXPECT_EQ(Of(*meter, ResourceKind::kRingSlots), static_cast<int64_t>(16 * sizeof(void*)));
    for (int i = 0; i < 5; ++i) {
      Result<stream::Lease> lease = ring.Dequeue();
      ASSERT_TRUE(lease.ok());
      EXPECT_EQ(ToString(lease->view()), "m");  // in order across the move
    }
    EXPECT_EQ(ring.slots(), 16u);
  }
  EXPECT_EQ(Of(*meter, ResourceKind::kRingSlots), 0);
  pool.reset();
  EXPECT_TRUE(meter->Snapshot().empty()) << meter->Snapshot().ToString();
}

TEST(ResourceMeter, RingCountsQueuedMessagesAtTheirCapacityAndItsSlots) {
  auto meter = std::make_shared<ResourceMeter>();
  auto pool = stream::BufferPool::Create({.name = "p", .meter = meter});
  {
    stream::RingBuffer ring(pool, {.capacity = 4});
    // Four slots are the ring's own (no slot array to count).
    EXPECT_EQ(Of(*meter, ResourceKind::kRingSlots), 0);
    const std::string big(10'000, 'x');  // grows the 4 KiB buffer
    ASSERT_EQ(ring.Enqueue(AsBytes(big)), stream::EnqueueResult::kQueued);
    const int64_t capacity = Of(*meter, ResourceKind::kPoolLent);
    EXPECT_GE(capacity, 10'000);
    {
      Result<stream::Lease> lease = ring.Dequeue();
      ASSERT_TRUE(lease.ok());
      EXPECT_EQ(Of(*meter, ResourceKind::kPoolLent), capacity);  // held by the consumer
    }
    EXPECT_EQ(Of(*meter, ResourceKind::kPoolLent), 0);
    EXPECT_EQ(Of(*meter, ResourceKind::kPoolKept), capacity);
  }
  EXPECT_EQ(Of(*meter, ResourceKind::kRingSlots), 0);
  pool.reset();
  EXPECT_TRUE(meter->Snapshot().empty()) << meter->Snapshot().ToString();
}

TEST(ResourceMeter, AssemblerCountsAPartialPacketUntilItIsDropped) {
  ResourceMeter meter;
  {
    wire::PacketAssembler assembler(1, {.max_packet_size = 1 << 20, .meter = &meter});
    const std::string part(3000, 'm');
    wire::Frame frame{.stream_id = 1,
                      .message_id = 1,
                      .kind = wire::ToRaw(wire::Kind::kMessage),
                      .done = false,
                      .data = AsBytes(part)};
    ASSERT_TRUE(assembler.Append(frame).ok());
    EXPECT_GE(Of(meter, ResourceKind::kAssembler), 3000);
    EXPECT_EQ(Of(meter, ResourceKind::kAssembler),
              static_cast<int64_t>(assembler.buffer_capacity()));
    frame.done = true;
    ASSERT_TRUE(assembler.Append(frame).ok());  // 6000 bytes, complete
    EXPECT_GE(Of(meter, ResourceKind::kAssembler), 6000);
    EXPECT_EQ(Of(meter, ResourceKind::kAssembler),
              static_cast<int64_t>(assembler.buffer_capacity()));
  }
  EXPECT_EQ(Of(meter, ResourceKind::kAssembler), 0);
}

TEST(ResourceMeter, FrameReaderCountsItsBufferWhileItLives) {
  ResourceMeter meter;
  Buffer wire_bytes;
  const std::string data(50'000, 'd');
  wire::AppendFrame(wire_bytes, wire::Frame{.stream_id = 1,
                                            .message_id = 1,
                                            .kind = wire::ToRaw(wire::Kind::kMessage),
                                            .done = true,
                                            .data = AsBytes(data)});
  {
    wire::SpanSource source(wire_bytes.view());
    wire::FrameReader reader(source, {}, &meter);
    ASSERT_TRUE(reader.ReadFrame().ok());
    EXPECT_GE(Of(meter, ResourceKind::kFrameReader), 50'000);
    EXPECT_EQ(Of(meter, ResourceKind::kFrameReader),
              static_cast<int64_t>(reader.buffer_capacity()));
    EXPECT_FALSE(reader.ReadFrame().ok());  // EOF: the buffer is given back
    EXPECT_EQ(Of(meter, ResourceKind::kFrameReader), 0);
  }
  EXPECT_EQ(Of(meter, ResourceKind::kFrameReader), 0);
}

class NullSink final : public stream::FrameSink {
 public:
  Status WriteFrame(const wire::Frame&, rt::Signal*) override { return OkStatus(); }
};

TEST(ResourceMeter, StreamCountsItsMarshalBufferUntilItIsDestroyed) {
  auto meter = std::make_shared<ResourceMeter>();
  auto pool = stream::BufferPool::Create({.name = "p", .meter = meter});
  NullSink sink;
  {
    stream::Stream s(stream::StreamConfig{.id = 1, .pool = pool, .sink = sink});
    const int64_t before = Of(*meter, ResourceKind::kMarshal);
    EXPECT_EQ(before, 0);
    ASSERT_TRUE(s.MsgSend(std::string(20'000, 's'), stream::BytesCodec{}).ok());
    EXPECT_GE(Of(*meter, ResourceKind::kMarshal), 20'000);
    // Kept for the next send (under max_marshal_buffer_bytes).
    ASSERT_TRUE(s.MsgSend(std::string(10, 's'), stream::BytesCodec{}).ok());
    EXPECT_GE(Of(*meter, ResourceKind::kMarshal), 20'000);
    (void)s.Close();
  }
  EXPECT_EQ(Of(*meter, ResourceKind::kMarshal), 0);
  EXPECT_EQ(Of(*meter, ResourceKind::kAssembler), 0);
  pool.reset();
  EXPECT_TRUE(meter->Snapshot().empty()) << meter->Snapshot().ToString();
}

}  // namespace
}  // namespace drpc
