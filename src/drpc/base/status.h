// drpc::Status: an error as a value. Every layer returns errors this way;
// nothing in the library throws for an expected failure.
//
//   Status st = conn.Invoke(rpc, in, out);
//   if (st.is(ErrorKind::kDeadlineExceeded)) Retry();
//   else if (!st.ok()) return st;
//
// A Status has a kind (what sort of failure), a code (the application code an
// Error packet carries, 0 = none) and a message. See docs/base.md, "Errors".
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

namespace drpc {

enum class ErrorKind : uint8_t {
  kOk = 0,
  kEof,               // orderly end (Go io.EOF): sends after the stream ended, recv after CloseSend
  kUnexpectedEof,     // the input ended in the middle of something
  kCanceled,          // a local or remote cancellation (Go context.Canceled)
  kDeadlineExceeded,  // a deadline passed (Go context.DeadlineExceeded)
  kClosed,            // the stream or connection is closed, including a reset (ClosedError)
  kConnection,        // the transport failed in another way (ConnectionError)
  kProtocol,          // the peer broke the wire protocol (ProtocolError)
  kInternal,          // an internal failure (InternalError)
  kDrpc,              // a generic drpc library error, e.g. "terminated by sending close"
  kRemote,            // an error the peer sent in an Error packet; `code` is its code
  kMessageSize,       // a message is larger than the configured limit (MessageSizeError)
  kInvalidArgument,   // the caller passed something unusable (API misuse, bad CLI flag)
  kResourceExhausted,  // a configured bound was reached (too many streams, ...)
};

std::string_view ErrorKindName(ErrorKind kind);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(ErrorKind kind, std::string message, uint64_t code = 0)
      : kind_(kind), code_(code), message_(std::move(message)) {}

  bool ok() const { return kind_ == ErrorKind::kOk; }
  explicit operator bool() const = delete;  // say ok() or !ok(), never if (status)
  ErrorKind kind() const { return kind_; }
  bool is(ErrorKind kind) const { return kind_ == kind; }
  uint64_t code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<kind>: <message>" plus " (code N)" when a code is attached.
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.kind_ == b.kind_ && a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  ErrorKind kind_ = ErrorKind::kOk;
  uint64_t code_ = 0;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

// Constructors for the common cases, named after what they mean.
inline Status OkStatus() { return Status(); }
inline Status EofError() { return Status(ErrorKind::kEof, "EOF"); }
inline Status UnexpectedEofError() { return Status(ErrorKind::kUnexpectedEof, "unexpected EOF"); }
inline Status CanceledError() { return Status(ErrorKind::kCanceled, "context canceled"); }
inline Status DeadlineExceededError() {
  return Status(ErrorKind::kDeadlineExceeded, "context deadline exceeded");
}
inline Status ClosedError(std::string message) {
  return Status(ErrorKind::kClosed, std::move(message));
}
inline Status ConnectionError(std::string message) {
  return Status(ErrorKind::kConnection, std::move(message));
}
inline Status ProtocolError(std::string message) {
  return Status(ErrorKind::kProtocol, std::move(message));
}
inline Status InternalError(std::string message) {
  return Status(ErrorKind::kInternal, std::move(message));
}
inline Status DrpcError(std::string message) {
  return Status(ErrorKind::kDrpc, std::move(message));
}
inline Status RemoteError(std::string message, uint64_t code) {
  return Status(ErrorKind::kRemote, std::move(message), code);
}
inline Status InvalidArgumentError(std::string message) {
  return Status(ErrorKind::kInvalidArgument, std::move(message));
}
inline Status ResourceExhaustedError(std::string message) {
  return Status(ErrorKind::kResourceExhausted, std::move(message));
}

}  // namespace drpc
