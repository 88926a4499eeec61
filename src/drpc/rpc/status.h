// The rpc layer's names for the error model of drpc/base/status.h (codes,
// NotFoundError, WithCode, ...), kept for code written against them; new
// code uses those directly. Also the code a stopping server refuses with.
//
//   return NotFoundError("no such user");        // the client sees code 5
//   if (st.code() == StatusCode::kUnavailable) Reconnect();
//
// See docs/rpc.md, "Errors and codes".
#pragma once

#include <cstdint>

#include "drpc/base/status.h"

namespace drpc::rpc {

using GrpcCode = StatusCode;
using drpc::StatusCodeName;
using drpc::UnimplementedError;
using drpc::WithCode;
inline std::string GrpcCodeName(GrpcCode code) { return StatusCodeName(code); }
inline constexpr uint64_t kMaxGrpcCode = 16;

// drpcerr.Unimplemented, the one code Go's drpc names.
inline constexpr uint64_t kUnimplementedCode = 12;
// The code a stopping server refuses new calls with (gRPC Unavailable).
inline constexpr uint64_t kUnavailableCode = 14;

// The code an Error packet for `err` carries (Go's drpcerr.Code).
inline uint64_t ErrorCode(const Status& err) { return err.wire_code(); }

// err.code(), with an application's own codes (over 16) as kUnknown: the
// fork's ToRPCErr as a gRPC code.
inline GrpcCode ToGrpcCode(const Status& err) {
  const StatusCode code = err.code();
  return static_cast<uint64_t>(code) <= kMaxGrpcCode ? code : StatusCode::kUnknown;
}

}  // namespace drpc::rpc
