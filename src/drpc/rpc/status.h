// RPC error codes: WithCode attaches an application code to a Status, and
// ToGrpcCode reads any Status as a gRPC code.
//
//   return rpc::WithCode(InvalidArgumentError("empty name"), rpc::GrpcCode::kInvalidArgument);
//   ...
//   if (rpc::ToGrpcCode(st) == rpc::GrpcCode::kUnavailable) Reconnect();
//
// A handler's Status travels as an Error packet (its code and text); the
// client gets kRemote with them. The full mapping and where it differs from
// Go: docs/rpc.md, "Status codes".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "drpc/base/status.h"

namespace drpc::rpc {

// gRPC's status codes (google.golang.org/grpc/codes), by number.
enum class GrpcCode : uint32_t {
  kOk = 0,
  kCanceled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};
inline constexpr uint32_t kMaxGrpcCode = 16;

// "OK", "Canceled", ... as gRPC spells them.
std::string_view GrpcCodeName(GrpcCode code);

// The one code drpc names (drpcerr.Unimplemented): what generated
// "unimplemented" stubs return.
inline constexpr uint64_t kUnimplementedCode = 12;
// The code a stopping server refuses new calls with (gRPC Unavailable).
inline constexpr uint64_t kUnavailableCode = 14;

// `err` with `code` attached (Go's drpcerr.WithCode): unchanged if `err` is
// ok or `code` is 0; otherwise the same kind and text with the new code.
Status WithCode(Status err, uint64_t code);
inline Status WithCode(Status err, GrpcCode code) {
  return WithCode(std::move(err), static_cast<uint64_t>(code));
}

// The code an Error packet for `err` carries (Go's drpcerr.Code): 0 = none.
inline uint64_t ErrorCode(const Status& err) { return err.code(); }

// What a handler returns for a method it does not implement (Go's
// generated stubs: text "Unimplemented", code 12).
Status UnimplementedError(std::string message = "Unimplemented");

// The gRPC code of `err` (the fork's ToRPCErr): kRemote keeps a code in
// 1..16, the local kinds map to their gRPC meaning, kEof is kUnknown (test
// for EOF first). Table: docs/rpc.md, "Status codes".
GrpcCode ToGrpcCode(const Status& err);

}  // namespace drpc::rpc
