// The non-template core of a client call, shared by Conn::Invoke and
// ClientStream (detail: not part of the API).
#pragma once

#include <memory>
#include <string_view>

#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/manager/manager.h"
#include "drpc/rpc/call_options.h"
#include "drpc/rpc/cancel.h"
#include "drpc/stream/stream.h"

namespace drpc::rpc::detail {

// One client call in progress: its stream and its cancel registration.
// Move-only; destruction finishes the call.
class ClientCall {
 public:
  ClientCall() = default;
  ClientCall(std::shared_ptr<stream::Stream> stream, CancelToken::Registration cancel)
      : stream_(std::move(stream)), cancel_(std::move(cancel)) {}
  ClientCall(ClientCall&& other) noexcept = default;
  ClientCall& operator=(ClientCall&& other) noexcept;
  ~ClientCall() { (void)Finish(); }

  bool valid() const { return stream_ != nullptr; }
  stream::Stream& stream() const;

  // Ends the call (idempotent): unregisters from the cancel token, then
  // Close on the stream, which sends Close unless the stream already ended
  // (both sides sent CloseSend, an Error, a Cancel). Returns Close's result.
  // The stream stays referenced, so calls on it after Finish get its
  // errors.
  Status Finish();

  // The status behind a failed send. Sends return EOF once the stream was
  // terminated (canceled, the peer's Error or Cancel, the connection died),
  // and the real status is the stream's termination error (§2.4), which
  // receives return. Waits for it: a send sees EOF a moment before the
  // canceling task terminates the stream. Other errors pass through.
  static Status SendFailure(stream::Stream& stream, Status send_error);

 private:
  std::shared_ptr<stream::Stream> stream_;
  CancelToken::Registration cancel_;
  bool finished_ = false;
};

// Opens a call (§5.1 steps 1-3): fails at once if the token is canceled or
// the deadline passed; opens a client stream with the deadline; registers
// the cancel. Nothing is written yet.
Result<ClientCall> OpenCall(manager::Manager& manager, const CallOptions& options);

// OpenCall, then step 4: writes InvokeMetadata (if any) and Invoke
// atomically (a failure closes the call and returns its real status).
Result<ClientCall> StartCall(manager::Manager& manager, std::string_view rpc,
                             const CallOptions& options);

}  // namespace drpc::rpc::detail
