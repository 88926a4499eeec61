// Shared by the world tests: a seeded run, a connected pair of transports
// between two hosts, and reading a number of bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/net.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "sim/net/world.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "sim/testing/run_checks.h"

namespace drpc::sim::net::test {

using namespace std::chrono_literals;

inline RunResult RunSeed(uint64_t seed, FunctionRef<void()> body) {
  RandomSource decisions(seed);
  return Run(decisions, RunOptions{}, body);
}

inline rt::TimePoint At(rt::Duration d) { return rt::TimePoint(d); }

// A connection from `client` to `server` (which listens on port 1): the
// client's and the server's ends.
struct Pair {
  std::unique_ptr<rt::Transport> client;
  std::unique_ptr<rt::Transport> server;
  std::unique_ptr<rt::Listener> listener;
};

inline Pair Connect(World& world, HostId client, HostId server) {
  Pair pair;
  Result<std::unique_ptr<rt::Listener>> listener = rt::Listen(world.name(server) + ":1");
  DRPC_ASSERT(listener.ok(), listener.status().ToString());
  pair.listener = std::move(*listener);
  rt::Task dial = world.Spawn(client, "dial", [&] {
    Result<std::unique_ptr<rt::Transport>> t = rt::Connect(world.name(server) + ":1");
    DRPC_ASSERT(t.ok(), t.status().ToString());
    pair.client = std::move(*t);
  });
  Result<std::unique_ptr<rt::Transport>> accepted = pair.listener->Accept();
  DRPC_ASSERT(accepted.ok(), accepted.status().ToString());
  pair.server = std::move(*accepted);
  dial.join();
  return pair;
}

// Reads until `n` bytes came or an error; returns them (and the error).
inline std::string ReadN(rt::Transport& t, size_t n, Status* err = nullptr) {
  std::string got;
  uint8_t buf[256];
  while (got.size() < n) {
    const ReadResult r = t.Read(MutableBytes(buf, std::min(sizeof(buf), n - got.size())));
    got.append(reinterpret_cast<const char*>(buf), r.n);
    if (!r.err.ok()) {
      if (err != nullptr) *err = r.err;
      break;
    }
  }
  return got;
}

}  // namespace drpc::sim::net::test
