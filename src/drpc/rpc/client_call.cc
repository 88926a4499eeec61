#include "drpc/rpc/internal/client_call.h"

#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/time.h"

namespace drpc::rpc::detail {

ClientCall& ClientCall::operator=(ClientCall&& other) noexcept {
  if (this == &other) return *this;
  (void)Finish();
  stream_ = std::move(other.stream_);
  cancel_ = std::move(other.cancel_);
  finished_ = std::exchange(other.finished_, false);
  return *this;
}

stream::Stream& ClientCall::stream() const {
  DRPC_ASSERT(stream_ != nullptr, "use of a call that was moved from");
  return *stream_;
}

Status ClientCall::Finish() {
  if (stream_ == nullptr || finished_) return OkStatus();
  finished_ = true;
  // First the token: once Reset returns, no cancel can reach this stream.
  cancel_.Reset();
  return stream_->Close();
}

Status ClientCall::SendFailure(stream::Stream& stream, Status send_error) {
  if (!send_error.is(ErrorKind::kEof)) return send_error;
  // A send returns EOF only once the send side was closed by a terminating
  // event (SendCancel sets it just before it terminates the stream), so
  // term is set or about to be: the wait is short.
  stream.terminated().wait("rpc: a failed send waits for the call's real status");
  Status real = stream.termination_error();
  return real.ok() ? send_error : real;
}

Result<ClientCall> OpenCall(manager::Manager& manager, const CallOptions& options) {
  if (options.cancel.has_value() && options.cancel->canceled()) return options.cancel->err();
  if (options.deadline != rt::kNoDeadline && options.deadline <= rt::now()) {
    return DeadlineExceededError();
  }
  manager::ClientStreamOptions open{.deadline = options.deadline};
  // Legacy mode may wait for the one stream slot: the token ends that wait
  // too (the registration lives only while the stream opens).
  CancelToken::Registration open_wait;
  if (options.cancel.has_value() && manager.options().legacy_single_stream) {
    open.cancel = &options.cancel->signal();
    open_wait = options.cancel->OnCancel([&manager](const Status&) { manager.WakeOpeners(); });
  }
  Result<std::shared_ptr<stream::Stream>> opened = manager.NewClientStream(open);
  open_wait.Reset();
  if (!opened.ok()) return opened.status();
  std::shared_ptr<stream::Stream> stream = std::move(*opened);
  CancelToken::Registration cancel;
  if (options.cancel.has_value()) {
    // Runs on the canceling task (or here, if the token was canceled since
    // the check above): a soft cancel of this call's stream only.
    cancel = options.cancel->OnCancel(
        [stream](const Status& err) { (void)manager::Manager::Cancel(*stream, err); });
  }
  return ClientCall(std::move(stream), std::move(cancel));
}

Result<ClientCall> StartCall(manager::Manager& manager, std::string_view rpc,
                             const CallOptions& options) {
  Result<ClientCall> call = OpenCall(manager, options);
  if (!call.ok()) return call;
  stream::Stream& stream = call->stream();
  if (Status st = stream.WriteInvoke(rpc, options.metadata); !st.ok()) {
    st = ClientCall::SendFailure(stream, std::move(st));
    (void)call->Finish();
    return st;
  }
  return call;
}

}  // namespace drpc::rpc::detail
