// FrameReader::PeekHeader + ReadFrameInto: a frame's payload read into the
// caller's buffer (the receive path's one copy, docs/wire.md "Reading a
// payload in place"): the bytes beyond the read-ahead go from the source
// straight into the destination; frames, errors and captures are exactly
// what ReadFrame gives.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/base/copy_count.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/memory_io.h"
#include "drpc/wire/reader.h"
#include "tests/wire/wire_testing.h"

namespace drpc::wire {
namespace {

// A SpanSource that remembers how many bytes it wrote into `watched`.
class WatchingSource final : public ByteSource {
 public:
  WatchingSource(Bytes data, size_t max_read) : inner_(data, max_read) {}
  ReadResult Read(MutableBytes buffer) override {
    ReadResult r = inner_.Read(buffer);
    if (!watched_.empty() && buffer.data() >= watched_.data() &&
        buffer.data() < watched_.data() + watched_.size()) {
      into_watched_ += r.n;
    }
    return r;
  }
  void Watch(MutableBytes span) { watched_ = span; }
  size_t into_watched() const { return into_watched_; }

 private:
  SpanSource inner_;
  MutableBytes watched_;
  size_t into_watched_ = 0;
};

std::string Payload(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + i % 26);
  return out;
}

Buffer Encode(const std::vector<Frame>& frames) {
  Buffer out;
  for (const Frame& f : frames) AppendFrame(out, f);
  return out;
}

TEST(WireReaderInPlace, LargePayloadGoesFromTheSourceIntoTheDestination) {
  const std::string data = Payload(64 * 1024);
  const Buffer wire = Encode({Frame{3, 7, 2, true, false, AsBytes(data)}});
  WatchingSource source(wire.view(), 1000);
  FrameReader reader(source);
  Result<FrameHeader> header = reader.PeekHeader();
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->stream_id, 3u);
  EXPECT_EQ(header->message_id, 7u);
  ASSERT_EQ(header->data_size, data.size());
  std::vector<uint8_t> destination(data.size());
  source.Watch(destination);
  ResetCopyCounts();
  Result<Frame> frame = reader.ReadFrameInto(destination);
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->data.data(), destination.data());
  EXPECT_EQ(AsStringView(frame->data), data);
  // At most one read-ahead's worth came through the reader's buffer.
  EXPECT_GE(source.into_watched(), data.size() - ReaderOptions{}.read_size);
  if (DRPC_CHECKED) EXPECT_EQ(CopiedBytes(CopyPath::kReceive), data.size());
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_TRUE(reader.ReadFrame().status().is(ErrorKind::kEof));
}

