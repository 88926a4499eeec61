// The consumer on the OS backend: a server and a client over a socketpair,
// one call of each shape. Exits non-zero, saying why, if any call fails.

// The package carries the library's definitions: a consumer that had to
// guess DRPC_CHECKED could get other class layouts than the library it links.
#if !defined(DRPC_CHECKED) || !defined(DRPC_RT_SIM)
#error "the drpc package must define DRPC_CHECKED and DRPC_RT_SIM for its users"
#endif
static_assert(DRPC_RT_SIM == 0, "wrong backend flavour");
static_assert(DRPC_CHECKED == DRPC_PACKAGE_CHECKED, "drpc_CHECKED and the targets disagree");

#include <cstdio>
#include <string>
#include <utility>

#include "calls.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/rt/task.h"

int main() {
  drpc::rpc::Mux mux;
  consumer::TextsImpl impl;
  consumer::RegisterTexts(mux, impl);
  drpc::rpc::Server server(mux);

  drpc::Result<drpc::rt::os::TransportPair> pair = drpc::rt::os::SocketPair();
  if (!pair.ok()) {
    std::fprintf(stderr, "socketpair: %s\n", pair.status().ToString().c_str());
    return 1;
  }
  drpc::rt::Task serving = drpc::rt::spawn(
      "consumer.serve",
      [&server, end = std::move(pair->b)]() mutable { (void)server.ServeOne(std::move(end)); });

  std::string failure;
  {
    drpc::rpc::Conn conn(std::move(pair->a));
    failure = consumer::CallEachShape(conn);
  }  // closing the connection ends ServeOne
  serving.join();

  if (!failure.empty()) {
    std::fprintf(stderr, "consumer_os: %s\n", failure.c_str());
    return 1;
  }
  std::printf(
      "consumer_os: unary, server stream, client stream, bidi and unimplemented calls passed\n");
  return 0;
}
