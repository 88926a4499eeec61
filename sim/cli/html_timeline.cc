#include "sim/cli/html_timeline.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <string_view>

#include "sim/cli/jsonl.h"
#include "sim/cli/timeline_assets.h"  // generated: kTimelineScript, kTimelineStyle

namespace drpc::sim::cli {
namespace {

// Lane 0 is the scheduler's (events no task made: its choices between
// tasks, timers), lane N is task #N.
uint32_t Lane(const TraceEvent& e) { return e.fiber == kNoFiber ? 0 : e.fiber; }

std::string_view ObjectKind(const TraceNames& names, uint32_t object) {
  if (object == 0 || object > names.objects.size()) return "";
  return names.objects[object - 1].kind;
}

bool IsOp(const TraceEvent& e, const char* op) {
  return e.type == EventType::kOp && e.op != nullptr && std::strcmp(e.op, op) == 0;
}

EdgeKind WakeKind(std::string_view object_kind) {
  if (object_kind == "condvar") return EdgeKind::kNotify;
  if (object_kind == "mutex") return EdgeKind::kHandoff;
  if (object_kind == "task") return EdgeKind::kJoin;
  return EdgeKind::kWake;
}

const char* EventKindName(EventType type) {
  switch (type) {
    case EventType::kOp:
      return "op";
    case EventType::kChoice:
      return "choice";
    case EventType::kSwitch:
      return "switch";
    case EventType::kSpawn:
      return "spawn";
    case EventType::kPark:
      return "park";
    case EventType::kWake:
      return "wake";
    case EventType::kTimeout:
      return "timeout";
    case EventType::kTimeAdvance:
      return "time";
    case EventType::kExit:
      return "exit";
    case EventType::kFail:
      return "fail";
  }
  return "?";
}
constexpr EventType kEventTypes[] = {
    EventType::kOp,   EventType::kChoice, EventType::kSwitch,  EventType::kSpawn,
    EventType::kPark, EventType::kWake,   EventType::kTimeout, EventType::kTimeAdvance,
    EventType::kExit, EventType::kFail};
constexpr EdgeKind kEdgeKinds[] = {EdgeKind::kLock, EdgeKind::kNotify, EdgeKind::kHandoff,
                                   EdgeKind::kJoin, EdgeKind::kWake,   EdgeKind::kSpawn};

// The data is embedded in a <script> element: no "</script" may appear in
// it. '<' occurs only inside JSON strings, where \u003c means the same.
void AppendJson(std::string& out, std::string_view text) {
  for (char c : JsonString(text)) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
}

template <typename T, typename F>
void AppendArray(std::string& out, const char* key, const std::vector<T>& items, F&& each) {
  out += ",\"";
  out += key;
  out += "\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i != 0) out += ',';
    each(items[i]);
  }
  out += ']';
}

std::string TimelineJson(const TimelineRun& run, const std::vector<TimelineEdge>& edges) {
  const std::vector<TraceEvent>& events = *run.events;
  const TraceNames& names = *run.names;
  std::string out;
  out.reserve(events.size() * 96 + 4096);
  out += "{\"title\":";
  AppendJson(out, run.title);
  out += ",\"outcome\":";
  AppendJson(out, run.outcome);
  out += ",\"report\":";
  AppendJson(out, run.report);
  out += ",\"replay\":";
  AppendJson(out, run.replay);
  out += ",\"lanes\":[\"scheduler\"";
  for (FiberId id = 1; id <= names.fibers.size(); ++id) {
    out += ',';
    AppendJson(out, names.Fiber(id));
  }
  out += "],\"kinds\":[";
  for (EventType type : kEventTypes) {
    if (type != kEventTypes[0]) out += ',';
    AppendJson(out, EventKindName(type));
  }
  out += "],\"edgeKinds\":[";
  for (EdgeKind kind : kEdgeKinds) {
    if (kind != kEdgeKinds[0]) out += ',';
    AppendJson(out, EdgeKindName(kind));
  }
  out += ']';
  AppendArray(out, "objects", names.objects, [&](const TraceNames::Object& o) {
    AppendJson(out, std::string(o.kind) + " \"" + o.name + "\"");
  });
  // Columns rather than an object per event: a third of the size, and the
  // page indexes them directly.
  AppendArray(out, "step", events, [&](const TraceEvent& e) { out += std::to_string(e.step); });
  AppendArray(out, "time", events, [&](const TraceEvent& e) { out += std::to_string(e.time); });
  AppendArray(out, "lane", events, [&](const TraceEvent& e) { out += std::to_string(Lane(e)); });
  AppendArray(out, "kind", events,
              [&](const TraceEvent& e) { out += std::to_string(static_cast<int>(e.type)); });
  AppendArray(out, "object", events, [&](const TraceEvent& e) { out += std::to_string(e.object); });
  AppendArray(out, "text", events,
              [&](const TraceEvent& e) { AppendJson(out, DescribeEvent(e, names)); });
  AppendArray(out, "edges", edges, [&](const TimelineEdge& edge) {
    out += std::to_string(edge.from) + ',' + std::to_string(edge.to) + ',' +
           std::to_string(static_cast<int>(edge.kind));
  });
  out += '}';
  return out;
}

}  // namespace

