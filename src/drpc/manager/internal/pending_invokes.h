// PendingInvokes: invokes being assembled for streams that do not exist yet
// (drpc-protocol.md §4.3, §1.10), bounded (§4.10). Each id being invoked
// has an assembler and the last metadata received; a bound refuses only
// that stream, and a refused id's remaining frames are dropped quietly
// (docs/manager.md, "Pending invokes").
//
//   PendingInvokes pending({.max_entries = 64, .max_packet_bytes = 64 * 1024});
//   Result<InvokeStep> step = pending.Append(frame);  // kInvoke: open the stream
//
// Not thread-safe: the connection's reader task owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "drpc/base/resource_meter.h"
#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/wire/assembler.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/metadata.h"

namespace drpc::manager {

struct PendingInvokesOptions {
  size_t max_entries = 64;
  size_t max_packet_bytes = 64 * 1024;
  // Counts the partial invokes (kAssembler); null: not counted.
  ResourceMeter* meter = nullptr;
};

// What one invoke frame led to.
struct InvokeStep {
  enum class Kind : uint8_t {
    kIncomplete,  // more frames to come; nothing to do
    kInvoke,      // the Invoke completed: open the stream
    kRefuse,      // a bound was hit: answer the stream with an Error frame (reason)
    kDropped,     // a frame of an invoke refused earlier
  };
  Kind kind = Kind::kIncomplete;
  uint64_t stream_id = 0;
  std::string rpc;          // kInvoke
  wire::Metadata metadata;  // kInvoke: the last metadata received, if any
  std::string reason;       // kRefuse
};

class PendingInvokes {
 public:
  explicit PendingInvokes(PendingInvokesOptions options = {});

  // True if frames of `stream_id` belong here (assembling, or refused and
  // not finished); such frames bypass the used-id check.
  bool Tracks(uint64_t stream_id) const;

  // One Invoke or InvokeMetadata frame for a stream that does not exist. An
  // error (a malformed invoke sequence or metadata, or too many refused
  // sequences) must fail the connection.
  Result<InvokeStep> Append(const wire::Frame& frame);

  size_t size() const { return entries_.size(); }
  size_t refused() const { return refused_.size(); }

  // A string whose storage the next completed Invoke's rpc name is copied
  // into (InvokeStep::rpc), so a connection recycling its names (the
  // manager's, docs/resources.md) allocates none per call. Empty: none.
  bool has_name_storage() const { return name_storage_.capacity() > std::string().capacity(); }
  void GiveNameStorage(std::string storage) { name_storage_ = std::move(storage); }
  // The same for metadata: a map whose nodes and strings the next decoded
  // InvokeMetadata reuses (wire::DecodeMetadataInto). Empty: none.
  bool has_metadata_storage() const { return !metadata_storage_.empty(); }
  void GiveMetadataStorage(wire::Metadata storage) { metadata_storage_ = std::move(storage); }

 private:
  struct Entry {
    explicit Entry(const PendingInvokesOptions& options)
        : assembler(wire::PacketAssembler::ForFirstStream(wire::AssemblerOptions{
              .max_packet_size = options.max_packet_bytes, .meter = options.meter})) {}
    wire::PacketAssembler assembler;
    wire::Metadata metadata;
  };

  // One frame through an entry's assembler: the step, and whether the
  // entry is finished with (the Invoke completed) or over the size bound.
  struct Feeding {
    Result<InvokeStep> step = InvokeStep{};
    bool finished = false;
    bool too_large = false;
  };
  Feeding Feed(Entry& entry, const wire::Frame& frame);
  Result<InvokeStep> Refuse(const wire::Frame& frame, std::string reason);
  Result<InvokeStep> RefuseTooLarge(const wire::Frame& frame);
  using Entries = std::map<uint64_t, Entry>;
  // An entry for `sid` in the table, in the spare node if there is one.
  Entries::iterator AddEntry(uint64_t sid);
  // Takes the entry out of the table, keeping its node as the spare.
  void RemoveEntry(Entries::iterator it);

  const PendingInvokesOptions options_;
  Entries entries_;
  // A finished entry's node, for the next invoke of more than one frame
  // (metadata, then the invoke: every call with metadata), so it allocates
  // no node per call.
  Entries::node_type spare_entry_;
  std::set<uint64_t> refused_;       // refused ids whose Invoke has not ended yet
  std::string name_storage_;         // see GiveNameStorage
  wire::Metadata metadata_storage_;  // see GiveMetadataStorage
};

// True for the two kinds that open a stream (Invoke, InvokeMetadata).
bool IsInvokeKind(uint8_t kind);

}  // namespace drpc::manager
