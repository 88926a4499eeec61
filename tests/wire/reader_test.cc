// FrameReader (reader_test.go ideas, fork semantics: frames only, no id
// checks): chunked reads, data together with an error, EOF at and inside a
// frame, no-progress sources, immediate rejection of huge declared lengths,
// and the buffer bound.
#include "drpc/wire/reader.h"

#include <gtest/gtest.h>

#include <random>

#include "drpc/wire/kind.h"
#include "drpc/wire/memory_io.h"
#include "tests/wire/wire_testing.h"

namespace drpc::wire {
namespace {

using testing::Concat;
using testing::F;
using testing::FrameCopy;
using testing::Hex;
using testing::Repeat;
using testing::ScriptedSource;
using testing::View;

// The unary call of §1.11, client to server: E1 E2 E3.
std::vector<uint8_t> UnaryClientBytes() {
  return Hex(
      "03 01 01 0b 2f 73 76 63 2f 4d 65 74 68 6f 64  05 01 02 05 0a 03 66 6f 6f  0d 01 03 00");
}

std::vector<FrameCopy> UnaryClientFrames() {
  return {F(ToRaw(Kind::kInvoke), 1, 1, true, "/svc/Method"),
          F(kMessage, 1, 2, true, std::string("\x0a\x03") + "foo"),
          F(ToRaw(Kind::kCloseSend), 1, 3, true)};
}

// Reads frames until an error; returns the frames and the error.
std::pair<std::vector<FrameCopy>, Status> ReadAll(FrameReader& reader, size_t limit = 100000) {
  std::vector<FrameCopy> frames;
  for (size_t i = 0; i < limit; ++i) {
    Result<Frame> frame = reader.ReadFrame();
    if (!frame.ok()) return {frames, frame.status()};
    frames.push_back(FrameCopy::Of(*frame));
  }
  ADD_FAILURE() << "reader did not stop";
  return {frames, Status()};
}

TEST(WireReader, ReadsFramesThenEofAtABoundary) {
  const std::vector<uint8_t> bytes = UnaryClientBytes();
  for (size_t max_read : {size_t{1}, size_t{2}, size_t{5}, size_t{1000}}) {
    SpanSource source(View(bytes), max_read);
    FrameReader reader(source);
    auto [frames, err] = ReadAll(reader);
    EXPECT_EQ(frames, UnaryClientFrames()) << max_read;
    EXPECT_EQ(err.kind(), ErrorKind::kEof) << err;
  }
}

TEST(WireReader, EmptyInputIsCleanEof) {
  SpanSource source(Bytes{});
  FrameReader reader(source);
  EXPECT_EQ(reader.ReadFrame().status().kind(), ErrorKind::kEof);
}

TEST(WireReader, DataReturnedWithEofIsUsedFirst) {
  ScriptedSource source({{UnaryClientBytes(), EofError()}});
  FrameReader reader(source);
  auto [frames, err] = ReadAll(reader);
  EXPECT_EQ(frames, UnaryClientFrames());
  EXPECT_EQ(err.kind(), ErrorKind::kEof);
  EXPECT_EQ(source.reads(), 1u);  // the error was remembered, not asked for again
}

TEST(WireReader, DataReturnedWithAnErrorIsUsedFirstAndTheErrorPassesThrough) {
  ScriptedSource source({{UnaryClientBytes(), ClosedError("connection reset")}});
  FrameReader reader(source);
  auto [frames, err] = ReadAll(reader);
  EXPECT_EQ(frames, UnaryClientFrames());
  EXPECT_EQ(err, ClosedError("connection reset"));
}

TEST(WireReader, ErrorBetweenFramesPassesThroughUnchanged) {
  ScriptedSource source({{Hex("0d 01 03 00"), Status()}, {{}, ConnectionError("broken pipe")}});
  FrameReader reader(source);
  auto [frames, err] = ReadAll(reader);
  EXPECT_EQ(frames.size(), 1u);
  EXPECT_EQ(err, ConnectionError("broken pipe"));
}

TEST(WireReader, EofInsideAFrameIsUnexpected) {
  for (const char* partial : {"05", "05 01", "05 01 01", "05 01 01 05", "05 01 01 05 61"}) {
    ScriptedSource source({{Hex("0d 01 03 00"), Status()}, {Hex(partial), EofError()}});
    FrameReader reader(source);
    auto [frames, err] = ReadAll(reader);
    EXPECT_EQ(frames.size(), 1u) << partial;
    EXPECT_EQ(err.kind(), ErrorKind::kUnexpectedEof) << partial << ": " << err;
  }
}

TEST(WireReader, HundredEmptyReadsIsNoProgress) {
  std::vector<ScriptedSource::Step> steps(100, ScriptedSource::Step{{}, Status()});
  ScriptedSource source(steps);
  FrameReader reader(source);
  const Status err = reader.ReadFrame().status();
  EXPECT_EQ(err.kind(), ErrorKind::kInternal);
  EXPECT_NE(err.message().find("no progress"), std::string::npos) << err;
  EXPECT_EQ(source.reads(), 100u);
}

TEST(WireReader, NinetyNineEmptyReadsThenDataIsFine) {
  std::vector<ScriptedSource::Step> steps(99, ScriptedSource::Step{{}, Status()});
  steps.push_back({Hex("0d 01 03 00"), Status()});
  ScriptedSource source(steps);
  FrameReader reader(source);
  Result<Frame> frame = reader.ReadFrame();
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(FrameCopy::Of(*frame), F(ToRaw(Kind::kCloseSend), 1, 3, true));
}

TEST(WireReader, EmptyReadsBetweenPartialReadsDoNotAddUp) {
  // 60 empty reads, a byte, 60 empty reads...: never 100 in a row.
  std::vector<ScriptedSource::Step> steps;
  for (uint8_t byte : Hex("0d 01 03 00")) {
    for (int i = 0; i < 60; ++i) steps.push_back({{}, Status()});
    steps.push_back({{byte}, Status()});
  }
  ScriptedSource source(steps);
  FrameReader reader(source);
  EXPECT_TRUE(reader.ReadFrame().ok());
}

TEST(WireReader, DeclaredLengthOfTwoToTheSixtyThreeIsRejectedAtOnce) {
  // Only the header arrives; the reader must refuse it from the header alone.
  const std::vector<uint8_t> header = Concat({Hex("05 01 01"), Repeat(0x80, 9), Hex("01")});
  ScriptedSource source({{header, Status()}, {Repeat(0x61, 1000), Status()}});
  FrameReader reader(source);
  const Status err = reader.ReadFrame().status();
  EXPECT_EQ(err.kind(), ErrorKind::kProtocol);
  EXPECT_NE(err.message().find("data overflow"), std::string::npos) << err;
  EXPECT_NE(err.message().find("9223372036854775808"), std::string::npos) << err;
  EXPECT_EQ(source.reads(), 1u);
  EXPECT_LE(reader.buffer_capacity(), 2 * kDefaultReadSize);
}

TEST(WireReader, MaxFrameSizeBoundsTheDataLength) {
  const ReaderOptions options{.max_frame_size = 1000};
  Buffer ok_bytes;
  const std::string fits(1000, 'x');
  AppendFrame(ok_bytes, F(kMessage, 1, 1, true, fits).view());
  SpanSource ok_source(ok_bytes.view(), 7);
  FrameReader ok_reader(ok_source, options);
  Result<Frame> frame = ok_reader.ReadFrame();
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->data.size(), 1000u);

