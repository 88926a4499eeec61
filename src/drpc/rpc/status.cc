#include "drpc/rpc/status.h"

#include <string>
#include <utility>

namespace drpc::rpc {

std::string_view GrpcCodeName(GrpcCode code) {
  switch (code) {
    case GrpcCode::kOk:
      return "OK";
    case GrpcCode::kCanceled:
      return "Canceled";
    case GrpcCode::kUnknown:
      return "Unknown";
    case GrpcCode::kInvalidArgument:
      return "InvalidArgument";
    case GrpcCode::kDeadlineExceeded:
      return "DeadlineExceeded";
    case GrpcCode::kNotFound:
      return "NotFound";
    case GrpcCode::kAlreadyExists:
      return "AlreadyExists";
    case GrpcCode::kPermissionDenied:
      return "PermissionDenied";
    case GrpcCode::kResourceExhausted:
      return "ResourceExhausted";
    case GrpcCode::kFailedPrecondition:
      return "FailedPrecondition";
    case GrpcCode::kAborted:
      return "Aborted";
    case GrpcCode::kOutOfRange:
      return "OutOfRange";
    case GrpcCode::kUnimplemented:
      return "Unimplemented";
    case GrpcCode::kInternal:
      return "Internal";
    case GrpcCode::kUnavailable:
      return "Unavailable";
    case GrpcCode::kDataLoss:
      return "DataLoss";
    case GrpcCode::kUnauthenticated:
      return "Unauthenticated";
  }
  return "Code(?)";
}

Status WithCode(Status err, uint64_t code) {
  if (err.ok() || code == 0) return err;
  const ErrorKind kind = err.kind();
  return Status(kind, err.message(), code);
}

Status UnimplementedError(std::string message) {
  return Status(ErrorKind::kDrpc, std::move(message), kUnimplementedCode);
}

GrpcCode ToGrpcCode(const Status& err) {
  switch (err.kind()) {
    case ErrorKind::kOk:
      return GrpcCode::kOk;
    case ErrorKind::kEof:
      return GrpcCode::kUnknown;
    case ErrorKind::kCanceled:
      return GrpcCode::kCanceled;
    case ErrorKind::kDeadlineExceeded:
      return GrpcCode::kDeadlineExceeded;
    case ErrorKind::kUnexpectedEof:
      return GrpcCode::kInternal;
    case ErrorKind::kClosed:
    case ErrorKind::kConnection:
      return GrpcCode::kUnavailable;
    case ErrorKind::kRemote:
      if (err.code() >= 1 && err.code() <= kMaxGrpcCode) return static_cast<GrpcCode>(err.code());
      return GrpcCode::kUnknown;
    case ErrorKind::kMessageSize:
    case ErrorKind::kResourceExhausted:
      return GrpcCode::kResourceExhausted;
    case ErrorKind::kInvalidArgument:
      return GrpcCode::kInvalidArgument;
    case ErrorKind::kProtocol:
    case ErrorKind::kInternal:
      return GrpcCode::kInternal;
    case ErrorKind::kDrpc:
      return GrpcCode::kUnknown;
  }
  return GrpcCode::kUnknown;
}

}  // namespace drpc::rpc
