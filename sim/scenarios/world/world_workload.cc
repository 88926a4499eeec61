#include "sim/scenarios/world/world_workload.h"

#include <algorithm>
#include <chrono>

#include "sim/sched/run.h"

namespace drpc::sim::worldsim {
namespace {

using std::chrono::microseconds;

uint64_t Draw(uint64_t n) { return sim::Choose(n, ChoiceKind::kWorkload); }

net::LinkOptions DrawLink() {
  static constexpr int64_t kMinUs[] = {10, 50, 1};
  static constexpr int64_t kSpreadUs[] = {0, 200, 1000};
  static constexpr uint64_t kBandwidth[] = {0, 10'000'000, 1'000'000};
  static constexpr size_t kBuffer[] = {64 * 1024, 4096, 512};
  net::LinkOptions link;
  link.min_latency = microseconds(kMinUs[Draw(3)]);
  link.max_latency = link.min_latency + microseconds(kSpreadUs[Draw(3)]);
  link.tail_one_in = Draw(2) == 0 ? 0 : 20;
  link.tail_latency = std::chrono::milliseconds(2);
  link.bytes_per_second = kBandwidth[Draw(3)];
  link.buffer_bytes = kBuffer[Draw(3)];
  return link;
}

}  // namespace

const char* FaultName(FaultKind kind) {
  static constexpr const char* kNames[] = {
      "reset", "half-open-client", "half-open-server", "partition", "crash", "slow-reader"};
  return kNames[static_cast<int>(kind)];
}

WorldWorkload DrawWorldWorkload() {
  WorldWorkload w;
  w.clients = 2 + Draw(3);
  w.servers = 1 + Draw(2);
  for (size_t c = 0; c < w.clients; ++c) {
    const size_t per_client = 1 + Draw(2);
    for (size_t k = 0; k < per_client; ++k) w.conns.push_back({c, Draw(w.servers)});
  }
  w.world.link = DrawLink();
  w.world.backlog = Draw(2) == 0 ? 64 : 1;
  w.world.faults.refuse_one_in = Draw(2) == 0 ? 0 : 4;
  w.world.faults.accept_error_one_in = Draw(2) == 0 ? 0 : 3;
  w.world.faults.slow_read_delay = microseconds(500);
  w.calls.conns = w.conns.size();
  w.calls.calls = rpcsim::DrawCalls(w.conns.size(), 12);
  const size_t faults = Draw(5);
  for (size_t i = 0; i < faults; ++i) {
    FaultPlan f;
    f.at_us = static_cast<int64_t>(Draw(30)) * 50;
    f.kind = static_cast<FaultKind>(Draw(kFaultKinds));
    f.client = Draw(w.clients);
    f.server = Draw(w.servers);
    f.lasts_us = 100 + static_cast<int64_t>(Draw(10)) * 300;
    w.faults.push_back(f);
  }
  std::stable_sort(w.faults.begin(), w.faults.end(),
                   [](const FaultPlan& a, const FaultPlan& b) { return a.at_us < b.at_us; });
  w.hostile = Draw(3) == 2;
  w.hostile_server = Draw(w.servers);
  w.heal_us = static_cast<int64_t>(Draw(4)) * 1000;
  w.stop_grace_us = static_cast<int64_t>(Draw(3)) * 100;
  return w;
}

void AddClientVanishings(WorldWorkload& w) {
  for (const ConnPlan& c : w.conns) {
    FaultPlan f;
    f.at_us = static_cast<int64_t>(Draw(10)) * 50;
    f.kind = FaultKind::kHalfOpenClient;
    f.client = c.client;
    f.server = c.server;
    w.faults.push_back(f);
  }
  std::stable_sort(w.faults.begin(), w.faults.end(),
                   [](const FaultPlan& a, const FaultPlan& b) { return a.at_us < b.at_us; });
}

std::string DescribeWorld(const WorldWorkload& w) {
  const net::LinkOptions& l = w.world.link;
  auto us = [](rt::Duration d) {
    return std::to_string(std::chrono::duration_cast<microseconds>(d).count()) + "us";
  };
  std::string out = "clients " + std::to_string(w.clients) + ", servers " +
                    std::to_string(w.servers) + ", conns [";
  for (size_t i = 0; i < w.conns.size(); ++i) {
    out += (i ? " " : "") + std::string("c") + std::to_string(w.conns[i].client) + ">s" +
           std::to_string(w.conns[i].server);
  }
  out += "], link " + us(l.min_latency) + ".." + us(l.max_latency) +
         (l.tail_one_in ? " tail 1/" + std::to_string(l.tail_one_in) : std::string()) + " bw " +
         std::to_string(l.bytes_per_second) + "B/s buffer " + std::to_string(l.buffer_bytes) +
         " backlog " + std::to_string(w.world.backlog) + " refuse 1/" +
         std::to_string(w.world.faults.refuse_one_in) + " accept-error 1/" +
         std::to_string(w.world.faults.accept_error_one_in) + ", faults [";
  for (size_t i = 0; i < w.faults.size(); ++i) {
    const FaultPlan& f = w.faults[i];
    out += (i ? " " : "") + std::string(FaultName(f.kind)) + "@" + std::to_string(f.at_us) +
           "us c" + std::to_string(f.client) + "/s" + std::to_string(f.server);
  }
  out += "]";
  if (w.hostile) out += ", hostile peer on s" + std::to_string(w.hostile_server);
  return out;
}

}  // namespace drpc::sim::worldsim
