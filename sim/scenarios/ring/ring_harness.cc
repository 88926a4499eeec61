#include "sim/scenarios/ring/ring_harness.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/ring_buffer.h"
#include "sim/scenarios/ring/message_pattern.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim::ring {
namespace {

using stream::EnqueueResult;

// What the tasks saw, checked as they go and at the end.
struct Observations {
  const RingProgram& program;
  std::vector<EnqueueResult> results;  // the producer's, per message
  // The consumer's messages in order: the index the content names, or for
  // messages under 4 bytes (too short to name it) the bytes themselves.
  struct Received {
    std::optional<uint32_t> index;
    std::vector<uint8_t> short_bytes;
  };
  std::vector<Received> received;
  std::vector<Status> dequeue_errors;  // the consumer's Dequeue errors, in order
  std::vector<Status> close_errors;    // close_error() right after each Close call

  void Check(bool ok, const std::string& what) const {
    if (!ok) Fail("ring harness: " + what + "\nprogram:\n" + Describe(program));
  }
};

// Reads a lease's message in `chunks` pieces, each through a fresh view (so
// the ledger checks the lease is still valid at every piece) with a
// scheduling point between pieces, and checks the bytes against the pattern
// of the message they name.
Observations::Received ReadMessage(const stream::Lease& lease, uint32_t chunks, Observations& obs) {
  const size_t size = lease.view().size();
  Observations::Received got;
  if (size >= 4) {
    const Bytes head = lease.view();
    const uint32_t index = uint32_t{head[0]} | uint32_t{head[1]} << 8 | uint32_t{head[2]} << 16 |
                           uint32_t{head[3]} << 24;
    obs.Check(index < obs.program.sizes.size() && obs.program.sizes[index] == size,
              "the consumer got " + std::to_string(size) + " bytes naming message " +
                  std::to_string(index) + ", which the producer never sent");
    got.index = index;
  } else {
    const Bytes bytes = lease.view();
    got.short_bytes.assign(bytes.begin(), bytes.end());
  }
  for (uint32_t piece = 0; piece < chunks; ++piece) {
    const size_t from = size * piece / chunks;
    const size_t to = size * (piece + 1) / chunks;
    const Bytes view = lease.view();
    obs.Check(view.size() == size, "a message changed size while the consumer read it");
    size_t bad = to;
    if (got.index) {
      bad = FirstPatternMismatch(view, *got.index, from, to);
    } else {
      for (size_t i = from; i < to && bad == to; ++i) {
        if (view[i] != got.short_bytes[i]) bad = i;
      }
    }
    if (bad != to) {
      obs.Check(false, "byte " + std::to_string(bad) + " of a held message changed under the " +
                           "consumer (is " + std::to_string(view[bad]) + ", expected " +
                           std::to_string(got.index ? PatternByte(*got.index, bad)
                                                    : got.short_bytes[bad]) +
                           ")");
    }
    if (piece + 1 < chunks) rt::yield();
  }
  return got;
}

void Produce(stream::RingBuffer& ring, Observations& obs) {
  const RingProgram& program = obs.program;
  for (uint32_t i = 0; i < program.sizes.size(); ++i) {
    const std::vector<uint8_t> message = PatternMessage(i, program.sizes[i]);
    obs.results.push_back(ring.Enqueue(Bytes(message)));
  }
  ring.Close(EndOfStreamError());
  obs.close_errors.push_back(ring.close_error());
}

void Consume(stream::RingBuffer& ring, rt::Signal& closed, Observations& obs) {
  const RingProgram& program = obs.program;
  size_t step_index = 0;
  // Each pass dequeues once: at most every message plus three errors.
  for (uint32_t pass = 0;; ++pass) {
    obs.Check(pass <= program.sizes.size() + 3, "the consumer dequeued more than was sent");
    const bool scripted = step_index < program.consumer.size();
    if (!scripted && !program.consumer_drains) return;  // stops early
    Result<stream::Lease> next = ring.Dequeue();
    if (!next.ok()) {
      obs.dequeue_errors.push_back(next.status());
      if (obs.dequeue_errors.size() == 3) return;  // the error repeats: seen enough
      continue;
    }
    obs.Check(obs.dequeue_errors.empty(), "a message came after the close error");
    const ConsumerStep step = scripted ? program.consumer[step_index] : ConsumerStep{};
    ++step_index;
    stream::Lease lease = std::move(next.value());
    Observations::Received got = ReadMessage(lease, step.chunks, obs);
    if (step.hold_across_close && program.closer) {
      closed.wait("consumer: holds a lease across Close");
      ReadMessage(lease, 1, obs);  // Close must not have touched it
    }
    obs.received.push_back(std::move(got));
    if (step.done_by_destructor) {
      lease = stream::Lease();
    } else {
      lease.Done();
    }
  }
}

void CheckAtEnd(const Observations& obs) {
  const RingProgram& program = obs.program;
  obs.Check(obs.results.size() == program.sizes.size(), "the producer did not finish");
  // Enqueue after Close: once refused for a close, never queued again; no
  // budget refusals without a budget.
  std::vector<uint32_t> accepted;
  bool closed_seen = false;
  for (uint32_t i = 0; i < obs.results.size(); ++i) {
    const EnqueueResult r = obs.results[i];
    obs.Check(!(closed_seen && r == EnqueueResult::kQueued),
              "message " + std::to_string(i) + " was queued after an Enqueue saw the ring closed");
    obs.Check(r != EnqueueResult::kOverBudget || program.max_bytes != 0,
              "an Enqueue was refused for a budget the ring does not have");
    closed_seen = closed_seen || r == EnqueueResult::kClosed;
    if (r == EnqueueResult::kQueued) accepted.push_back(i);
  }
  // FIFO: what the consumer got is a prefix of what was accepted.
  obs.Check(obs.received.size() <= accepted.size(),
            "the consumer got " + std::to_string(obs.received.size()) + " messages, only " +
                std::to_string(accepted.size()) + " were queued");
  for (size_t k = 0; k < obs.received.size(); ++k) {
    const Observations::Received& got = obs.received[k];
    const uint32_t want = accepted[k];
    if (got.index) {
      obs.Check(*got.index == want, "message " + std::to_string(k) + " received was message " +
                                        std::to_string(*got.index) + ", expected message " +
                                        std::to_string(want) + " (FIFO)");
    } else {
      obs.Check(got.short_bytes == PatternMessage(want, program.sizes[want]),
                "short message " + std::to_string(k) + " received is not message " +
                    std::to_string(want) + " (FIFO)");
    }
  }
  // One close error, the first, forever; the closer's second never wins.
  std::vector<Status> errors = obs.close_errors;
  errors.insert(errors.end(), obs.dequeue_errors.begin(), obs.dequeue_errors.end());
  obs.Check(!obs.close_errors.empty(), "nobody closed the ring");
  const Status& first = errors.front();
  for (const Status& e : errors) {
    obs.Check(e == first, "the close error changed: " + first.ToString() + " then " + e.ToString());
  }
  obs.Check(!(first == SecondCloseError()), "a second Close replaced the first one's error");
  obs.Check(first == EndOfStreamError() || first == TeardownError() ||
                (program.closer && first == CloseError(program.close_error)),
            "the close error " + first.ToString() + " is nobody's");
  // Drain after close: a consumer that reached the error got every message.
  if (!obs.dequeue_errors.empty()) {
    obs.Check(obs.received.size() == accepted.size(), "the consumer saw the close error after " +
                                                          std::to_string(obs.received.size()) +
                                                          " of " + std::to_string(accepted.size()) +
                                                          " queued messages (drain after close)");
  }
}

}  // namespace

