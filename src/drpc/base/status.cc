#include "drpc/base/status.h"

#include <ostream>

namespace drpc {
namespace {

// What an error of `kind` means when it carries no code of its own (the
// fork's ToRPCErr for the Go classes, §2.4).
StatusCode KindCode(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk:
      return StatusCode::kOk;
    case ErrorKind::kCanceled:
      return StatusCode::kCanceled;
    case ErrorKind::kDeadlineExceeded:
      return StatusCode::kDeadlineExceeded;
    case ErrorKind::kUnexpectedEof:
    case ErrorKind::kProtocol:
    case ErrorKind::kInternal:
      return StatusCode::kInternal;
    case ErrorKind::kClosed:
    case ErrorKind::kConnection:
      return StatusCode::kUnavailable;
    case ErrorKind::kMessageSize:
    case ErrorKind::kResourceExhausted:
      return StatusCode::kResourceExhausted;
    case ErrorKind::kInvalidArgument:
      return StatusCode::kInvalidArgument;
    case ErrorKind::kEof:  // the normal end of a stream, not a status: test for it first
    case ErrorKind::kDrpc:
    case ErrorKind::kRemote:  // the peer sent no code
    case ErrorKind::kApplication:
      return StatusCode::kUnknown;
  }
  return StatusCode::kUnknown;
}

// The kinds whose code goes on the wire even when none was attached: the
// ones a StatusCode makes. The rest are the Go library's classes, which Go
// sends with code 0.
bool KindSendsItsCode(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kCanceled:
    case ErrorKind::kDeadlineExceeded:
    case ErrorKind::kInvalidArgument:
    case ErrorKind::kResourceExhausted:
    case ErrorKind::kInternal:
    case ErrorKind::kApplication:
      return true;
    default:
      return false;
  }
}

ErrorKind CodeKind(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return ErrorKind::kOk;
    case StatusCode::kCanceled:
      return ErrorKind::kCanceled;
    case StatusCode::kDeadlineExceeded:
      return ErrorKind::kDeadlineExceeded;
    case StatusCode::kInvalidArgument:
      return ErrorKind::kInvalidArgument;
    case StatusCode::kResourceExhausted:
      return ErrorKind::kResourceExhausted;
    case StatusCode::kInternal:
      return ErrorKind::kInternal;
    default:
      return ErrorKind::kApplication;
  }
}

}  // namespace

std::string StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCanceled:
      return "Canceled";
    case StatusCode::kUnknown:
      return "Unknown";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kDeadlineExceeded:
      return "DeadlineExceeded";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case StatusCode::kPermissionDenied:
      return "PermissionDenied";
    case StatusCode::kResourceExhausted:
      return "ResourceExhausted";
    case StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case StatusCode::kAborted:
      return "Aborted";
    case StatusCode::kOutOfRange:
      return "OutOfRange";
    case StatusCode::kUnimplemented:
      return "Unimplemented";
    case StatusCode::kInternal:
      return "Internal";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kDataLoss:
      return "DataLoss";
    case StatusCode::kUnauthenticated:
      return "Unauthenticated";
  }
  return "Code(" + std::to_string(static_cast<uint64_t>(code)) + ")";
}

std::ostream& operator<<(std::ostream& os, StatusCode code) { return os << StatusCodeName(code); }

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kOk:
      return "ok";
    case ErrorKind::kEof:
      return "eof";
    case ErrorKind::kUnexpectedEof:
      return "unexpected_eof";
    case ErrorKind::kCanceled:
      return "canceled";
    case ErrorKind::kDeadlineExceeded:
      return "deadline_exceeded";
    case ErrorKind::kClosed:
      return "closed";
    case ErrorKind::kConnection:
      return "connection";
    case ErrorKind::kProtocol:
      return "protocol";
    case ErrorKind::kInternal:
      return "internal";
    case ErrorKind::kDrpc:
      return "drpc";
    case ErrorKind::kRemote:
      return "remote";
    case ErrorKind::kMessageSize:
      return "message_size";
    case ErrorKind::kInvalidArgument:
      return "invalid_argument";
    case ErrorKind::kResourceExhausted:
      return "resource_exhausted";
    case ErrorKind::kApplication:
      return "application";
  }
  return "unknown";
}

uint64_t Status::OwnCode(ErrorKind kind, uint64_t code) {
  return KindSendsItsCode(kind) && code == static_cast<uint64_t>(KindCode(kind)) ? 0 : code;
}

Status::Status(StatusCode code, std::string message)
    : Status(CodeKind(code), code == StatusCode::kOk ? std::string() : std::move(message),
             code == StatusCode::kOk ? 0 : static_cast<uint64_t>(code)) {}

StatusCode Status::code() const {
  return code_ != 0 ? static_cast<StatusCode>(code_) : KindCode(kind_);
}

uint64_t Status::wire_code() const {
  if (code_ != 0 || !KindSendsItsCode(kind_)) return code_;
  return static_cast<uint64_t>(KindCode(kind_));
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  if (kind_ == ErrorKind::kApplication) return StatusCodeName(code()) + ": " + message_;
  std::string out(ErrorKindName(kind_));
  out += ": ";
  out += message_;
  if (code_ != 0) {
    out += " (code ";
    out += std::to_string(code_);
    out += ")";
  }
  return out;
}

std::ostream& operator<<(std::ostream& os, const Status& status) { return os << status.ToString(); }

Status WithCode(Status err, uint64_t code) {
  if (err.ok() || code == 0) return err;
  const ErrorKind kind = err.kind();
  return Status(kind, err.message(), code);
}

}  // namespace drpc