  // 1001 declared bytes: refused with just the header (05 01 01 e9 07) read.
  ScriptedSource source({{Hex("05 01 01 e9 07"), Status()}, {Repeat(0x61, 1001), Status()}});
  FrameReader reader(source, options);
  const Status err = reader.ReadFrame().status();
  EXPECT_EQ(err.kind(), ErrorKind::kProtocol);
  EXPECT_EQ(err.message(), "data overflow: frame declares 1001 data bytes, the maximum is 1000");
  EXPECT_EQ(source.reads(), 1u);
}

TEST(WireReader, DefaultMaxIsFourMib) {
  // 4 MiB + 1 declared (varint 81 80 80 02): refused from the header.
  ScriptedSource source({{Hex("05 01 01 81 80 80 02"), Status()}});
  FrameReader reader(source);
  EXPECT_EQ(reader.ReadFrame().status().kind(), ErrorKind::kProtocol);
  // Exactly 4 MiB is fine.
  Buffer bytes;
  const std::string max(kDefaultMaxFrameSize, 'm');
  AppendFrame(bytes, F(kMessage, 1, 1, true, max).view());
  SpanSource big(bytes.view(), 65536);
  FrameReader big_reader(big);
  Result<Frame> frame = big_reader.ReadFrame();
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->data.size(), kDefaultMaxFrameSize);
  EXPECT_LE(big_reader.buffer_capacity(), FrameReader::MaxBufferCapacity(ReaderOptions{}));
}

