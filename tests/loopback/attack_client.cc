#include "tests/loopback/attack_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "drpc/wire/error_payload.h"
#include "drpc/wire/frame.h"

namespace drpc::loopback {
namespace {

// Milliseconds left until `deadline`, for poll (never negative).
int PollTimeout(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 60'000));
}

}  // namespace

void AppendPacket(Buffer& out, uint64_t stream_id, uint64_t message_id, wire::Kind kind, Bytes data,
                  bool done, size_t split) {
  size_t offset = 0;
  do {
    const size_t n = std::min(split, data.size() - offset);
    wire::Frame frame;
    frame.stream_id = stream_id;
    frame.message_id = message_id;
    frame.kind = wire::ToRaw(kind);
    frame.data = data.subspan(offset, n);
    offset += n;
    frame.done = done && offset == data.size();
    wire::AppendFrame(out, frame);
  } while (offset < data.size());
}

void AppendUnaryCall(Buffer& out, uint64_t stream_id, std::string_view rpc,
                     std::string_view request) {
  AppendPacket(out, stream_id, 1, wire::Kind::kInvoke, AsBytes(rpc));
  AppendPacket(out, stream_id, 2, wire::Kind::kMessage, AsBytes(request));
  AppendPacket(out, stream_id, 3, wire::Kind::kCloseSend, {});
}

AttackClient AttackClient::Connect(uint16_t port, Options options) {
  std::string error;
  AttackClient client = TryConnect(port, options, &error);
  if (!client.connected()) ADD_FAILURE() << error;
  return client;
}

AttackClient AttackClient::TryConnect(uint16_t port, Options options, std::string* error) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (error != nullptr) *error = std::string("socket: ") + std::strerror(errno);
    return AttackClient(-1);
  }
  if (options.receive_buffer > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer, sizeof options.receive_buffer);
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (error != nullptr) {
      *error = "connect to 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);
    }
    close(fd);
    return AttackClient(-1);
  }
  // Non-blocking from here on: every wait is a poll with a deadline.
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return AttackClient(fd);
}

AttackClient::AttackClient(AttackClient&& other) noexcept { *this = std::move(other); }

AttackClient& AttackClient::operator=(AttackClient&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    server_closed_ = other.server_closed_;
    in_ = std::move(other.in_);
    replies_ = std::move(other.replies_);
  }
  return *this;
}

AttackClient::~AttackClient() { Close(); }

void AttackClient::Close() {
  if (fd_ >= 0) close(std::exchange(fd_, -1));
}

uint16_t AttackClient::local_port() const {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(addr.sin_port);
}

AttackClient::WriteOutcome AttackClient::Write(Bytes data, milliseconds stall_timeout) {
  if (fd_ < 0) return WriteOutcome::kClosed;
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n =
        send(fd_, data.data() + written, data.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      written += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd_, POLLOUT, 0};
      const int ready = poll(&p, 1, static_cast<int>(stall_timeout.count()));
      if (ready == 0) return WriteOutcome::kStalled;
      if (ready < 0 && errno != EINTR) return WriteOutcome::kClosed;
      continue;
    }
    return WriteOutcome::kClosed;  // EPIPE, ECONNRESET: the server is gone
  }
  return WriteOutcome::kWritten;
}

bool AttackClient::ReadSome(Clock::time_point deadline) {
  if (fd_ < 0 || server_closed_) return false;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = poll(&p, 1, PollTimeout(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;  // the deadline passed
    uint8_t* room = nullptr;
    const size_t before = in_.size();
    constexpr size_t kReadSize = 256 * 1024;
    room = in_.Extend(kReadSize);
    const ssize_t n = recv(fd_, room, kReadSize, 0);
    if (n > 0) {
      in_.Resize(before + static_cast<size_t>(n));
      ParseFrames();
      return true;
    }
    in_.Resize(before);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    server_closed_ = true;  // 0: EOF; ECONNRESET and the like: reset
    return false;
  }
}

void AttackClient::ParseFrames() {
  size_t offset = 0;
  for (;;) {
    const wire::FrameParse parsed = wire::ParseFrame(in_.view().subspan(offset));
    if (parsed.status == wire::ParseStatus::kNeedMore) break;
    if (parsed.status == wire::ParseStatus::kMalformed) {
      ADD_FAILURE() << "the server sent a malformed frame: " << parsed.error;
      offset = in_.size();
      break;
    }
    const wire::Frame& frame = parsed.frame;
    StreamReplies& stream = replies_[frame.stream_id];
    if (frame.done) {
      switch (static_cast<wire::Kind>(frame.kind)) {
        case wire::Kind::kMessage:
          ++stream.messages;
          break;
        case wire::Kind::kCloseSend:
          stream.close_send = true;
          break;
        case wire::Kind::kClose:
          stream.close = true;
          break;
        case wire::Kind::kError: {
          const wire::ErrorPayload payload = wire::DecodeErrorPayload(frame.data);
          stream.error = true;
          stream.error_code = payload.code;
          stream.error_text = payload.text;
          break;
        }
        default:
          break;
      }
    }
    offset += parsed.consumed;
  }
  in_.Consume(offset);
}

bool AttackClient::ReadUntil(Clock::time_point deadline, const std::function<bool()>& done) {
  while (!done()) {
    if (!ReadSome(deadline)) return done();
  }
  return true;
}

bool AttackClient::WaitServerClosed(Clock::time_point deadline) {
  while (!server_closed_) {
    if (!ReadSome(deadline) && !server_closed_) return false;
  }
  return true;
}

size_t AttackClient::finished() const {
  return static_cast<size_t>(std::count_if(replies_.begin(), replies_.end(),
                                           [](const auto& r) { return r.second.finished(); }));
}

size_t AttackClient::ok() const {
  return static_cast<size_t>(
      std::count_if(replies_.begin(), replies_.end(), [](const auto& r) { return r.second.ok(); }));
}

}  // namespace drpc::loopback
