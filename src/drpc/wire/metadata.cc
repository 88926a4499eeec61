#include "drpc/wire/metadata.h"

#include <string_view>

#include "drpc/base/plant.h"
#include "drpc/base/status.h"
#include "drpc/wire/varint.h"

namespace drpc::wire {
namespace {

constexpr uint8_t kEntryTag = 0x0a;  // field 1, length-delimited (also the key tag)
constexpr uint8_t kValueTag = 0x12;  // field 2, length-delimited

size_t FieldSize(size_t length) { return 1 + VarintSize(length) + length; }

void AppendField(Buffer& out, uint8_t tag, std::string_view bytes) {
  out.PushBack(tag);
  AppendVarint(out, bytes.size());
  out.Append(AsBytes(bytes));
}

Status Invalid(std::string_view what) {
  return ProtocolError("invalid metadata: " + std::string(what));
}

// Reads `tag varint(len) bytes` from the front of *in into *field and
// advances *in. Each failure says which part was wrong.
Status ReadField(Bytes* in, uint8_t tag, std::string_view name, Bytes* field) {
  if (in->empty()) return Invalid(std::string(name) + " missing");
  if ((*in)[0] != tag) return Invalid("unexpected tag where the " + std::string(name) + " belongs");
  VarintParse length = ParseVarint(in->subspan(1));
  if (length.status == VarintStatus::kTooLong)
    return Invalid(std::string(name) + " length varint too long");
  if (length.status == VarintStatus::kNeedMore)
    return Invalid(std::string(name) + " length truncated");
  const Bytes rest = in->subspan(1 + length.consumed);
  if (DRPC_PLANT(kWireTruncatedMetadataAccepted) && length.value > rest.size())
    length.value = rest.size();
  // Compare with what is present; never allocate a declared length.
  if (length.value > rest.size()) return Invalid(std::string(name) + " length exceeds the data");
  *field = rest.first(static_cast<size_t>(length.value));
  *in = rest.subspan(static_cast<size_t>(length.value));
  return Status();
}

}  // namespace

void EncodeMetadata(Buffer& out, const Metadata& metadata) {
  for (const auto& [key, value] : metadata) {
    out.PushBack(kEntryTag);
    AppendVarint(out, FieldSize(key.size()) + FieldSize(value.size()));
    AppendField(out, kEntryTag, key);
    AppendField(out, kValueTag, value);
  }
}

Result<Metadata> DecodeMetadata(Bytes data) {
  Metadata metadata;
  if (Status decoded = DecodeMetadataInto(data, metadata); !decoded.ok()) return decoded;
  return metadata;
}

Status DecodeMetadataInto(Bytes data, Metadata& out) {
  Metadata decoded;
  // Every entry takes at least 2 bytes, so this bounds the loop.
  const size_t max_entries = data.size() / 2;
  for (size_t entries = 0; !data.empty(); ++entries) {
    DRPC_ASSERT(entries <= max_entries, "metadata decode loop bound exceeded");
    Bytes entry;
    Status status = ReadField(&data, kEntryTag, "entry", &entry);
    if (!status.ok()) return status;
    Bytes key;
    Bytes value;
    status = ReadField(&entry, kEntryTag, "key", &key);
    if (status.ok()) status = ReadField(&entry, kValueTag, "value", &value);
    if (!status.ok()) return status;
    if (!entry.empty()) return Invalid("extra bytes after the value of an entry");
    if (out.empty()) {
      decoded.insert_or_assign(ToString(key), ToString(value));
      continue;
    }
    // An old entry's node, its strings assigned in place (their storage
    // kept); a repeated key replaces the earlier value, as in Go.
    Metadata::node_type node = out.extract(out.begin());
    node.key().assign(AsStringView(key));
    node.mapped().assign(AsStringView(value));
    auto inserted = decoded.insert(std::move(node));
    if (!inserted.inserted) inserted.position->second.assign(AsStringView(value));
  }
  out.swap(decoded);  // old entries left over are freed with `decoded`
  return Status();
}

}  // namespace drpc::wire
