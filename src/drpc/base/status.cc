#include "drpc/base/status.h"

#include <ostream>

namespace drpc {

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
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
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

}  // namespace drpc
