// Assembler properties: a valid frame sequence -- packets split at random
// sizes, abandoned partial packets, several streams interleaved at frame
// granularity, written to bytes and read back in random pieces -- yields the
// original packets per stream, and reports the abandoned bytes as dropped.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>

#include "drpc/wire/assembler.h"
#include "drpc/wire/memory_io.h"
#include "drpc/wire/reader.h"
#include "drpc/wire/split.h"
#include "properties/wire/generators.h"

namespace drpc::wire {
namespace {

using testing::FrameCopy;
using testing::PacketCopy;

struct StreamPlan {
  uint64_t stream_id = 0;
  std::vector<PacketCopy> packets;  // what the stream must deliver, in order
  std::vector<FrameCopy> frames;    // what goes on the wire, in order
  size_t abandoned_bytes = 0;       // data of partial packets a later packet supersedes
};

std::vector<FrameCopy> SplitFrames(const PacketCopy& packet, int64_t split_size) {
  std::vector<FrameCopy> frames;
  const Packet view{packet.stream_id, packet.message_id, packet.kind, packet.control,
                    AsBytes(packet.data)};
  for (PacketSplitter split(view, split_size); !split.finished();) {
    frames.push_back(FrameCopy::Of(split.Next()));
  }
  return frames;
}

// One stream: packets with increasing ids (gaps allowed), each split at a
// random size, some preceded by an abandoned partial packet.
StreamPlan GenStreamPlan(uint64_t stream_id) {
  StreamPlan plan;
  plan.stream_id = stream_id;
  const size_t count = *rc::gen::inRange<size_t>(0, 12);
  uint64_t message_id = 0;
  for (size_t i = 0; i < count; ++i) {
    if (*rc::gen::inRange(0, 5) == 0) {
      // An abandoned packet: some of its frames, never the last one.
      message_id += *rc::gen::inRange<uint64_t>(1, 4);
      PacketCopy partial{stream_id, message_id, *rc::gen::inRange<uint8_t>(0, 64),
                         *rc::gen::arbitrary<bool>(),
                         *rc::gen::container<std::string>(*rc::gen::inRange<size_t>(1, 40),
                                                          rc::gen::arbitrary<char>())};
      std::vector<FrameCopy> frames = SplitFrames(partial, *rc::gen::inRange<int64_t>(1, 8));
      frames.pop_back();
      const size_t keep = *rc::gen::inRange<size_t>(0, frames.size() + 1);
      for (size_t k = 0; k < keep; ++k) {
        plan.abandoned_bytes += frames[k].data.size();
        plan.frames.push_back(frames[k]);
      }
    }
    message_id += *rc::gen::inRange<uint64_t>(1, 4);
    PacketCopy packet{stream_id, message_id, *rc::gen::inRange<uint8_t>(0, 64),
                      *rc::gen::arbitrary<bool>(), *props::GenBytes()};
    const int64_t split_size = *rc::gen::element<int64_t>(-1, 0, 1, 2, 3, 5, 8, 64);
    for (FrameCopy& frame : SplitFrames(packet, split_size)) plan.frames.push_back(frame);
    plan.packets.push_back(packet);
  }
  return plan;
}

RC_GTEST_PROP(WireAssemblerProps, InterleavedSplitStreamsYieldTheOriginalPackets, ()) {
  const size_t stream_count = *rc::gen::inRange<size_t>(1, 5);
  std::vector<StreamPlan> plans;
  for (size_t s = 0; s < stream_count; ++s) plans.push_back(GenStreamPlan(2 * s + 1));

  // Interleave at frame granularity, keeping each stream's own order.
  std::vector<size_t> next(stream_count, 0);
  Buffer bytes;
  size_t total = 0;
  for (const StreamPlan& plan : plans) total += plan.frames.size();
  for (size_t i = 0; i < total; ++i) {
    std::vector<size_t> open;
    for (size_t s = 0; s < stream_count; ++s) {
      if (next[s] < plans[s].frames.size()) open.push_back(s);
    }
    const size_t s = open[*rc::gen::inRange<size_t>(0, open.size())];
    AppendFrame(bytes, plans[s].frames[next[s]++].view());
  }

  // Read back in random pieces; one assembler per stream, made on demand.
  const bool adopt = *rc::gen::arbitrary<bool>();
  SpanSource source(bytes.view(), *rc::gen::inRange<size_t>(1, 64));
  FrameReader reader(source);
  std::map<uint64_t, PacketAssembler> assemblers;
  std::map<uint64_t, std::vector<PacketCopy>> got;
  std::map<uint64_t, size_t> dropped;
  for (size_t i = 0; i <= total; ++i) {
    Result<Frame> frame = reader.ReadFrame();
    if (!frame.ok()) {
      RC_ASSERT(frame.status().kind() == ErrorKind::kEof);
      RC_ASSERT(i == total);
      break;
    }
    auto it = assemblers.find(frame->stream_id);
    if (it == assemblers.end()) {
      it = assemblers
               .emplace(frame->stream_id, adopt ? PacketAssembler::ForFirstStream()
                                                : PacketAssembler(frame->stream_id))
               .first;
    }
    Result<AssembleStep> step = it->second.Append(*frame);
    RC_ASSERT(step.ok());
    RC_ASSERT(step->dropped || step->dropped_bytes == 0);
    dropped[frame->stream_id] += step->dropped_bytes;
    if (step->packet) got[frame->stream_id].push_back(PacketCopy::Of(*step->packet));
  }
  for (const StreamPlan& plan : plans) {
    RC_ASSERT(got[plan.stream_id] == plan.packets);
    RC_ASSERT(dropped[plan.stream_id] == plan.abandoned_bytes);
  }
  RC_CLASSIFY(stream_count > 1, "interleaved");
}

RC_GTEST_PROP(WireAssemblerProps, JoinedSizeNeverPassesTheBound, ()) {
  // Random continuation frames of one packet against a small bound: the
  // assembler either holds them all or fails with kMessageSize exactly when
  // the total first passes the bound; its buffer never grows past the bound.
  const size_t bound = *rc::gen::inRange<size_t>(1, 300);
  PacketAssembler assembler(1, AssemblerOptions{.max_packet_size = bound});
  const auto sizes = *rc::gen::container<std::vector<size_t>>(rc::gen::inRange<size_t>(0, 60));
  size_t total = 0;
  for (size_t size : sizes) {
    const std::string data(size, 'd');
    Frame frame;
    frame.stream_id = 1;
    frame.message_id = 1;
    frame.kind = 2;
    frame.data = AsBytes(data);
    Result<AssembleStep> step = assembler.Append(frame);
    total += size;
    RC_ASSERT(assembler.buffer_capacity() <= bound);
    if (total > bound) {
      RC_ASSERT(step.status().kind() == ErrorKind::kMessageSize);
      return;
    }
    RC_ASSERT(step.ok());
  }
}

}  // namespace
}  // namespace drpc::wire
