// Built with nothing but `pkg-config --cflags --libs drpc`: the OS library's
// headers, definitions and link line are enough for a unary call over a
// socketpair (tests/consumer/run_consumer.cmake).

// The package carries the library's definitions: a consumer that had to
// guess DRPC_CHECKED could get other class layouts than the library it links.
#if !defined(DRPC_CHECKED) || !defined(DRPC_RT_SIM)
#error "the drpc package must define DRPC_CHECKED and DRPC_RT_SIM for its users"
#endif
static_assert(DRPC_RT_SIM == 0, "wrong backend flavour");

#include <cstdio>
#include <string>
#include <utility>

#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/rt/task.h"

int main() {
  drpc::rpc::Mux mux;
  mux.RegisterUnary<std::string, std::string>(
      "/probe.Probe/Echo", [](drpc::rpc::ServerCall&, const std::string& in, std::string& out) {
        out = in;
        return drpc::OkStatus();
      });
  drpc::rpc::Server server(mux);
  drpc::Result<drpc::rt::os::TransportPair> pair = drpc::rt::os::SocketPair();
  if (!pair.ok()) return 1;
  drpc::rt::Task serving = drpc::rt::spawn(
      "probe.serve",
      [&server, end = std::move(pair->b)]() mutable { (void)server.ServeOne(std::move(end)); });
  std::string reply;
  drpc::Status st;
  {
    drpc::rpc::Conn conn(std::move(pair->a));
    st = conn.Invoke("/probe.Probe/Echo", std::string("pkg-config"), reply);
  }
  serving.join();
  if (!st.ok() || reply != "pkg-config") {
    std::fprintf(stderr, "pkgconfig_probe: %s '%s'\n", st.ToString().c_str(), reply.c_str());
    return 1;
  }
  std::printf("pkgconfig_probe: unary call passed\n");
  return 0;
}