void RunRingProgram(const RingProgram& program) {
  using stream::BufferPool;
  using stream::RingBuffer;

  stream::BufferPoolOptions pool_options;
  pool_options.name = "conn";
  pool_options.max_kept_buffers = 8;  // small caps: the drop path runs too
  pool_options.max_kept_bytes = 512 * 1024;
  auto pool = BufferPool::Create(pool_options);
  const BufferPool& audited = *pool;
  StepHook conservation([&audited] { audited.CheckConservation(); });

  Observations obs{program, {}, {}, {}, {}};
  {
    stream::RingOptions options;
    options.capacity = program.capacity;
    options.max_bytes = program.max_bytes;
    options.max_slots = program.capacity * 4;
    options.name = "stream 1";
    RingBuffer ring(pool, options);
    rt::Signal closed("closer.closed");
    rt::Task producer = rt::spawn("producer", [&] { Produce(ring, obs); });
    rt::Task consumer = rt::spawn("consumer", [&] { Consume(ring, closed, obs); });
    rt::Task closer;
    if (program.closer) {
      closer = rt::spawn("closer", [&] {
        for (uint32_t i = 0; i < program.closer_delay; ++i) rt::yield();
        ring.Close(CloseError(program.close_error));
        obs.close_errors.push_back(ring.close_error());
        closed.set(OkStatus());
        if (program.closer_closes_twice) {
          ring.Close(SecondCloseError());
          obs.close_errors.push_back(ring.close_error());
        }
      });
    }
    consumer.join();
    // A consumer that stopped early leaves the producer blocked on a full
    // ring: the stream's teardown closes it.
    for (uint32_t i = 0; i < program.teardown_delay; ++i) rt::yield();
    ring.Close(TeardownError());
    obs.close_errors.push_back(ring.close_error());
    producer.join();
    if (closer.joinable()) closer.join();
    CheckAtEnd(obs);
  }  // the ring returns what is still queued
  pool->CheckAllReturned();
  obs.Check(pool->stats().lent == 0, "buffers still lent after teardown");
}

