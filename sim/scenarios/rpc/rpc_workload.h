// The rpc scenario's workload, drawn from the run's decisions (kind
// kWorkload), so one seed is one whole run: the network's knobs, the calls
// (shape, connection, start, how they end, metadata), one disruptive event
// and how long the safety phase lasts. Option 0 of each draw is the plain
// case, so shrinking moves toward it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "drpc/rpc/metadata.h"

namespace drpc::sim::rpcsim {

// The handlers of the harness's service (rpc_handlers.h), one per shape.
enum class Shape : uint8_t { kEcho, kFail, kUnknown, kCount, kSum, kChat, kBlock };
inline constexpr int kShapes = 7;
const char* ShapeName(Shape shape);  // "echo", ...

// How a call is ended from the client side (besides finishing).
enum class Ending : uint8_t { kNone, kCancel, kDeadline };
// The disruptive event of the safety phase.
enum class Event : uint8_t { kNone, kReset, kClientClose, kServerStop };

struct CallPlan {
  size_t conn = 0;
  int64_t start_us = 0;
  Shape shape = Shape::kEcho;
  int messages = 0;  // streams: how many
  Ending ending = Ending::kNone;
  int64_t end_us = 0;  // the cancel's time, or the deadline (from the call's start)
  rpc::Metadata metadata;
};

struct Workload {
  size_t pipe_capacity = 0;
  int64_t split_size = 0;
  size_t ring_capacity = 0;
  uint64_t accept_error_one_in = 0;  // a fault of the safety phase (0: none)
  size_t conns = 0;
  std::vector<CallPlan> calls;
  Event event = Event::kNone;
  size_t event_conn = 0;
  int64_t event_us = 0;
  int64_t stop_grace_us = 0;
  // The safety phase lasts this much virtual time, and at least until just
  // after the event fired; then the faults are healed (the liveness phase).
  int64_t heal_us = 0;
};

// Draws a workload (inside a run).
Workload DrawWorkload();
// Draws 1..max_calls calls on connections 0..conns-1 (inside a run): shape,
// start, ending, metadata and tag. Other families share it (sim/scenarios/world).
std::vector<CallPlan> DrawCalls(size_t conns, uint64_t max_calls);

// "call 3 (echo on conn 1, 2 messages, ending cancel at +40us; event reset on conn 0 at 120us)".
std::string Describe(const Workload& w, size_t call);
// Its first part, left open for a family to add its own context and ")":
// "call 3 (echo on conn 1, 2 messages, ending cancel at +40us".
std::string DescribeCall(const CallPlan& plan, size_t call);

// Metadata as "key=value;" pairs in key order (deterministic): the echo
// handler returns it, so a call can check its metadata arrived whole.
std::string MetadataSummary(const rpc::Metadata& md);

// Every call carries a tag of its own: its request payloads, its metadata
// (kTagKey) and every reply message start with "<tag>|", so the oracle can
// tell whose data a call received. Calls are "t<i>"; the liveness phase's
// probe of connection c is "p<c>".
inline constexpr char kTagKey[] = "x-call";
std::string CallTag(size_t call);
std::string ProbeTag(size_t conn);
// The tag a message carries (the text before its first '|'; empty if none).
std::string TagOf(const std::string& message);

}  // namespace drpc::sim::rpcsim