TEST(WireReaderInPlace, MixesWithReadFrameInEveryReadSplit) {
  const std::string big = Payload(10'000);
  const std::vector<Frame> frames = {
      Frame{1, 1, 2, false, false, AsBytes(std::string_view(big).substr(0, 5000))},
      Frame{3, 1, 1, true, false, AsBytes(std::string_view("/svc/M"))},
      Frame{1, 1, 2, true, false, AsBytes(std::string_view(big).substr(5000))},
      Frame{1, 2, 2, true, false, {}},
      Frame{5, 9, 5, true, true, AsBytes(std::string_view("x"))},
  };
  const Buffer wire = Encode(frames);
  for (size_t max_read : {size_t{1}, size_t{3}, size_t{7}, size_t{100}, size_t{4096}, SIZE_MAX}) {
    SpanSource source(wire.view(), max_read);
    FrameReader reader(source, ReaderOptions{.read_size = 64});
    for (size_t i = 0; i < frames.size(); ++i) {
      Result<FrameHeader> header = reader.PeekHeader();
      ASSERT_TRUE(header.ok()) << header.status();
      std::vector<uint8_t> destination(static_cast<size_t>(header->data_size));
      // Odd frames the usual way, even ones in place.
      Result<Frame> frame = i % 2 == 1 ? reader.ReadFrame() : reader.ReadFrameInto(destination);
      ASSERT_TRUE(frame.ok()) << frame.status();
      const Frame& want = frames[i];
      EXPECT_EQ(frame->stream_id, want.stream_id);
      EXPECT_EQ(frame->message_id, want.message_id);
      EXPECT_EQ(frame->kind, want.kind);
      EXPECT_EQ(frame->done, want.done);
      EXPECT_EQ(frame->control, want.control);
      EXPECT_EQ(AsStringView(frame->data), AsStringView(want.data)) << "max_read " << max_read;
    }
    EXPECT_TRUE(reader.ReadFrame().status().is(ErrorKind::kEof));
  }
}

TEST(WireReaderInPlace, TruncatedPayloadIsTheSameUnexpectedEof) {
  const std::string data = Payload(3000);
  const Buffer whole = Encode({Frame{1, 1, 2, true, false, AsBytes(data)}});
  const Bytes cut = whole.view().first(whole.size() - 10);
  SpanSource usual_source(cut, 512);
  FrameReader usual(usual_source);
  const Status want = usual.ReadFrame().status();
  ASSERT_TRUE(want.is(ErrorKind::kUnexpectedEof)) << want;
  SpanSource source(cut, 512);
  FrameReader reader(source);
  ASSERT_TRUE(reader.PeekHeader().ok());
  std::vector<uint8_t> destination(data.size());
  const Status got = reader.ReadFrameInto(destination).status();
  EXPECT_EQ(got.ToString(), want.ToString());
  EXPECT_EQ(reader.ReadFrame().status().ToString(), want.ToString()) << "errors are final";
}

TEST(WireReaderInPlace, SourceErrorInsidePayloadIsReturned) {
  const std::string data = Payload(100);
  const Buffer whole = Encode({Frame{1, 1, 2, true, false, AsBytes(data)}});
  std::vector<uint8_t> head(whole.data(), whole.data() + 10);
  testing::ScriptedSource source({{head, Status()}, {{}, Status(ErrorKind::kConnection, "reset")}});
  FrameReader reader(source);
  ASSERT_TRUE(reader.PeekHeader().ok());
  std::vector<uint8_t> destination(data.size());
  const Status got = reader.ReadFrameInto(destination).status();
  EXPECT_TRUE(got.is(ErrorKind::kConnection)) << got;
}

TEST(WireReaderInPlace, CapturesReadTheSameInPlace) {
  for (const char* name :
       {"unary_error.c2s", "unary_error.s2c", "server_stream3.s2c", "cancel_soft.c2s",
        "unary_metadata.c2s", "unary_split.c2s", "unary_split.s2c"}) {
    const std::vector<uint8_t> bytes = testing::Capture(name);
    SpanSource usual_source(bytes, 5);
    FrameReader usual(usual_source);
    SpanSource source(bytes, 5);
    FrameReader reader(source);
    for (int i = 0; i < 10000; ++i) {
      Result<Frame> want = usual.ReadFrame();
      Result<FrameHeader> header = reader.PeekHeader();
      if (!want.ok()) {
        EXPECT_EQ(header.status().ToString(), want.status().ToString()) << name;
        break;
      }
      ASSERT_TRUE(header.ok()) << name << ": " << header.status();
      std::vector<uint8_t> destination(static_cast<size_t>(header->data_size));
      Result<Frame> got = reader.ReadFrameInto(destination);
      ASSERT_TRUE(got.ok()) << name << ": " << got.status();
      EXPECT_EQ(got->stream_id, want->stream_id);
      EXPECT_EQ(got->message_id, want->message_id);
      EXPECT_EQ(got->kind, want->kind);
      EXPECT_EQ(got->done, want->done);
      EXPECT_EQ(AsStringView(got->data), AsStringView(want->data)) << name;
    }
  }
}

}  // namespace
}  // namespace drpc::wire
