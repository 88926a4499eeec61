// In the simulator: what a manager pair counts (tasks, the writer queue),
// and the resource checker failing a run over a budget, at the end over
// anything left held, and on its planted bug, with a replayable seed.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "drpc/base/plant.h"
#include "drpc/manager/manager.h"
#include "drpc/manager/mux_writer.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/codec.h"
#include "sim/checkers/resource_checker.h"
#include "sim/net/pipe.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"

namespace drpc::sim {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

RunResult RunBody(uint64_t seed, const RunOptions& options, const std::function<void()>& body) {
  RandomSource decisions(seed);
  return Run(decisions, options, [&] { body(); });
}

TEST(ResourceCheckerSim, AManagerPairCountsItsTasksAndReleasesEverything) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    RunResult r = RunBody(seed, RunOptions{}, [] {
      net::PipeEnds ends = net::MakePipe({});
      auto client = std::make_unique<manager::Manager>(
          std::move(ends.a), manager::ManagerOptions{.role = manager::Role::kClient});
      auto server = std::make_unique<manager::Manager>(
          std::move(ends.b),
          manager::ManagerOptions{.role = manager::Role::kServer, .name = "server"});
      std::shared_ptr<ResourceMeter> meter = client->meter();
      ResourceChecker resources;
      resources.WatchConnection(*client);
      resources.WatchConnection(*server);
      EXPECT_EQ(client->resources().tasks, manager::kManagerTasks);
      EXPECT_EQ(server->resources().tasks, manager::kManagerTasks);
      {
        std::shared_ptr<stream::Stream> s = *client->NewClientStream();
        ASSERT_TRUE(s->WriteInvoke("/r/W").ok());
        ASSERT_TRUE(s->MsgSend(std::string(5000, 'x'), stream::BytesCodec{}).ok());
        EXPECT_GE(client->resources().bytes_of(ResourceKind::kMarshal), 5000);
        (void)manager::Manager::Cancel(*s, CanceledError());
      }
      (void)client->Close();
      (void)server->Close();
      EXPECT_EQ(meter->Snapshot().tasks, 0);
      client.reset();
      server.reset();
      EXPECT_TRUE(meter->Snapshot().empty()) << meter->Snapshot().ToString();
      resources.CheckReleased();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.report;
  }
}

TEST(ResourceCheckerSim, TheWriterQueueCountsFramesNobodyReads) {
  RunResult r = RunBody(1, RunOptions{}, [] {
    net::PipeEnds ends = net::MakePipe({.capacity_bytes = 64});
    ResourceMeter meter;
    {
      manager::MuxWriter writer(
          *ends.a, [](Status) {}, {.inline_writes = false}, &meter);
      const std::string data(10'000, 'q');
      const wire::Frame frame{.stream_id = 1,
                              .message_id = 1,
                              .kind = wire::ToRaw(wire::Kind::kMessage),
                              .done = true,
                              .data = AsBytes(data)};
      ASSERT_TRUE(writer.WriteFrame(frame, nullptr).ok());
      // Queued or in flight (the peer reads nothing): counted either way.
      EXPECT_GE(meter.Snapshot().bytes_of(ResourceKind::kWriterQueue), 10'000);
      writer.Stop(ClosedError("test"));
      ends.pipe->Reset();  // the stuck write fails
      writer.Join();
    }
    EXPECT_EQ(meter.Snapshot().bytes_of(ResourceKind::kWriterQueue), 0);
  });
  ASSERT_TRUE(r.ok()) << r.report;
}

TEST(ResourceCheckerSim, ARunOverItsBudgetFailsNamingTheConnectionAndCategory) {
  RunResult r = RunBody(3, RunOptions{}, [] {
    auto meter = std::make_shared<ResourceMeter>();
    ResourceChecker resources;
    resources.Watch("conn-x", meter, {.max_bytes = 1000});
    MeteredBytes held(meter.get(), ResourceKind::kAssembler);
    held.Set(999);
    rt::yield();  // a step under the budget passes
    held.Set(1001);
    rt::yield();  // the next step fails the run
    ADD_FAILURE() << "the checker did not fail the run";
  });
  EXPECT_EQ(r.outcome, Outcome::kInvariantFailed);
  EXPECT_TRUE(Contains(r.report, "\"conn-x\" holds 1001 bytes, over its budget of 1000"))
      << r.report;
  EXPECT_TRUE(Contains(r.report, "assembler=1001")) << r.report;
}

TEST(ResourceCheckerSim, AnythingLeftHeldAtTheEndFails) {
  RunResult r = RunBody(3, RunOptions{}, [] {
    auto meter = std::make_shared<ResourceMeter>();
    ResourceChecker resources;
    resources.Watch("conn-y", meter, {});
    meter->AddTasks(1);
    resources.CheckReleased();
  });
  EXPECT_EQ(r.outcome, Outcome::kInvariantFailed);
  EXPECT_TRUE(Contains(r.report, "\"conn-y\" still holds 1 tasks")) << r.report;
}

TEST(ResourceCheckerSim, CatchesItsPlantedBugWithAReplayableSeed) {
  const Scenario* buggy = Scenarios().Find("resources.leak-marshal-accounting.buggy");
  const Scenario* fixed = Scenarios().Find("manager.fixed");
  ASSERT_NE(buggy, nullptr);
  ASSERT_NE(fixed, nullptr);
  ASSERT_TRUE(buggy->options.plants.contains(plant::Site::kStreamLeakMarshalAccounting));
  std::optional<uint64_t> found;
  RunResult first;
  for (uint64_t seed = 0; seed < buggy->find_within_seeds && !found; ++seed) {
    first = RunBody(seed, buggy->options, buggy->body);
    if (!first.ok()) found = seed;
  }
  ASSERT_TRUE(found) << "not found within " << buggy->find_within_seeds << " seeds";
  EXPECT_EQ(first.outcome, Outcome::kInvariantFailed);
  EXPECT_TRUE(Contains(first.report, "resource checker: \"")) << first.report;
  EXPECT_TRUE(Contains(first.report, "still holds marshal")) << first.report;
  // The seed replays the same run, and without the plant the same seed passes.
  const RunResult again = RunBody(*found, buggy->options, buggy->body);
  EXPECT_EQ(again.trace_hash, first.trace_hash);
  EXPECT_EQ(again.report, first.report);
  const RunResult clean = RunBody(*found, fixed->options, fixed->body);
  EXPECT_TRUE(clean.ok()) << clean.report;
}

// Issue 12's memory known failures, fixed by issue 13's budget: each stays
// within the server's budget with the checker on at every step.
TEST(ResourceCheckerSim, TheMemoryScenariosStayWithinTheirBudget) {
  for (const char* name :
       {"resources.slow-handler-flood", "resources.partial-messages", "resources.unread-replies"}) {
    const Scenario* s = Scenarios().Find(name);
    ASSERT_NE(s, nullptr) << name;
    EXPECT_EQ(s->expect, Expectation::kPass) << name;
    const RunResult r = RunBody(1, s->options, s->body);
    EXPECT_TRUE(r.ok()) << name << ": " << r.report;
  }
}

}  // namespace
}  // namespace drpc::sim
