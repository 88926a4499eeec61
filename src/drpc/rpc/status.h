// Error codes of the RPC layer (drpc-protocol.md §5.5, §1.9, §2.4).
//
// A drpc::Status is already what Go's drpcerr gives an error: a class (its
// ErrorKind), an opaque application code (0 = none) and a text. On the wire:
//   * a handler's non-ok Status goes to the client as an Error packet with
//     status.code() and status.message() (the text exactly, no class);
//   * the client gets it back as ErrorKind::kRemote with that code and text.
//   * Codes are opaque u64s; only Unimplemented (12) is named by drpc. This
//     layer uses gRPC's numbering when it picks a code itself (a server that
//     is stopping refuses new calls with kUnavailableCode), so a peer can
//     read our codes as gRPC codes.
//
// ToGrpcCode is the fork's ToRPCErr (§2.4) as a code:
//   ok                              -> kOk
//   kEof                            -> kUnknown: EOF is the normal end of a
//                                      stream, not a status; Go leaves io.EOF
//                                      unchanged and gRPC's status.Code of it
//                                      is Unknown. Test for EOF first.
//   kCanceled                       -> kCanceled (1)
//   kDeadlineExceeded               -> kDeadlineExceeded (4)
//   kUnexpectedEof                  -> kInternal (13)
//   kClosed, kConnection            -> kUnavailable (14)
//   kRemote with a code in 1..16    -> that code (the peer chose a gRPC code:
//                                      WithCode, generated Unimplemented stubs)
//   kRemote otherwise               -> kUnknown (2)
//   kMessageSize, kResourceExhausted-> kResourceExhausted (8)
//   kInvalidArgument                -> kInvalidArgument (3)
//   kProtocol, kInternal            -> kInternal (13)
//   kDrpc                           -> kUnknown (2)
// Differences from Go, on purpose: Go maps every error that is not already a
// gRPC status to Unknown, including a remote error that carries a code, and
// protocol/internal errors; here those keep their meaning.
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

// See the header comment.
GrpcCode ToGrpcCode(const Status& err);

}  // namespace drpc::rpc
