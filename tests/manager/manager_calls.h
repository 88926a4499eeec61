// What the manager tests do on either backend: the two managers' options,
// a pair of them, and a stream's calls in one line each (a call that must
// succeed asserts). The transport under the pair is the backend's: a
// socketpair (manager_testing.h) or a simulated pipe.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "drpc/manager/manager.h"
#include "drpc/stream/codec.h"
#include "drpc/wire/metadata.h"

namespace drpc::manager::testing {

using stream::BytesCodec;

inline ManagerOptions ClientOptions(ManagerOptions o = {}) {
  o.role = Role::kClient;
  o.name = "client";
  return o;
}
inline ManagerOptions ServerOptions(ManagerOptions o = {}) {
  o.role = Role::kServer;
  o.name = "server";
  return o;
}

struct Pair {
  std::unique_ptr<Manager> client;
  std::unique_ptr<Manager> server;
};

// Opens a client stream and invokes `rpc` on it.
inline std::shared_ptr<Stream> Invoke(Manager& client, const std::string& rpc = "/test/Method",
                                      const wire::Metadata& md = {},
                                      ClientStreamOptions options = {}) {
  Result<std::shared_ptr<Stream>> s = client.NewClientStream(options);
  DRPC_ASSERT(s.ok(), s.status().ToString());
  Status invoked = (*s)->WriteInvoke(rpc, md);
  DRPC_ASSERT(invoked.ok(), invoked.ToString());
  return *s;
}

inline ServerStream Accept(Manager& server) {
  Result<ServerStream> in = server.NewServerStream(rt::now() + std::chrono::seconds(10));
  DRPC_ASSERT(in.ok(), in.status().ToString());
  return std::move(in).value();
}

inline Status Send(Stream& s, const std::string& msg) { return s.MsgSend(msg, BytesCodec{}); }

inline Result<std::string> Recv(Stream& s) {
  std::string out;
  Status st = s.MsgRecv(out, BytesCodec{});
  if (!st.ok()) return st;
  return out;
}

// Waits (bounded) for a signal; fails the test if it never comes.
inline void WaitFor(rt::Signal& signal, const char* what) {
  ASSERT_TRUE(signal.wait_until(rt::now() + std::chrono::seconds(10), what)) << what;
}

}  // namespace drpc::manager::testing