Status CloseError(uint32_t n) {
  switch (n % kCloseErrors) {
    case 0:
      return CanceledError();
    case 1:
      return RemoteError("remote failure", 7);
    case 2:
      return ClosedError("connection reset");
    default:
      return DeadlineExceededError();
  }
}
Status SecondCloseError() { return DrpcError("second close"); }
Status EndOfStreamError() { return EofError(); }
Status TeardownError() { return ClosedError("stream torn down"); }

void DrawAndRun() { RunRingProgram(DrawProgram()); }

RunOptions RingRunOptions(plant::Set plants) {
  return ScenarioDefaults(/*max_steps=*/200'000, plants);
}

std::string ScenarioName(Site site) { return std::string(plant::Name(site)) + ".buggy"; }

Outcome ExpectedOutcome(Site site) {
  if (site == Site::kRingCloseWakesOnlyConsumer) return Outcome::kDeadlock;
  return Outcome::kInvariantFailed;
}

std::vector<uint8_t> ChoicesAsBytes(const ChoiceLog& choices) {
  std::vector<uint8_t> bytes;
  for (const ChoiceRecord& choice : choices) {
    for (uint64_t top = choice.n - 1, v = choice.value; top != 0; top >>= 8, v >>= 8) {
      bytes.push_back(static_cast<uint8_t>(v));
    }
  }
  return bytes;
}

uint64_t ScriptedSource::Choose(const ChoiceRequest& request) {
  if (request.kind == ChoiceKind::kWorkload) {
    if (next_workload_ >= workload_.size()) {
      ReportDivergence("the program asked for more workload choices than were scripted");
      return 0;
    }
    const ChoiceRecord& answer = workload_[next_workload_++];
    if (answer.n != request.n) {
      ReportDivergence("workload choice " + std::to_string(next_workload_ - 1) + " has " +
                       std::to_string(request.n) + " options; the script has " +
                       std::to_string(answer.n));
      return 0;
    }
    return answer.value;
  }
  if (next_schedule_ >= schedule_.size()) return 0;
  return schedule_[next_schedule_++] % request.n;
}

}  // namespace drpc::sim::ring