TEST(WireReader, MalformedVarintIsAProtocolError) {
  ScriptedSource source({{Concat({Hex("05"), Repeat(0xff, 10), Hex("01")}), Status()}});
  FrameReader reader(source);
  EXPECT_EQ(reader.ReadFrame().status(), ProtocolError("varint too long"));
}

TEST(WireReader, ErrorsAreFinal) {
  ScriptedSource source(
      {{Concat({Hex("05"), Repeat(0xff, 10)}), Status()}, {Hex("0d 01 03 00"), Status()}});
  FrameReader reader(source);
  const Status first = reader.ReadFrame().status();
  EXPECT_EQ(first.kind(), ErrorKind::kProtocol);
  const size_t reads = source.reads();
  EXPECT_EQ(reader.ReadFrame().status(), first);
  EXPECT_EQ(source.reads(), reads);
  EXPECT_EQ(reader.buffer_capacity(), 0u);  // memory given back
}

TEST(WireReader, ParsesOnlyNoIdChecks) {
  // Stream 0, message 0, ids going backwards, unknown kinds: the reader hands
  // them all out; the assemblers judge ids, the streams judge kinds.
  const std::vector<uint8_t> bytes =
      Hex("05 00 00 00  05 02 05 00  05 01 01 00  12 01 01 00  ff 01 01 00");
  SpanSource source(View(bytes));
  FrameReader reader(source);
  auto [frames, err] = ReadAll(reader);
  const std::vector<FrameCopy> expected = {F(kMessage, 0, 0, true), F(kMessage, 2, 5, true),
                                           F(kMessage, 1, 1, true), F(9, 1, 1, false),
                                           F(63, 1, 1, true, "", true)};
  EXPECT_EQ(frames, expected);
  EXPECT_EQ(err.kind(), ErrorKind::kEof);
}

TEST(WireReader, ThousandRandomFramesReadBackByteExactWithBoundedBuffer) {
  std::mt19937_64 rng(1234);
  std::vector<FrameCopy> frames;
  Buffer bytes;
  for (int i = 0; i < 1000; ++i) {
    // Mostly small frames, sometimes one up to 20 KiB.
    const size_t size = rng() % 10 == 0 ? rng() % 20000 : rng() % 64;
    FrameCopy frame = F(static_cast<uint8_t>(rng() % 64), rng() % 50, rng() % 1000, rng() % 2 == 0,
                        std::string(size, static_cast<char>('a' + i % 26)), rng() % 2 == 0);
    AppendFrame(bytes, frame.view());
    frames.push_back(std::move(frame));
  }
  const ReaderOptions options{.max_frame_size = 32 * 1024, .read_size = 1024};
  for (size_t max_read : {size_t{1}, size_t{3}, size_t{100}, size_t{4096}, SIZE_MAX}) {
    SpanSource source(bytes.view(), max_read);
    FrameReader reader(source, options);
    std::vector<FrameCopy> got;
    for (;;) {
      Result<Frame> frame = reader.ReadFrame();
      ASSERT_LE(reader.buffer_capacity(), FrameReader::MaxBufferCapacity(options));
      if (!frame.ok()) {
        EXPECT_EQ(frame.status().kind(), ErrorKind::kEof);
        break;
      }
      got.push_back(FrameCopy::Of(*frame));
    }
    EXPECT_EQ(got, frames) << "max_read " << max_read;
  }
}

TEST(WireReader, FrameDataAliasesTheBufferUntilTheNextRead) {
  const std::vector<uint8_t> bytes = Hex("05 01 01 03 61 62 63  05 01 02 01 64");
  SpanSource source(View(bytes));
  FrameReader reader(source);
  Result<Frame> first = reader.ReadFrame();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(AsStringView(first->data), "abc");
  EXPECT_EQ(reader.buffered(), bytes.size());  // the returned frame is still held
  Result<Frame> second = reader.ReadFrame();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(AsStringView(second->data), "d");
  EXPECT_EQ(reader.buffered(), 5u);
}

}  // namespace
}  // namespace drpc::wire
