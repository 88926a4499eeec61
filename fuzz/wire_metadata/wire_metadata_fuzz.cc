// Fuzz target: DecodeMetadata over arbitrary bytes never crashes or reads
// past the span; when it succeeds, encoding the map and decoding that gives
// the same map, and the encoding is no longer than the input (ours uses
// minimal varints and writes each key once). Decoding into a map that held
// other entries (DecodeMetadataInto, as a server recycles them) agrees.
#include <cstddef>
#include <cstdint>

#include "drpc/wire/metadata.h"
#include "fuzz/fuzz_check.h"

namespace {

constexpr drpc::fuzz::Checker Check{"wire_metadata"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace drpc::wire;  // NOLINT: a fuzz driver
  drpc::Result<Metadata> decoded = DecodeMetadata(drpc::Bytes(data, size));
  Metadata recycled{{"k", "v"}, {"a key past the inline storage", "and its value, as long"}};
  const drpc::Status into = DecodeMetadataInto(drpc::Bytes(data, size), recycled);
  Check(into.ok() == decoded.ok(), "decoding into a recycled map disagrees on the error");
  if (decoded.ok()) Check(recycled == *decoded, "decoding into a recycled map disagrees");
  if (!decoded.ok()) {
    Check(decoded.status().kind() == drpc::ErrorKind::kProtocol, "not a protocol error");
    return 0;
  }
  drpc::Buffer out;
  EncodeMetadata(out, *decoded);
  Check(out.size() <= size, "re-encoding is longer than the input");
  drpc::Result<Metadata> again = DecodeMetadata(out.view());
  Check(again.ok(), "re-encoded metadata does not decode");
  Check(*again == *decoded, "round trip changed the metadata");
  return 0;
}
