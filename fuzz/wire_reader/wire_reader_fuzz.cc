// Fuzz target: arbitrary bytes as a connection's incoming stream, through a
// FrameReader (small max frame size) and per-stream PacketAssemblers, the way
// the manager will use them. Checks:
//   - no crash, no leak, no undefined behaviour (sanitizers);
//   - memory stays within the configured bounds: the reader's buffer and every
//     assembler's buffer are checked after each step;
//   - the result does not depend on how the bytes are cut into reads: the
//     input is read twice, whole and in small reads (1..16 bytes), and both runs must see
//     the same frames and end with the same error.
// Completed packets are decoded like a stream would (Error payloads,
// metadata), to reach those decoders with realistic framing.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "drpc/wire/assembler.h"
#include "drpc/wire/error_payload.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/memory_io.h"
#include "drpc/wire/metadata.h"
#include "drpc/wire/reader.h"
#include "fuzz/fuzz_check.h"

namespace {

using namespace drpc;        // NOLINT: a fuzz driver
using namespace drpc::wire;  // NOLINT

constexpr ReaderOptions kReaderOptions{.max_frame_size = 64 * 1024, .read_size = 512};
constexpr AssemblerOptions kAssemblerOptions{.max_packet_size = 64 * 1024};
// Streams tracked at once; frames for more streams are ignored, as a manager
// with a stream cap would refuse them.
constexpr size_t kMaxStreams = 64;

constexpr drpc::fuzz::Checker Check{"wire_reader"};

// What a run saw, as one running hash per event (cheaper than keeping the
// events): each frame's fields and data, each packet, each error.
struct Trace {
  std::vector<uint64_t> events;

  static uint64_t Hash(uint64_t seed, Bytes bytes) {
    uint64_t h = seed ^ 0xcbf29ce484222325ULL;  // FNV-1a
    for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ULL;
    return h;
  }
  void Frame(const wire::Frame& f) {
    const uint64_t fields =
        f.stream_id * 31 + f.message_id * 17 + f.kind * 5 + (f.done ? 2 : 0) + (f.control ? 1 : 0);
    events.push_back(Hash(fields, f.data));
  }
  void Text(const std::string& text) { events.push_back(Hash(0, AsBytes(text))); }
};

void HandlePacket(const Packet& packet) {
  switch (ClassifyKind(packet.kind, packet.control)) {
    case KindDisposition::kReject:
      (void)UnknownKindError(packet.kind);
      return;
    case KindDisposition::kIgnore:
      return;
    case KindDisposition::kHandle:
      break;
  }
  if (packet.kind == ToRaw(Kind::kError)) (void)DecodeErrorPayload(packet.data);
  if (packet.kind == ToRaw(Kind::kInvokeMetadata)) (void)DecodeMetadata(packet.data);
}

Trace Run(Bytes input, size_t max_read) {
  Trace trace;
  SpanSource source(input, max_read);
  FrameReader reader(source, kReaderOptions);
  std::map<uint64_t, PacketAssembler> assemblers;
  // Every frame takes at least 4 bytes, so this many calls reach the end.
  const size_t max_calls = input.size() / kMinFrameSize + 2;
  for (size_t call = 0; call < max_calls; ++call) {
    Result<Frame> frame = reader.ReadFrame();
    Check(reader.buffer_capacity() <= FrameReader::MaxBufferCapacity(kReaderOptions),
          "reader buffer over its bound");
    if (!frame.ok()) {
      trace.Text("end " + frame.status().ToString());
      return trace;
    }
    Check(frame->data.size() <= kReaderOptions.max_frame_size, "frame over the max size");
    trace.Frame(*frame);
    auto it = assemblers.find(frame->stream_id);
    if (it == assemblers.end()) {
      if (assemblers.size() == kMaxStreams) continue;
      it =
          assemblers.emplace(frame->stream_id, PacketAssembler(frame->stream_id, kAssemblerOptions))
              .first;
    }
    Result<AssembleStep> step = it->second.Append(*frame);
    Check(it->second.buffer_capacity() <= kAssemblerOptions.max_packet_size,
          "assembler buffer over its bound");
    if (!step.ok()) {
      // The manager would fail the connection; a stream failure is final.
      trace.Text("stream error " + step.status().ToString());
      assemblers.erase(it);
      continue;
    }
    if (step->packet) {
      Check(step->packet->data.size() <= kAssemblerOptions.max_packet_size, "packet over bound");
      HandlePacket(*step->packet);
      trace.events.push_back(Trace::Hash(1, step->packet->data));
    }
  }
  Check(false, "reader did not stop");
  return trace;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const drpc::Bytes input(data, size);
  const Trace whole = Run(input, SIZE_MAX);
  // The piece size comes from the first byte (1..16), so the fuzzer explores
  // different cuts without the input's meaning changing.
  const size_t piece = size == 0 ? 1 : 1 + data[0] % 16;
  const Trace pieces = Run(input, piece);
  Check(whole.events == pieces.events, "result depends on how the input is cut into reads");
  return 0;
}
