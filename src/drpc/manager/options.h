// ManagerOptions: every knob of a connection manager, in one struct
// (docs/manager.md explains what each governs).
//
//   ManagerOptions options;
//   options.role = Role::kServer;
//   options.max_concurrent_streams = 256;
//   Manager server(std::move(transport), std::move(options));
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "drpc/base/resource_meter.h"
#include "drpc/manager/mux_writer.h"
#include "drpc/manager/timeouts.h"
#include "drpc/rt/time.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/stream.h"
#include "drpc/wire/reader.h"

namespace drpc::manager {

using stream::Role;

struct ManagerOptions {
  Role role = Role::kClient;
  // Names the connection in task names ("<name>.reader", ...) and reports.
  std::string name = "conn";

  stream::StreamOptions stream;    // split size, max packet size, receive ring
  wire::ReaderOptions reader;      // max frame size, read size
  MuxWriterOptions writer;         // high-water mark (1 MiB)
  stream::BufferPoolOptions pool;  // the connection's receive buffers

  // Registered streams at once, either role. A server answers an Invoke over
  // the limit with an Error frame (the stream is refused, the connection
  // lives); a client's NewClientStream returns kResourceExhausted.
  size_t max_concurrent_streams = 1024;
  // Server: invokes being assembled at once, and the size of one invoke
  // packet (rpc name or metadata). Over either: the stream is refused.
  size_t max_pending_invokes = 64;
  size_t max_invoke_bytes = 64 * 1024;
  // Server: streams registered and waiting for NewServerStream. When it is
  // full the reader waits (back-pressure: it stops reading the transport, so
  // a burst is admitted as the application accepts) for at most
  // accept_queue_wait; a stream still without room then is refused
  // (ResourceExhausted). The bound keeps an application that stopped
  // accepting (no task to run a call) from stalling the streams already
  // running, whose frames the same reader delivers (§4.10). Zero: refuse at
  // once. docs/manager.md, "The accept queue".
  size_t accept_queue_capacity = 128;
  rt::Duration accept_queue_wait = std::chrono::seconds(1);
  // What the connection may hold (bytes of every ResourceKind, tasks):
  // measured by Manager::resources(), checked at every step by the
  // simulator's resource checker, enforced from issue 13 on
  // (docs/resources.md). The stream and invoke limits above already bound
  // how many streams exist; this bounds what they hold.
  ConnectionBudget budget;
  // Server: how far an Invoke may lag behind newer ids (docs/manager.md,
  // "Stream ids").
  size_t max_ids_above_low_water = 4096;

  // Client, for servers that do not multiplex, such as Go's upstream
  // storj.io/drpc server (§4.9): at most one stream open at a time;
  // NewClientStream waits until the previous one finished. Without it such
  // a server silently drops the earlier of two overlapping calls, which
  // then waits for its deadline (docs/rpc.md, "Servers that do not
  // multiplex"). Off by default: this library's servers multiplex.
  bool legacy_single_stream = false;

  // How long the connection waits on its peer before it closes the
  // connection: first frame, idle, partial frame, write stall (timeouts.h;
  // docs/manager.md, "Timeouts"). Zero turns one off.
  ConnectionTimeouts timeouts;

  // Close flushes frames queued before it for at most this long, then
  // closes the transport anyway (a peer that stopped reading).
  rt::Duration close_flush_timeout = std::chrono::seconds(1);
};

}  // namespace drpc::manager
