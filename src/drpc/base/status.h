// drpc::Status: an error as a value, the one error model of the library and
// of the code that uses it. Nothing in the library throws for an expected
// failure.
//
//   // A handler: the code reaches the client (Go's drpcerr.WithCode).
//   if (in.name().empty()) return InvalidArgumentError("empty name");
//
//   // A client: one code for the peer's errors and for local ones.
//   Status st = conn.Invoke(rpc, in, out);
//   if (st.code() == StatusCode::kNotFound) CreateIt();
//   else if (st.code() == StatusCode::kDeadlineExceeded) Retry();
//
// A Status has a code (gRPC's numbering, which drpc peers put on the wire),
// a message, and a kind: the library's finer class (EOF, closed, remote...).
// See docs/base.md, "Errors", and docs/rpc.md, "Errors and codes".
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>

namespace drpc {

// What an error means, by gRPC's numbers (google.golang.org/grpc/codes).
// Any other number is an application's own code, as a peer may send it.
enum class StatusCode : uint64_t {
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

// "OK", "NotFound", ... as gRPC spells them; "Code(N)" for other numbers.
std::string StatusCodeName(StatusCode code);
std::ostream& operator<<(std::ostream& os, StatusCode code);
// Codes are numbers on the wire: an application's own code compares as one.
constexpr bool operator==(StatusCode a, uint64_t b) { return static_cast<uint64_t>(a) == b; }

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
  kRemote,            // an error the peer sent in an Error packet, with its code
  kMessageSize,       // a message is larger than the configured limit (MessageSizeError)
  kInvalidArgument,   // the caller passed something unusable (API misuse, bad CLI flag)
  kResourceExhausted,  // a configured bound was reached (too many streams, ...)
  kApplication,        // made from a code alone (NotFoundError, ...): the code says it all
};

std::string_view ErrorKindName(ErrorKind kind);

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  // An error of `kind`; `code` 0 means the kind's own (code()).
  Status(ErrorKind kind, std::string message, uint64_t code = 0)
      : kind_(kind), code_(code == 0 ? 0 : OwnCode(kind, code)), message_(std::move(message)) {}
  // An error with `code` (ok if it is kOk), of the kind that code means.
  Status(StatusCode code, std::string message);

  bool ok() const { return kind_ == ErrorKind::kOk; }
  explicit operator bool() const = delete;  // say ok() or !ok(), never if (status)
  ErrorKind kind() const { return kind_; }
  bool is(ErrorKind kind) const { return kind_ == kind; }
  // What the error means: the code it was made with or the peer sent, else
  // its kind's (closed -> kUnavailable, a peer's error without one ->
  // kUnknown; table in docs/rpc.md, "Errors and codes").
  StatusCode code() const;
  // The code an Error packet for this status carries (Go's drpcerr.Code).
  // It is code(), except that the library's transport classes (EOF,
  // closed, connection, protocol, drpc, message size) carry 0 unless a code
  // was attached, as Go sends them.
  uint64_t wire_code() const;
  const std::string& message() const { return message_; }

  // "<kind>: <message>" plus " (code N)" when the code is not the kind's
  // own; an application error reads "<code name>: <message>".
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.kind_ == b.kind_ && a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  // `code`, or 0 if it is what `kind` means anyway (so that an error made
  // either way, InvalidArgumentError or WithCode(..., 3), is one value).
  static uint64_t OwnCode(ErrorKind kind, uint64_t code);

  ErrorKind kind_ = ErrorKind::kOk;
  uint64_t code_ = 0;  // 0 = the kind's own
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& status);

inline Status OkStatus() { return Status(); }

// Errors by code: what an application returns (the library uses them too).
// The texts by default are Go's.
inline Status CanceledError(std::string message = "context canceled") {
  return Status(StatusCode::kCanceled, std::move(message));
}
inline Status UnknownError(std::string message) {
  return Status(StatusCode::kUnknown, std::move(message));
}
inline Status InvalidArgumentError(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
inline Status DeadlineExceededError(std::string message = "context deadline exceeded") {
  return Status(StatusCode::kDeadlineExceeded, std::move(message));
}
inline Status NotFoundError(std::string message) {
  return Status(StatusCode::kNotFound, std::move(message));
}
inline Status AlreadyExistsError(std::string message) {
  return Status(StatusCode::kAlreadyExists, std::move(message));
}
inline Status PermissionDeniedError(std::string message) {
  return Status(StatusCode::kPermissionDenied, std::move(message));
}
inline Status ResourceExhaustedError(std::string message) {
  return Status(StatusCode::kResourceExhausted, std::move(message));
}
inline Status FailedPreconditionError(std::string message) {
  return Status(StatusCode::kFailedPrecondition, std::move(message));
}
inline Status AbortedError(std::string message) {
  return Status(StatusCode::kAborted, std::move(message));
}
inline Status OutOfRangeError(std::string message) {
  return Status(StatusCode::kOutOfRange, std::move(message));
}
// Go's generated stubs say "Unimplemented" (drpcerr.Unimplemented = 12).
inline Status UnimplementedError(std::string message = "Unimplemented") {
  return Status(StatusCode::kUnimplemented, std::move(message));
}
inline Status InternalError(std::string message) {
  return Status(StatusCode::kInternal, std::move(message));
}
inline Status UnavailableError(std::string message) {
  return Status(StatusCode::kUnavailable, std::move(message));
}
inline Status DataLossError(std::string message) {
  return Status(StatusCode::kDataLoss, std::move(message));
}
inline Status UnauthenticatedError(std::string message) {
  return Status(StatusCode::kUnauthenticated, std::move(message));
}

// `err` with `code` attached (Go's drpcerr.WithCode): the same kind and
// text; unchanged if `err` is ok or `code` is 0.
Status WithCode(Status err, uint64_t code);
inline Status WithCode(Status err, StatusCode code) {
  return WithCode(std::move(err), static_cast<uint64_t>(code));
}

// The library's own classes (the Go library's error classes, §5.5).
inline Status EofError() { return Status(ErrorKind::kEof, "EOF"); }
inline Status UnexpectedEofError() { return Status(ErrorKind::kUnexpectedEof, "unexpected EOF"); }
inline Status ClosedError(std::string message) {
  return Status(ErrorKind::kClosed, std::move(message));
}
inline Status ConnectionError(std::string message) {
  return Status(ErrorKind::kConnection, std::move(message));
}
inline Status ProtocolError(std::string message) {
  return Status(ErrorKind::kProtocol, std::move(message));
}
inline Status DrpcError(std::string message) {
  return Status(ErrorKind::kDrpc, std::move(message));
}
// An error the peer sent: its text and code (0 = none) as they came.
inline Status RemoteError(std::string message, uint64_t code) {
  return Status(ErrorKind::kRemote, std::move(message), code);
}

}  // namespace drpc
