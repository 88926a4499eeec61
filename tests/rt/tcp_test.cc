// rt::os TCP: listener, dialer, and the ends of a connection (EOF vs reset).
#include "drpc/rt/os/tcp.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "drpc/rt/fiber/socket_transport.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "tests/rt/transport_test_util.h"

namespace drpc::rt::os {
namespace {

using namespace std::chrono_literals;
using fiber::SocketTransport;
using rt::testing::Drained;
using rt::testing::Pattern;
using rt::testing::ReadExactly;
using rt::testing::ReadToEnd;

std::unique_ptr<TcpListener> ListenLoopback() {
  Result<std::unique_ptr<TcpListener>> l = TcpListener::Listen("127.0.0.1", 0);
  EXPECT_TRUE(l.ok()) << l.status();
  return std::move(l).value();
}

struct Connection {
  std::unique_ptr<Transport> client;
  std::unique_ptr<Transport> server;
};

Connection Connect(TcpListener& listener) {
  Result<std::unique_ptr<Transport>> client = TcpConnect("127.0.0.1", listener.Port());
  EXPECT_TRUE(client.ok()) << client.status();
  Result<std::unique_ptr<Transport>> server = listener.Accept();
  EXPECT_TRUE(server.ok()) << server.status();
  return Connection{std::move(client).value(), std::move(server).value()};
}

// A raw client socket, for what the transport API deliberately cannot do:
// abort a connection with a reset.
int RawConnect(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  EXPECT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// close() with SO_LINGER {on, 0 s} sends RST instead of FIN.
void CloseWithReset(int fd) {
  linger abort{1, 0};
  EXPECT_EQ(::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof(abort)), 0);
  ::close(fd);
}

TEST(RtOsTcpListenerTest, EphemeralPortIsReported) {
  std::unique_ptr<TcpListener> listener = ListenLoopback();
  EXPECT_NE(listener->Port(), 0);
  EXPECT_EQ(listener->address(), "127.0.0.1:" + std::to_string(listener->Port()));
}

TEST(RtOsTcpListenerTest, BadHostIsAnInvalidArgument) {
  Result<std::unique_ptr<TcpListener>> l = TcpListener::Listen("not-an-address", 0);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().kind(), ErrorKind::kInvalidArgument) << l.status();
  EXPECT_NE(l.status().message().find("not-an-address"), std::string::npos);
}

TEST(RtOsTcpListenerTest, PortInUseIsAClearError) {
  std::unique_ptr<TcpListener> first = ListenLoopback();
  Result<std::unique_ptr<TcpListener>> second = TcpListener::Listen("127.0.0.1", first->Port());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().kind(), ErrorKind::kConnection);
  EXPECT_NE(second.status().message().find("Address already in use"), std::string::npos)
      << second.status();
}

TEST(RtOsTcpTest, RoundTripsBothWays) {
  std::unique_ptr<TcpListener> listener = ListenLoopback();
  Connection c = Connect(*listener);
  ASSERT_TRUE(c.client->Write(AsBytes("invoke")).ok());
  EXPECT_EQ(ReadExactly(*c.server, 6), "invoke");
  ASSERT_TRUE(c.server->Write(AsBytes("reply")).ok());
  EXPECT_EQ(ReadExactly(*c.client, 5), "reply");
}

TEST(RtOsTcpTest, Ipv6LoopbackWorksWhereAvailable) {
  Result<std::unique_ptr<TcpListener>> l = TcpListener::Listen("::1", 0);
  if (!l.ok()) GTEST_SKIP() << "no IPv6 loopback here: " << l.status();
  EXPECT_EQ(l.value()->address(), "[::1]:" + std::to_string(l.value()->Port()));
  Result<std::unique_ptr<Transport>> client = TcpConnect("::1", l.value()->Port());
  ASSERT_TRUE(client.ok()) << client.status();
  Result<std::unique_ptr<Transport>> server = l.value()->Accept();
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE(client.value()->Write(AsBytes("v6")).ok());
  EXPECT_EQ(ReadExactly(*server.value(), 2), "v6");
}

