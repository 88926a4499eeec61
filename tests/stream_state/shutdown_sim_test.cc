// The two-phase shutdown race in the simulator (label sim): a terminator
// (local Close, Cancel, SendCancel, or the peer's Close through HandleFrame)
// races an in-flight RawRecv loop, the reader task's HandleFrame and a
// writer, over thousands of seeded schedules. At every scheduling point the
// pool's ownership ledger must balance (conservation, §3.6); the stream's own
// checked assertions (no early lease at fin, no frame to the sink after fin,
// no enqueue after fin) fail the run with its seed; at the end every
// receive saw a FIFO prefix then the termination error, fin ran its callback
// once, and every buffer is back in the pool.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "drpc/rt/task.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "tests/stream_state/stream_testing.h"

namespace drpc::stream {
namespace {

using testing::Harness;
using wire::Kind;

enum class Terminator : uint8_t { kClose, kCancel, kSendCancel, kRemoteClose };
constexpr int kTerminators = 4;
constexpr int kMessages = 6;

const char* TerminatorName(Terminator t) {
  switch (t) {
    case Terminator::kClose:
      return "Close";
    case Terminator::kCancel:
      return "Cancel";
    case Terminator::kSendCancel:
      return "SendCancel";
    case Terminator::kRemoteClose:
      return "remote Close";
  }
  return "?";
}

// What one run observed; checked after the run, outside the simulator.
struct Outcome {
  std::string problem;  // first thing that went wrong inside the run
  bool finished = false;
  int finished_calls = 0;
  std::vector<std::string> received;
  Status recv_final;
  Status term;
  uint64_t lent_at_end = 0;
  size_t close_frames = 0;
};

void Note(Outcome& out, const std::string& what) {
  if (out.problem.empty()) out.problem = what;
}

sim::RunResult RunRace(uint64_t seed, Terminator terminator, Outcome& out) {
  sim::RandomSource random(seed);
  sim::RunOptions options;
  options.max_steps = 200'000;
  return sim::Run(random, options, [&] {
    StreamOptions stream_options;
    stream_options.ring.capacity = 2;  // the reader blocks on a full ring now and then
    stream_options.split_size = 3;     // sends span several frames: term can fall between
    auto h = std::make_unique<Harness>(1, Role::kClient, stream_options);
    const std::shared_ptr<BufferPool> pool = h->pool;  // outlives the hook
    sim::StepHook conservation([&pool] { pool->CheckConservation(); });

    rt::Task reader = rt::spawn("reader", [&] {
      for (int i = 0; i < kMessages; ++i) {
        const Status st = h->Deliver(Kind::kMessage, "m" + std::to_string(i));
        if (!st.ok()) Note(out, "HandleFrame(Message) returned " + st.ToString());
      }
      if (terminator == Terminator::kRemoteClose) {
        const Status st = h->Deliver(Kind::kClose);
        if (!st.ok()) Note(out, "HandleFrame(Close) returned " + st.ToString());
      }
    });
    rt::Task consumer = rt::spawn("consumer", [&] {
      for (int i = 0; i <= kMessages; ++i) {
        Result<std::string> got = h->Recv();
        if (!got.ok()) {
          out.recv_final = got.status();
          return;
        }
        out.received.push_back(*got);
      }
      Note(out, "more messages received than were sent");
    });
    rt::Task writer = rt::spawn("writer", [&] {
      for (int i = 0; i < 3; ++i) {
        if (!h->Send("payload-" + std::to_string(i)).ok()) return;
      }
    });
    rt::Task closer;
    if (terminator != Terminator::kRemoteClose) {
      closer = rt::spawn("terminator", [&] {
        switch (terminator) {
          case Terminator::kClose:
            (void)h->stream->Close();
            break;
          case Terminator::kCancel:
            h->stream->Cancel(CanceledError());
            break;
          case Terminator::kSendCancel:
            (void)h->stream->SendCancel(CanceledError());
            break;
          case Terminator::kRemoteClose:
            break;
        }
      });
    }
    reader.join();
    writer.join();
    if (closer.joinable()) closer.join();
    // A remote Close leaves the stream able to finish only once the
    // consumer saw EOF; every terminator ends the consumer.
    consumer.join();

    out.finished = h->stream->finished().is_set();
    out.finished_calls = h->finished_calls.load();
    out.term = h->stream->termination_error();
    for (const testing::RecordedFrame& f : h->sink.frames()) {
      out.close_frames +=
          f.kind == wire::ToRaw(Kind::kClose) || f.kind == wire::ToRaw(Kind::kCancel);
    }
    // Drain what is left, then the stream and its ring go: every buffer
    // must be home (the Harness destructor checks the pool).
    for (int i = 0; i <= kMessages; ++i) {
      if (!h->Recv().ok()) break;
    }
    out.lent_at_end = h->pool->stats().lent;
    h.reset();
  });
}

void CheckOutcome(const Outcome& out, Terminator terminator, uint64_t seed) {
  SCOPED_TRACE(std::string("terminator ") + TerminatorName(terminator) + ", seed " +
               std::to_string(seed));
  EXPECT_EQ(out.problem, "");
  EXPECT_TRUE(out.finished);
  EXPECT_EQ(out.finished_calls, 1);
  for (size_t i = 0; i < out.received.size(); ++i) {
    EXPECT_EQ(out.received[i], "m" + std::to_string(i)) << "FIFO broken at " << i;
  }
  EXPECT_EQ(out.lent_at_end, 0u);
  switch (terminator) {
    case Terminator::kClose:
      EXPECT_EQ(out.term, DrpcError("terminated by sending close"));
      EXPECT_EQ(out.recv_final, out.term);
      EXPECT_EQ(out.close_frames, 1u);
      break;
    case Terminator::kCancel:
    case Terminator::kSendCancel:
      EXPECT_EQ(out.term, CanceledError());
      EXPECT_EQ(out.recv_final, out.term);
      EXPECT_EQ(out.close_frames, terminator == Terminator::kSendCancel ? 1u : 0u);
      break;
    case Terminator::kRemoteClose:
      EXPECT_EQ(out.term, ClosedError("remote closed the stream"));
      EXPECT_EQ(out.recv_final, EofError());
      EXPECT_EQ(out.received.size(), static_cast<size_t>(kMessages)) << "nothing is lost";
      EXPECT_EQ(out.close_frames, 0u);
      break;
  }
}

TEST(StreamShutdownSim, TwoPhaseShutdownRaceOverSeeds) {
  constexpr uint64_t kSeeds = 2000;  // per terminator: 8000 runs
  for (int t = 0; t < kTerminators; ++t) {
    const auto terminator = static_cast<Terminator>(t);
    for (uint64_t seed = 0; seed < kSeeds; ++seed) {
      Outcome out;
      const sim::RunResult r = RunRace(seed, terminator, out);
      ASSERT_TRUE(r.ok()) << TerminatorName(terminator) << " seed " << seed << ": "
                          << sim::OutcomeName(r.outcome) << "\n"
                          << r.report << "\n"
                          << r.trace_tail;
      CheckOutcome(out, terminator, seed);
      if (::testing::Test::HasFailure()) return;
    }
  }
}

// The same seed gives the same run (trace hash), so a failure replays.
TEST(StreamShutdownSim, RunsAreDeterministic) {
  for (uint64_t seed : {uint64_t{1}, uint64_t{42}, uint64_t{977}}) {
    Outcome first_out, second_out;
    const sim::RunResult first = RunRace(seed, Terminator::kClose, first_out);
    const sim::RunResult second = RunRace(seed, Terminator::kClose, second_out);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
    EXPECT_EQ(first.steps, second.steps);
    EXPECT_EQ(first_out.received, second_out.received);
  }
}

// The schedules differ: over the seeds, the consumer sees different numbers
// of messages before Close (the race is really explored).
TEST(StreamShutdownSim, SeedsExploreDifferentInterleavings) {
  std::vector<bool> seen(kMessages + 1, false);
  for (uint64_t seed = 0; seed < 300; ++seed) {
    Outcome out;
    ASSERT_TRUE(RunRace(seed, Terminator::kClose, out).ok());
    seen[out.received.size()] = true;
  }
  int distinct = 0;
  for (bool s : seen) distinct += s;
  EXPECT_GE(distinct, 3);
}

}  // namespace
}  // namespace drpc::stream
