// The consumer in the simulator: the same calls as consumer_os, over an
// in-memory pipe, on the deterministic fiber scheduler, for a few seeds.
// Exits non-zero, with the run's report, if a run fails.

// The package carries the library's definitions: a consumer that had to
// guess DRPC_CHECKED could get other class layouts than the library it links.
#if !defined(DRPC_CHECKED) || !defined(DRPC_RT_SIM)
#error "the drpc package must define DRPC_CHECKED and DRPC_RT_SIM for its users"
#endif
static_assert(DRPC_RT_SIM == 1, "wrong backend flavour");
static_assert(DRPC_CHECKED == DRPC_PACKAGE_CHECKED, "drpc_CHECKED and the targets disagree");

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>

#include "calls.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/task.h"
#include "sim/gtest/seed_plan.h"
#include "sim/net/pipe.h"
#include "sim/sched/run.h"

int main() {
  // The installed seed plan (sim/gtest/seed_plan.h): 5 seeds unless
  // DRPC_SIM_SEEDS / DRPC_SIM_SEED say otherwise.
  drpc::Result<drpc::sim::SeedPlan> plan =
      drpc::sim::SeedPlanFromEnvironment({.first_seed = 1, .count = 5});
  if (!plan.ok()) {
    std::fprintf(stderr, "consumer_sim: %s\n", plan.status().ToString().c_str());
    return 2;
  }
  for (uint64_t seed : plan->Seeds()) {
    drpc::sim::RunResult result = drpc::sim::RunSeed(*plan, seed, {}, [] {
      drpc::rpc::Mux mux;
      consumer::TextsImpl impl;
      consumer::RegisterTexts(mux, impl);
      drpc::rpc::Server server(mux);
      drpc::sim::net::PipeEnds ends = drpc::sim::net::MakePipe();
      drpc::rt::Task serving = drpc::rt::spawn(
          "consumer.serve",
          [&server, end = std::move(ends.b)]() mutable { (void)server.ServeOne(std::move(end)); });
      std::string failure;
      {
        drpc::rpc::Conn conn(std::move(ends.a));
        failure = consumer::CallEachShape(conn);
      }
      serving.join();
      if (!failure.empty()) drpc::sim::Fail("consumer_sim: " + failure);
    });
    if (!result.ok()) {
      drpc::Result<std::string> log =
          drpc::sim::SaveFailedRun("consumer_sim", plan->strategy, seed, result, plan->log_dir);
      std::fprintf(stderr,
                   "consumer_sim: seed %llu failed (rerun: DRPC_SIM_SEED=%llu)\n%s\n%s\n%s\n",
                   static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed),
                   result.report.c_str(), result.trace_tail.c_str(),
                   log.ok() ? log->c_str() : "choice log not saved");
      return 1;
    }
  }
  std::printf("consumer_sim: the four calls passed in %zu simulated runs\n", plan->Seeds().size());
  return 0;
}
