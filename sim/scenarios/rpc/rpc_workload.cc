#include "sim/scenarios/rpc/rpc_workload.h"

#include <utility>

#include "sim/sched/run.h"

namespace drpc::sim::rpcsim {
namespace {

uint64_t Draw(uint64_t n) { return sim::Choose(n, ChoiceKind::kWorkload); }

rpc::Metadata DrawMetadata() {
  static const std::pair<const char*, const char*> kEntries[] = {
      {"authorization", "Bearer t0k3n"}, {"", "empty key"}, {"empty value", ""}, {"x-id", "42"}};
  rpc::Metadata md;
  const uint64_t n = Draw(3);
  for (uint64_t i = 0; i < n; ++i) {
    const auto& [key, value] = kEntries[Draw(4)];
    md[key] = value;
  }
  return md;
}

}  // namespace

const char* ShapeName(Shape shape) {
  static constexpr const char* kNames[] = {"echo", "fail", "unknown", "count",
                                           "sum",  "chat", "block"};
  return kNames[static_cast<int>(shape)];
}

std::vector<CallPlan> DrawCalls(size_t conns, uint64_t max_calls) {
  std::vector<CallPlan> plans;
  const size_t calls = 1 + Draw(max_calls);
  for (size_t i = 0; i < calls; ++i) {
    CallPlan p;
    p.conn = Draw(conns);
    p.start_us = static_cast<int64_t>(Draw(20)) * 10;
    p.shape = static_cast<Shape>(Draw(kShapes));
    p.messages = static_cast<int>(Draw(5));
    p.ending = static_cast<Ending>(Draw(3));
    // A blocking call ends only by its cancel or deadline (or an event).
    if (p.shape == Shape::kBlock && p.ending == Ending::kNone) p.ending = Ending::kCancel;
    // A quarter of the cancels fire at the call's start: they race the
    // invoke sequence itself, step by step.
    p.end_us = Draw(4) == 0 ? 0 : 1 + static_cast<int64_t>(Draw(40)) * 10;
    p.metadata = DrawMetadata();
    p.metadata[kTagKey] = CallTag(i);
    plans.push_back(std::move(p));
  }
  return plans;
}

Workload DrawWorkload() {
  static constexpr size_t kPipe[] = {4096, 64, 512};
  static constexpr int64_t kSplit[] = {0, 3, 16};
  Workload w;
  w.pipe_capacity = kPipe[Draw(3)];
  w.split_size = kSplit[Draw(3)];
  w.ring_capacity = 1 + Draw(4);
  w.accept_error_one_in = Draw(3) == 1 ? 3 : 0;
  w.conns = 1 + Draw(2);
  w.calls = DrawCalls(w.conns, 8);
  w.event = static_cast<Event>(Draw(4));
  w.event_conn = Draw(w.conns);
  w.event_us = static_cast<int64_t>(Draw(40)) * 10;
  w.stop_grace_us = static_cast<int64_t>(Draw(4)) * 50;
  // Drawn last, so the draws above (and the seeds found with them) keep
  // their meaning. 0: heal as soon as the event has fired.
  w.heal_us = static_cast<int64_t>(Draw(4)) * 100;
  return w;
}

std::string DescribeCall(const CallPlan& p, size_t call) {
  static constexpr const char* kEndings[] = {"none", "cancel", "deadline"};
  return "call " + std::to_string(call) + " (" + ShapeName(p.shape) + " on conn " +
         std::to_string(p.conn) + ", " + std::to_string(p.messages) + " messages, ending " +
         kEndings[static_cast<int>(p.ending)] + " at +" + std::to_string(p.end_us) + "us";
}

std::string Describe(const Workload& w, size_t call) {
  static constexpr const char* kEvents[] = {"none", "reset", "client-close", "server-stop"};
  return DescribeCall(w.calls[call], call) + "; event " + kEvents[static_cast<int>(w.event)] +
         " on conn " + std::to_string(w.event_conn) + " at " + std::to_string(w.event_us) + "us)";
}

std::string MetadataSummary(const rpc::Metadata& md) {
  std::string out;
  for (const auto& [k, v] : md) out += k + "=" + v + ";";  // sorted: deterministic
  return out;
}

std::string CallTag(size_t call) { return "t" + std::to_string(call); }
std::string ProbeTag(size_t conn) { return "p" + std::to_string(conn); }

std::string TagOf(const std::string& message) {
  const size_t bar = message.find('|');
  return bar == std::string::npos ? std::string() : message.substr(0, bar);
}

}  // namespace drpc::sim::rpcsim
