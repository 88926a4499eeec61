// The reader's view of the transport: rt::Transport as a wire::ByteSource
// (wire must not depend on rt, so the manager adapts one to the other).
#pragma once

#include "drpc/rt/transport.h"
#include "drpc/wire/byte_io.h"

namespace drpc::manager {

class TransportSource final : public wire::ByteSource {
 public:
  explicit TransportSource(rt::Transport& transport) : transport_(transport) {}
  wire::SourceRead Read(MutableBytes buffer) override {
    rt::ReadResult r = transport_.Read(buffer);
    return wire::SourceRead{r.n, std::move(r.err)};
  }

 private:
  rt::Transport& transport_;
};

}  // namespace drpc::manager
