// TransportSource: an rt::Transport as a wire::ByteSource, the manager
// reader's view of the transport (wire must not depend on rt).
//
//   TransportSource source(transport);
//   wire::FrameReader reader(source, options);
#pragma once

#include <utility>

#include "drpc/base/unique_function.h"
#include "drpc/rt/transport.h"
#include "drpc/wire/byte_io.h"

namespace drpc::manager {

class TransportSource final : public wire::ByteSource {
 public:
  // `before_read`, if given, runs right before every transport read: the
  // reader is about to block (or find more bytes), so it is the last moment
  // for work held back while frames were still buffered (the manager's
  // deferred accept wake-up).
  explicit TransportSource(rt::Transport& transport, UniqueFunction<void()> before_read = {})
      : transport_(transport), before_read_(std::move(before_read)) {}
  ReadResult Read(MutableBytes buffer) override {
    if (before_read_) before_read_();
    ReadResult r = transport_.Read(buffer);
    return ReadResult{r.n, std::move(r.err)};
  }

 private:
  rt::Transport& transport_;
  UniqueFunction<void()> before_read_;
};

}  // namespace drpc::manager
