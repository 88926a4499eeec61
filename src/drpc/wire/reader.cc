#include "drpc/wire/reader.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "drpc/base/copy_count.h"

namespace drpc::wire {

FrameReader::FrameReader(ByteSource& source, ReaderOptions options, ResourceMeter* meter)
    : source_(source),
      options_(options),
      buffer_(MaxBufferCapacity(options)),
      metered_(meter, ResourceKind::kFrameReader) {
  DRPC_ASSERT(options.max_frame_size > 0, "max_frame_size must be positive");
  DRPC_ASSERT(options.read_size > 0, "read_size must be positive");
  // Keeps MaxBufferCapacity() and the loop bound below far from overflow.
  DRPC_ASSERT(options.max_frame_size <= (size_t{1} << 40), "max_frame_size is absurd");
  DRPC_ASSERT(options.read_size <= (size_t{1} << 30), "read_size is absurd");
}

size_t FrameReader::MaxBufferCapacity(const ReaderOptions& options) {
  return options.max_frame_size + kMaxFrameOverhead + options.read_size;
}

Result<Frame> FrameReader::ReadFrame() {
  Result<FrameHeader> header = BufferFrame(/*header_only=*/false);
  if (!header.ok()) return header.status();
  last_frame_size_ = header->header_size + static_cast<size_t>(header->data_size);
  return FrameOf(*header,
                 Pending().subspan(header->header_size, static_cast<size_t>(header->data_size)));
}

Result<FrameHeader> FrameReader::PeekHeader() { return BufferFrame(/*header_only=*/true); }

Result<Frame> FrameReader::ReadFrameInto(MutableBytes destination) {
  Result<FrameHeader> peeked = BufferFrame(/*header_only=*/true);
  if (!peeked.ok()) return peeked.status();
  const FrameHeader& header = *peeked;
  const size_t size = static_cast<size_t>(header.data_size);
  DRPC_ASSERT(destination.size() == size,
              "ReadFrameInto: the destination is not the payload's size");
  // What the read-ahead holds of the payload is copied out of it; the rest
  // comes from the source into place.
  const Bytes buffered = Pending().subspan(header.header_size);
  const size_t from_buffer = std::min(buffered.size(), size);
  if (from_buffer != 0) std::memcpy(destination.data(), buffered.data(), from_buffer);
  CountCopy(CopyPath::kReceive, from_buffer);
  begin_ += header.header_size + from_buffer;
  size_t got = from_buffer;
  direct_ = header.header_size + got;
  // As in BufferFrame: each round brings at least one byte or is one of at
  // most kMaxEmptyReads empty reads in a row.
  const size_t max_rounds = (size + 1) * (kMaxEmptyReads + 1);
  int empty_reads = 0;
  for (size_t round = 0; got < size; ++round) {
    DRPC_ASSERT(round <= max_rounds, "FrameReader::ReadFrameInto loop bound exceeded");
    if (!source_err_.ok()) {
      // The input ended inside this frame (EndOfInput's rule).
      Status err =
          source_err_.is(ErrorKind::kEof)
              ? Status(ErrorKind::kUnexpectedEof, "unexpected EOF: the input ended " +
                                                      std::to_string(header.header_size + got) +
                                                      " bytes into a frame")
              : source_err_;
      direct_ = 0;
      return Fail(std::move(err));
    }
    const MutableBytes room = destination.subspan(got);
    ReadResult read = source_.Read(room);
    DRPC_ASSERT(read.n <= room.size(), "ByteSource::Read returned more bytes than asked for");
    CountCopy(CopyPath::kReceive, read.n);
    got += read.n;
    direct_ = header.header_size + got;
    if (!read.err.ok()) {
      source_err_ = std::move(read.err);  // used once the frame's bytes are (§1.8)
    } else if (read.n > 0) {
      empty_reads = 0;
    } else if (++empty_reads >= kMaxEmptyReads) {
      direct_ = 0;
      return Fail(InternalError("no progress: " + std::to_string(kMaxEmptyReads) +
                                " reads in a row returned no data and no error"));
    }
  }
  direct_ = 0;
  return FrameOf(header, destination);
}

Frame FrameReader::FrameOf(const FrameHeader& header, Bytes data) {
  Frame frame;
  frame.stream_id = header.stream_id;
  frame.message_id = header.message_id;
  frame.kind = header.kind;
  frame.done = header.done;
  frame.control = header.control;
  frame.data = data;
  return frame;
}

Result<FrameHeader> FrameReader::BufferFrame(bool header_only) {
  begin_ += last_frame_size_;
  last_frame_size_ = 0;
  if (!failed_.ok()) return failed_;
  if (begin_ == buffer_.size()) {  // nothing pending: reuse the buffer from its start
    buffer_.clear();
    begin_ = 0;
  }
  // Each round either completes the frame, fails, or reads: a non-empty read
  // brings the frame at least one byte closer, and at most kMaxEmptyReads
  // empty reads come in a row. So the rounds are bounded by the frame size.
  const size_t max_rounds =
      (options_.max_frame_size + kMaxFrameOverhead + 1) * (kMaxEmptyReads + 1);
  int empty_reads = 0;
  for (size_t round = 0;; ++round) {
    DRPC_ASSERT(round <= max_rounds, "FrameReader::BufferFrame loop bound exceeded");
    const Bytes pending = Pending();
    const HeaderParse head = ParseFrameHeader(pending);
    if (head.status == ParseStatus::kMalformed) return Fail(MalformedFrameError(head.error));
    size_t needed = pending.size() + 1;  // header incomplete: at least one more byte
    if (head.status == ParseStatus::kOk) {
      const FrameHeader& header = head.header;
      if (header.data_size > options_.max_frame_size) {
        return Fail(ProtocolError(
            "data overflow: frame declares " + std::to_string(header.data_size) +
            " data bytes, the maximum is " + std::to_string(options_.max_frame_size)));
      }
      needed = header.header_size + static_cast<size_t>(header.data_size);
      if (header_only || pending.size() >= needed) return header;
    }
    if (!source_err_.ok()) return Fail(EndOfInput());
    Status read = Fill(needed, &empty_reads);
    if (!read.ok()) return Fail(std::move(read));
  }
}

void FrameReader::MakeRoom(size_t needed) {
  const size_t pending = buffer_.size() - begin_;
  DRPC_ASSERT(pending < needed, "MakeRoom for a frame that is already whole");
  DRPC_ASSERT(needed <= options_.max_frame_size + kMaxFrameOverhead, "frame larger than allowed");
  // Room for the rest of this frame plus one read of what follows it.
  const size_t wanted = std::min(buffer_.limit(), needed + options_.read_size);
  if (buffer_.capacity() - begin_ < wanted) {
    // Moves at most one partial frame, and only when room runs short, so each
    // byte is moved O(1) times on average.
    buffer_.DropFront(begin_);
    begin_ = 0;
  }
  buffer_.Reserve(wanted);
  metered_.Set(buffer_.capacity());
  DRPC_ASSERT(buffer_.capacity() - buffer_.size() >= needed - pending, "no room for the frame");
}

Status FrameReader::Fill(size_t needed, int* empty_reads) {
  MakeRoom(needed);
  const MutableBytes room = buffer_.tail();
  ReadResult read = source_.Read(room);
  DRPC_ASSERT(read.n <= room.size(), "ByteSource::Read returned more bytes than asked for");
  buffer_.Commit(read.n);
  if (!read.err.ok()) {
    // Keep the error until the bytes that came with it are used up (§1.8).
    source_err_ = std::move(read.err);
    return Status();
  }
  if (read.n > 0) {
    *empty_reads = 0;
    return Status();
  }
  if (++*empty_reads >= kMaxEmptyReads) {
    return InternalError("no progress: " + std::to_string(kMaxEmptyReads) +
                         " reads in a row returned no data and no error");
  }
  return Status();
}

Status FrameReader::EndOfInput() const {
  const size_t pending = buffer_.size() - begin_;
  if (source_err_.is(ErrorKind::kEof) && pending != 0) {
    return Status(ErrorKind::kUnexpectedEof, "unexpected EOF: the input ended " +
                                                 std::to_string(pending) + " bytes into a frame");
  }
  return source_err_;
}

Status FrameReader::Fail(Status status) {
  DRPC_ASSERT(!status.ok(), "FrameReader::Fail with an ok status");
  failed_ = status;
  last_frame_size_ = 0;
  buffer_.Release();  // nothing more will be parsed: give the memory back
  metered_.Set(0);
  begin_ = 0;
  return status;
}

}  // namespace drpc::wire
