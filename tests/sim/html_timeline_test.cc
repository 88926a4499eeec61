// drpc-sim --html (sim/cli/html_timeline.h) in a real browser: headless
// Chromium loads the page drpc-sim wrote, runs its script, and dumps the DOM;
// the page's hidden summary (#timeline-summary) must agree with the counts
// computed from the trace in C++, mark the failure of a failing run and only
// then, and a page whose script is broken must show nothing. Skips, saying
// why, only when chromium is not installed (scripts/setup installs it).
#include "sim/cli/html_timeline.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/cli/runner.h"
#include "sim/scenarios/scenario.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim::cli {
namespace {

using sim::testing::Contains;
using sim::testing::Read;
using sim::testing::TempDir;

// A planted bug with a fixed seed that fails (the buffer ledger's double
// release, with a history of the buffer in its report), and one that passes.
constexpr const char* kScenario = "ring.double-done.buggy";
constexpr uint64_t kFailingSeed = 0;
constexpr uint64_t kPassingSeed = 5;

std::optional<std::string> Chromium() {
  if (const char* path = std::getenv("DRPC_CHROMIUM"); path != nullptr && *path != '\0') {
    return std::string(path);
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::filesystem::path candidate = std::filesystem::path(dir) / "chromium";
    if (std::filesystem::exists(candidate)) return candidate.string();
  }
  return std::nullopt;
}

#define REQUIRE_CHROMIUM(var)                                                   \
  const std::optional<std::string> var = Chromium();                            \
  if (!var)                                                                     \
  GTEST_SKIP() << "chromium is not installed (scripts/setup installs Debian's " \
                  "`chromium`; or set DRPC_CHROMIUM): the HTML timeline is untested"

// Runs headless Chromium on `page` with `mode` (--dump-dom, --screenshot=...)
// and returns its standard output. Its own profile folder, so tests can run
// side by side; the virtual time budget lets the page's script finish.
std::string RunChromium(const std::string& chromium, const std::string& dir,
                        const std::string& mode, const std::string& url) {
  const std::string command = "'" + chromium +
                              "' --headless --disable-gpu --no-sandbox --no-first-run"
                              " --user-data-dir='" +
                              dir + "/profile' --virtual-time-budget=10000 " + mode + " '" + url +
                              "' 2>'" + dir + "/chromium.log'";
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buf[65536];
    for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    pclose(pipe);
  }
  return out;
}

// The attributes of the page's #timeline-summary, as the page wrote them
// after drawing; nullopt when the element is missing (the script broke).
struct Summary {
  std::string tag;
  int64_t Get(const std::string& name) const {
    std::smatch m;
    if (!std::regex_search(tag, m, std::regex(" data-" + name + "=\"(-?[0-9]+)\""))) return -99;
    return std::stoll(m[1]);
  }
};
std::optional<Summary> PageSummary(const std::string& dom) {
  std::smatch m;
  if (!std::regex_search(dom, m, std::regex("<div id=\"timeline-summary\"[^>]*>"))) {
    return std::nullopt;
  }
  return Summary{m[0]};
}

// Counts from the trace of the same run, computed in C++.
TimelineCounts ExpectedCounts(uint64_t seed) {
  const Scenario* scenario = Scenarios().Find(kScenario);
  EXPECT_NE(scenario, nullptr);
  RunSettings settings;
  settings.options = scenario->options;
  settings.options.keep_full_trace = true;
  SeedRun run = RunSeed(*scenario, seed, settings, false);
  return CountTimeline(run.result.events, run.result.trace_names);
}

// `drpc-sim run --scenario kScenario --seed S --html dir/name`; returns the path.
std::string WritePage(const std::string& dir, uint64_t seed, const std::string& name) {
  const std::string page = dir + "/" + name;
  std::ostringstream out, err;
  SimMain({"drpc-sim", "run", "--scenario", kScenario, "--seed", std::to_string(seed),
           "--no-save-log", "--html", page},
          out, err, [](const char*) -> const char* { return nullptr; });
  EXPECT_TRUE(Contains(out.str(), "timeline (")) << out.str() << err.str();
  return page;
}