TEST(RtOsTcpTest, LargeWritesBothWaysWithConcurrentReaders) {
  constexpr size_t kSize = 6 << 20;  // far beyond the socket buffers
  std::unique_ptr<TcpListener> listener = ListenLoopback();
  Connection c = Connect(*listener);
  const std::vector<uint8_t> sent = Pattern(kSize);
  Drained at_client, at_server;
  Task read_client = spawn("read_client", [&] { at_client = ReadToEnd(*c.client, kSize); });
  Task read_server = spawn("read_server", [&] { at_server = ReadToEnd(*c.server, kSize); });
  Task write_server = spawn("write_server", [&] { EXPECT_TRUE(c.server->Write(sent).ok()); });
  EXPECT_TRUE(c.client->Write(sent).ok());
  write_server.join();
  read_server.join();
  read_client.join();
  EXPECT_TRUE(at_client.end.ok()) << at_client.end;
  EXPECT_TRUE(at_server.end.ok()) << at_server.end;
  EXPECT_TRUE(at_client.bytes == sent);
  EXPECT_TRUE(at_server.bytes == sent);
}

TEST(RtOsTcpTest, OrderlyCloseIsEof) {
  std::unique_ptr<TcpListener> listener = ListenLoopback();
  Connection c = Connect(*listener);
  ASSERT_TRUE(c.client->Write(AsBytes("bye")).ok());
  ASSERT_TRUE(c.client->Close().ok());
  Drained got = ReadToEnd(*c.server, 1 << 20);
  EXPECT_EQ(std::string(got.bytes.begin(), got.bytes.end()), "bye");
  EXPECT_EQ(got.end.kind(), ErrorKind::kEof) << got.end;
}

TEST(RtOsTcpTest, ResetIsClosedNotEof) {
  std::unique_ptr<TcpListener> listener = ListenLoopback();
  const int raw = RawConnect(listener->Port());
  Result<std::unique_ptr<Transport>> server = listener->Accept();
  ASSERT_TRUE(server.ok()) << server.status();
  CloseWithReset(raw);
  uint8_t byte;
  ReadResult r = server.value()->Read(MutableBytes(&byte, 1));
  EXPECT_EQ(r.n, 0u);
  EXPECT_EQ(r.err.kind(), ErrorKind::kClosed) << r.err;
  EXPECT_NE(r.err.message().find("Connection reset by peer"), std::string::npos) << r.err;
  EXPECT_NE(r.err.message().find("127.0.0.1:"), std::string::npos) << r.err;
}

TEST(RtOsTcpTest, WriteAfterAResetIsClosed) {
  std::unique_ptr<TcpListener> listener = ListenLoopback();
  const int raw = RawConnect(listener->Port());
  Result<std::unique_ptr<Transport>> server = listener->Accept();
  ASSERT_TRUE(server.ok()) << server.status();
  CloseWithReset(raw);
  sleep_for(10ms);  // let the RST arrive; the result is the same either way
  Status s;
  // The first write may still be accepted by the kernel before the RST is
  // seen; a later one must fail.
  for (int i = 0; i < 100 && s.ok(); ++i) s = server.value()->Write(AsBytes("hello?"));
  EXPECT_EQ(s.kind(), ErrorKind::kClosed) << s;
}

TEST(RtOsTcpTest, CloseFromAnotherTaskUnblocksARead) {
  std::unique_ptr<TcpListener> listener = ListenLoopback();
  Connection c = Connect(*listener);
  ReadResult r;
  Task reader = spawn("reader", [&] {
    uint8_t buffer[64];
    r = c.server->Read(buffer);
  });
  sleep_for(20ms);
  ASSERT_TRUE(c.server->Close().ok());
  reader.join();
  EXPECT_EQ(r.err.kind(), ErrorKind::kClosed) << r.err;
  // The peer sees an orderly end.
  EXPECT_EQ(ReadToEnd(*c.client, 100).end.kind(), ErrorKind::kEof);
}

TEST(RtOsTcpTest, ReadAndWriteAfterCloseAreClosed) {
  std::unique_ptr<TcpListener> listener = ListenLoopback();
  Connection c = Connect(*listener);
  ASSERT_TRUE(c.client->Close().ok());
  ASSERT_TRUE(c.client->Close().ok());
  uint8_t byte;
  EXPECT_EQ(c.client->Read(MutableBytes(&byte, 1)).err.kind(), ErrorKind::kClosed);
  EXPECT_EQ(c.client->Write(AsBytes("x")).kind(), ErrorKind::kClosed);
}

TEST(RtOsTcpListenerTest, CloseFromAnotherTaskUnblocksAccept) {
  std::unique_ptr<TcpListener> listener = ListenLoopback();
  Status accept_status;
  Task acceptor = spawn("acceptor", [&] { accept_status = listener->Accept().status(); });
  sleep_for(20ms);
  ASSERT_TRUE(listener->Close().ok());
  acceptor.join();
  EXPECT_EQ(accept_status.kind(), ErrorKind::kClosed) << accept_status;
  EXPECT_TRUE(listener->Close().ok());  // idempotent
  EXPECT_EQ(listener->Accept().status().kind(), ErrorKind::kClosed);
}