std::string_view EdgeKindName(EdgeKind kind) {
  switch (kind) {
    case EdgeKind::kLock:
      return "lock";
    case EdgeKind::kNotify:
      return "notify";
    case EdgeKind::kHandoff:
      return "handoff";
    case EdgeKind::kJoin:
      return "join";
    case EdgeKind::kWake:
      return "wake";
    case EdgeKind::kSpawn:
      return "spawn";
  }
  return "?";
}

std::vector<TimelineEdge> TimelineEdges(const std::vector<TraceEvent>& events,
                                        const TraceNames& names) {
  std::vector<TimelineEdge> edges;
  // Wakes and spawns: the target is the woken (or new) task's next event,
  // found by walking backwards with each task's next event at hand.
  std::vector<uint32_t> next_event(names.fibers.size() + 1, UINT32_MAX);
  for (size_t i = events.size(); i-- > 0;) {
    const TraceEvent& e = events[i];
    if ((e.type == EventType::kWake || e.type == EventType::kSpawn) && e.other != kNoFiber &&
        e.other < next_event.size() && next_event[e.other] != UINT32_MAX) {
      const EdgeKind kind =
          e.type == EventType::kSpawn ? EdgeKind::kSpawn : WakeKind(ObjectKind(names, e.object));
      edges.push_back({static_cast<uint32_t>(i), next_event[e.other], kind});
    }
    if (e.fiber != kNoFiber && e.fiber < next_event.size()) {
      next_event[e.fiber] = static_cast<uint32_t>(i);
    }
  }
  // Locks: an unlock orders the next lock of that mutex, if another task's.
  // (A contended lock also has a handoff edge from the wake.)
  struct Unlock {
    uint32_t event = UINT32_MAX;
    FiberId fiber = kNoFiber;
  };
  std::vector<Unlock> last_unlock(names.objects.size() + 1);
  for (size_t i = 0; i < events.size(); ++i) {
    const TraceEvent& e = events[i];
    if (e.object == 0 || e.object >= last_unlock.size()) continue;
    if (IsOp(e, "unlock")) {
      last_unlock[e.object] = {static_cast<uint32_t>(i), e.fiber};
    } else if (IsOp(e, "lock") || IsOp(e, "try_lock")) {
      Unlock& u = last_unlock[e.object];
      if (u.event != UINT32_MAX && u.fiber != e.fiber) {
        edges.push_back({u.event, static_cast<uint32_t>(i), EdgeKind::kLock});
      }
      u = Unlock{};
    }
  }
  std::sort(edges.begin(), edges.end(), [](const TimelineEdge& a, const TimelineEdge& b) {
    return a.from != b.from ? a.from < b.from : a.to < b.to;
  });
  return edges;
}

TimelineCounts CountTimeline(const std::vector<TraceEvent>& events, const TraceNames& names) {
  TimelineCounts counts;
  counts.lanes = names.fibers.size() + 1;
  counts.events = events.size();
  counts.edges = TimelineEdges(events, names).size();
  for (const TraceEvent& e : events) {
    if (e.type == EventType::kFail) counts.fail_step = static_cast<int64_t>(e.step);
  }
  return counts;
}

std::string TimelineHtml(const TimelineRun& run) {
  const std::vector<TimelineEdge> edges = TimelineEdges(*run.events, *run.names);
  std::string title;
  for (char c : run.title) {
    if (c == '<') {
      title += "&lt;";
    } else if (c == '&') {
      title += "&amp;";
    } else {
      title += c;
    }
  }
  std::string html;
  html += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>";
  html += title;
  html += " - drpc-sim timeline</title>\n<style>\n";
  html += kTimelineStyle;
  html +=
      "</style></head>\n<body>\n<div id=\"app\"><noscript>The timeline needs JavaScript."
      "</noscript></div>\n<script type=\"application/json\" id=\"timeline-data\">";
  html += TimelineJson(run, edges);
  html += "</script>\n<script>\n";
  html += kTimelineScript;
  html += "</script>\n</body></html>\n";
  return html;
}

bool WriteTimeline(const TimelineRun& run, const std::string& path, std::string& error) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << TimelineHtml(run);
  file.close();
  if (!file) {
    error = "could not write the timeline to " + path;
    return false;
  }
  return true;
}

}  // namespace drpc::sim::cli