TEST(HtmlTimeline, FailingRunShowsLanesEdgesAndTheFailure) {
  REQUIRE_CHROMIUM(chromium);
  const std::string dir = TempDir("html_failing");
  const std::string page = WritePage(dir, kFailingSeed, "failing.html");
  const TimelineCounts expected = ExpectedCounts(kFailingSeed);
  ASSERT_GE(expected.fail_step, 0) << "the planted bug's seed no longer fails";
  ASSERT_GT(expected.edges, 0u);

  const std::string dom = RunChromium(*chromium, dir, "--dump-dom", "file://" + page);
  const std::optional<Summary> summary = PageSummary(dom);
  ASSERT_TRUE(summary) << "the page drew nothing; chromium's log: " << Read(dir + "/chromium.log");
  EXPECT_EQ(summary->Get("lanes"), static_cast<int64_t>(expected.lanes));
  EXPECT_EQ(summary->Get("events"), static_cast<int64_t>(expected.events));
  EXPECT_EQ(summary->Get("edges"), static_cast<int64_t>(expected.edges));
  EXPECT_EQ(summary->Get("fail-step"), expected.fail_step);
  EXPECT_EQ(summary->Get("failure-marker"), 1);
  EXPECT_EQ(summary->Get("fail-row"), 1) << "the failing event is not in view";
  EXPECT_GT(summary->Get("rows"), 0);
  EXPECT_GT(summary->Get("drawn-edges"), 0);
  // The ledger's history of the buffer (the report's "step N task T" lines).
  EXPECT_GT(summary->Get("history-marks"), 0);
  // What the DOM itself holds, not only what the script says it drew.
  EXPECT_TRUE(Contains(dom, "id=\"failure-marker\""));
  EXPECT_TRUE(Contains(dom, "double release"));
  EXPECT_TRUE(Contains(dom, "class=\"lane-head\""));

  const std::string shot = dir + "/failing.png";
  RunChromium(*chromium, dir, "--window-size=1400,900 --screenshot='" + shot + "'",
              "file://" + page);
  const std::string png = Read(shot);
  ASSERT_GT(png.size(), 8u) << "no screenshot; chromium's log: " << Read(dir + "/chromium.log");
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  // A blank 1400x900 page compresses to a few KB; a drawn timeline is far more.
  EXPECT_GT(png.size(), 30'000u);
  std::printf("screenshot: %s (%zu bytes)\n", shot.c_str(), png.size());
}

TEST(HtmlTimeline, PassingRunHasNoFailureMarker) {
  REQUIRE_CHROMIUM(chromium);
  const std::string dir = TempDir("html_passing");
  const std::string page = WritePage(dir, kPassingSeed, "passing.html");
  const TimelineCounts expected = ExpectedCounts(kPassingSeed);
  ASSERT_EQ(expected.fail_step, -1) << "the passing seed now fails";

  const std::string dom = RunChromium(*chromium, dir, "--dump-dom", "file://" + page);
  const std::optional<Summary> summary = PageSummary(dom);
  ASSERT_TRUE(summary) << "the page drew nothing";
  EXPECT_EQ(summary->Get("lanes"), static_cast<int64_t>(expected.lanes));
  EXPECT_EQ(summary->Get("events"), static_cast<int64_t>(expected.events));
  EXPECT_EQ(summary->Get("failure-marker"), 0);
  EXPECT_EQ(summary->Get("fail-step"), -1);
  EXPECT_FALSE(Contains(dom, "id=\"failure-marker\""));
}

// The same checks see a page whose script does not run: no summary, no lanes.
TEST(HtmlTimeline, BrokenScriptIsCaught) {
  REQUIRE_CHROMIUM(chromium);
  const std::string dir = TempDir("html_broken");
  const std::string page = WritePage(dir, kFailingSeed, "failing.html");
  std::string html = Read(page);
  const size_t at = html.find("\"use strict\";");
  ASSERT_NE(at, std::string::npos);
  html.insert(at, ")(");  // a syntax error: the script never runs
  const std::string broken = dir + "/broken.html";
  {
    std::ofstream file(broken, std::ios::binary);
    file << html;
  }
  const std::string dom = RunChromium(*chromium, dir, "--dump-dom", "file://" + broken);
  EXPECT_TRUE(Contains(dom, "timeline-data")) << "chromium did not load the page at all";
  EXPECT_FALSE(PageSummary(dom));
  EXPECT_FALSE(Contains(dom, "class=\"lane-head\""));
  EXPECT_FALSE(Contains(dom, "id=\"failure-marker\""));
}

// Search and task filters, given in the page's address.
TEST(HtmlTimeline, SearchAndTaskFilter) {
  REQUIRE_CHROMIUM(chromium);
  const std::string dir = TempDir("html_filter");
  const std::string page = WritePage(dir, kFailingSeed, "failing.html");
  const Scenario* scenario = Scenarios().Find(kScenario);
  ASSERT_NE(scenario, nullptr);
  RunSettings settings;
  settings.options = scenario->options;
  settings.options.keep_full_trace = true;
  const SeedRun run = RunSeed(*scenario, kFailingSeed, settings, false);
  int64_t notify = 0, consumer_not_choice = 0;
  for (const TraceEvent& e : run.result.events) {
    const std::string text = DescribeEvent(e, run.result.trace_names);
    notify += e.type != EventType::kChoice && Contains(text, "notify");
    consumer_not_choice += e.type != EventType::kChoice && e.fiber == 3;
  }
  ASSERT_GT(notify, 0);

  std::optional<Summary> summary =
      PageSummary(RunChromium(*chromium, dir, "--dump-dom", "file://" + page + "#q=NOTIFY"));
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->Get("shown"), notify);  // choices are hidden by default
  summary = PageSummary(RunChromium(*chromium, dir, "--dump-dom", "file://" + page + "#lane=3"));
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->Get("shown"), consumer_not_choice);
}

// replay --html draws the replayed run: the same counts as the run's page.
TEST(HtmlTimeline, ReplayWritesTheSamePage) {
  const std::string dir = TempDir("html_replay");
  const std::string log = dir + "/failing.choices";
  std::ostringstream out, err;
  const auto no_env = [](const char*) -> const char* { return nullptr; };
  SimMain({"drpc-sim", "run", "--scenario", kScenario, "--seed", std::to_string(kFailingSeed),
           "--no-save-log", "--save-log", log, "--html", dir + "/run.html"},
          out, err, no_env);
  SimMain({"drpc-sim", "replay", log, "--html", dir + "/replay.html"}, out, err, no_env);
  const std::string run_page = Read(dir + "/run.html");
  const std::string replay_page = Read(dir + "/replay.html");
  ASSERT_FALSE(replay_page.empty()) << out.str() << err.str();
  // Everything after the title and replay line (the events and edges) matches.
  const auto events = [](const std::string& html) { return html.substr(html.find("\"lanes\"")); };
  EXPECT_EQ(events(run_page), events(replay_page));
}

}  // namespace
}  // namespace drpc::sim::cli