TEST(RtOsTcpTest, ConnectToAClosedPortIsAClearConnectionError) {
  uint16_t port;
  {
    std::unique_ptr<TcpListener> listener = ListenLoopback();
    port = listener->Port();
  }  // destroyed: nothing listens on `port` now
  Result<std::unique_ptr<Transport>> c = TcpConnect("127.0.0.1", port);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().kind(), ErrorKind::kConnection) << c.status();
  EXPECT_NE(c.status().message().find("Connection refused"), std::string::npos) << c.status();
  EXPECT_NE(c.status().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << c.status();
}

// The keepalive options (TcpOptions) as the kernel reports them, on one end.
struct Keepalive {
  int on = -1, idle = -1, interval = -1, count = -1, user_timeout = -1;
};

Keepalive ReadKeepalive(const Transport& t) {
  const auto* socket = dynamic_cast<const SocketTransport*>(&t);
  EXPECT_NE(socket, nullptr);
  Keepalive k;
  if (socket == nullptr) return k;
  auto get = [&](int level, int name, int* out) {
    socklen_t len = sizeof(*out);
    EXPECT_EQ(::getsockopt(socket->native_handle(), level, name, out, &len), 0) << name;
  };
  get(SOL_SOCKET, SO_KEEPALIVE, &k.on);
  get(IPPROTO_TCP, TCP_KEEPIDLE, &k.idle);
  get(IPPROTO_TCP, TCP_KEEPINTVL, &k.interval);
  get(IPPROTO_TCP, TCP_KEEPCNT, &k.count);
  get(IPPROTO_TCP, TCP_USER_TIMEOUT, &k.user_timeout);
  return k;
}

TEST(TcpKeepalive, DefaultsAreSetOnConnectedAndAcceptedSockets) {
  std::unique_ptr<TcpListener> listener = ListenLoopback();
  Connection c = Connect(*listener);
  const TcpOptions defaults;
  for (const Transport* end : {c.client.get(), c.server.get()}) {
    const Keepalive k = ReadKeepalive(*end);
    EXPECT_NE(k.on, 0);
    EXPECT_EQ(k.idle, defaults.keepalive_idle.count());
    EXPECT_EQ(k.interval, defaults.keepalive_interval.count());
    EXPECT_EQ(k.count, defaults.keepalive_count);
    EXPECT_EQ(k.user_timeout, defaults.user_timeout.count());
  }
}

TEST(TcpKeepalive, OptionsAreTheCallersOwn) {
  const TcpOptions options{
      .keepalive_idle = 7s, .keepalive_interval = 3s, .keepalive_count = 2, .user_timeout = 4500ms};
  Result<std::unique_ptr<TcpListener>> listener = TcpListener::Listen("127.0.0.1", 0, options);
  ASSERT_TRUE(listener.ok()) << listener.status();
  Result<std::unique_ptr<Transport>> client = TcpConnect("127.0.0.1", (*listener)->Port(), options);
  ASSERT_TRUE(client.ok()) << client.status();
  Result<std::unique_ptr<Transport>> server = (*listener)->Accept();
  ASSERT_TRUE(server.ok()) << server.status();
  for (const Transport* end : {client->get(), server->get()}) {
    const Keepalive k = ReadKeepalive(*end);
    EXPECT_NE(k.on, 0);
    EXPECT_EQ(k.idle, 7);
    EXPECT_EQ(k.interval, 3);
    EXPECT_EQ(k.count, 2);
    EXPECT_EQ(k.user_timeout, 4500);
  }
}

TEST(TcpKeepalive, OffLeavesTheSocketWithoutKeepalive) {
  const TcpOptions off{.keepalive = false};
  Result<std::unique_ptr<TcpListener>> listener = TcpListener::Listen("127.0.0.1", 0, off);
  ASSERT_TRUE(listener.ok()) << listener.status();
  Result<std::unique_ptr<Transport>> client = TcpConnect("127.0.0.1", (*listener)->Port(), off);
  ASSERT_TRUE(client.ok()) << client.status();
  Result<std::unique_ptr<Transport>> server = (*listener)->Accept();
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ(ReadKeepalive(**client).on, 0);
  EXPECT_EQ(ReadKeepalive(**server).on, 0);
}

}  // namespace
}  // namespace drpc::rt::os
