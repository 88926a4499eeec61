// FrameReader properties: a byte stream of many frames, cut into reads at
// arbitrary points (with empty reads and data arriving together with EOF),
// yields the same frames; a stream cut short ends with the frames before the
// cut and then EOF or unexpected EOF; the buffer stays within its bound.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <deque>

#include "drpc/wire/reader.h"
#include "properties/wire/generators.h"

namespace drpc::wire {
namespace {

using testing::FrameCopy;

// Serves `bytes` in pieces of the given sizes (cycled); a piece of size 0 is
// an empty read. With `eof_with_data`, the last bytes arrive together with EOF.
class PiecewiseSource final : public ByteSource {
 public:
  PiecewiseSource(Bytes bytes, std::vector<size_t> pieces, bool eof_with_data)
      : bytes_(bytes), pieces_(std::move(pieces)), eof_with_data_(eof_with_data) {}

  ReadResult Read(MutableBytes buffer) override {
    const size_t left = bytes_.size() - offset_;
    if (left == 0) return ReadResult{0, EofError()};
    const size_t piece = pieces_.empty() ? left : pieces_[next_++ % pieces_.size()];
    const size_t n = std::min({piece, left, buffer.size()});
    std::copy_n(bytes_.begin() + static_cast<ptrdiff_t>(offset_), n, buffer.begin());
    offset_ += n;
    const bool last = offset_ == bytes_.size();
    return ReadResult{n, last && eof_with_data_ ? EofError() : Status()};
  }

 private:
  Bytes bytes_;
  std::vector<size_t> pieces_;
  bool eof_with_data_;
  size_t offset_ = 0;
  size_t next_ = 0;
};

// Piece sizes: mostly small, some empty. At most 50 empty pieces and at
// least one non-empty one, so even cycled there are never 100 empty reads in
// a row (that would be the reader's "no progress" error, tested elsewhere).
rc::Gen<std::vector<size_t>> GenPieces() {
  const auto piece = rc::gen::weightedOneOf<size_t>({
      {8, rc::gen::inRange<size_t>(1, 40)},
      {1, rc::gen::just<size_t>(0)},
      {1, rc::gen::inRange<size_t>(40, 5000)},
  });
  return rc::gen::map(rc::gen::container<std::vector<size_t>>(piece),
                      [](std::vector<size_t> pieces) {
                        size_t empty = 0;
                        std::erase_if(pieces, [&](size_t n) { return n == 0 && ++empty > 50; });
                        pieces.push_back(1);
                        return pieces;
                      });
}

// Reads until an error, checking the buffer bound after every call.
std::pair<std::vector<FrameCopy>, Status> ReadAll(FrameReader& reader, const ReaderOptions& options,
                                                  size_t limit) {
  std::vector<FrameCopy> frames;
  for (size_t i = 0; i <= limit; ++i) {
    Result<Frame> frame = reader.ReadFrame();
    RC_ASSERT(reader.buffer_capacity() <= FrameReader::MaxBufferCapacity(options));
    if (!frame.ok()) return {frames, frame.status()};
    frames.push_back(FrameCopy::Of(*frame));
  }
  RC_FAIL("reader returned more frames than there are");
}

RC_GTEST_PROP(WireReaderProps, AnyCutOfAStreamYieldsTheSameFrames, ()) {
  const auto frames = *rc::gen::container<std::vector<FrameCopy>>(props::GenFrame());
  Buffer bytes;
  size_t largest = 0;
  for (const FrameCopy& frame : frames) {
    AppendFrame(bytes, frame.view());
    largest = std::max(largest, frame.data.size());
  }
  const ReaderOptions options{
      .max_frame_size = largest + *rc::gen::inRange<size_t>(1, 100),
      .read_size = *rc::gen::inRange<size_t>(1, 200),
  };
  const bool eof_with_data = *rc::gen::arbitrary<bool>();
  PiecewiseSource source(bytes.view(), *GenPieces(), eof_with_data);
  FrameReader reader(source, options);
  auto [got, err] = ReadAll(reader, options, frames.size());
  RC_ASSERT(got == frames);
  RC_ASSERT(err.kind() == ErrorKind::kEof);
  RC_CLASSIFY(eof_with_data, "EOF with the last data");
}

RC_GTEST_PROP(WireReaderProps, StreamCutShortEndsWithEofOrUnexpectedEof, ()) {
  const auto frames =
      *rc::gen::nonEmpty(rc::gen::container<std::vector<FrameCopy>>(props::GenFrame()));
  Buffer bytes;
  std::vector<size_t> ends;  // byte offset where each frame ends
  for (const FrameCopy& frame : frames) {
    AppendFrame(bytes, frame.view());
    ends.push_back(bytes.size());
  }
  const size_t cut = *rc::gen::inRange<size_t>(0, bytes.size());
  const ReaderOptions options{.max_frame_size = kDefaultMaxFrameSize, .read_size = 64};
  PiecewiseSource source(bytes.view().first(cut), *GenPieces(), false);
  FrameReader reader(source, options);
  auto [got, err] = ReadAll(reader, options, frames.size());
  const size_t whole = static_cast<size_t>(
      std::count_if(ends.begin(), ends.end(), [&](size_t end) { return end <= cut; }));
  RC_ASSERT(got == std::vector<FrameCopy>(frames.begin(), frames.begin() + whole));
  const bool at_boundary = cut == 0 || (whole > 0 && ends[whole - 1] == cut);
  RC_ASSERT(err.kind() == (at_boundary ? ErrorKind::kEof : ErrorKind::kUnexpectedEof));
  RC_CLASSIFY(at_boundary, "cut at a frame boundary");
}

RC_GTEST_PROP(WireReaderProps, OversizedFrameIsRejectedBeforeItsData, ()) {
  // A frame just over the limit after some valid frames: the reader returns
  // the valid frames, then refuses the big one without buffering its data.
  const auto frames = *rc::gen::container<std::vector<FrameCopy>>(props::GenFrame());
  const size_t max_frame = *rc::gen::inRange<size_t>(1, 512);
  Buffer bytes;
  std::vector<FrameCopy> fitting;
  for (const FrameCopy& frame : frames) {
    if (frame.data.size() > max_frame) continue;
    AppendFrame(bytes, frame.view());
    fitting.push_back(frame);
  }
  FrameCopy big = *props::GenFrame();
  big.data.assign(max_frame + *rc::gen::inRange<size_t>(1, 10000), 'x');
  AppendFrame(bytes, big.view());
  const ReaderOptions options{.max_frame_size = max_frame, .read_size = 16};
  PiecewiseSource source(bytes.view(), *GenPieces(), false);
  FrameReader reader(source, options);
  auto [got, err] = ReadAll(reader, options, fitting.size());
  RC_ASSERT(got == fitting);
  RC_ASSERT(err.kind() == ErrorKind::kProtocol);
}

}  // namespace
}  // namespace drpc::wire
