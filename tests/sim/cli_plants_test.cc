// drpc-sim's --plant: plants are part of a run's configuration, so the
// replay line and the saved choice log carry them and rerun the same run;
// a bad name is a usage error; hunt measures a plant in a passing scenario.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "drpc/base/plant.h"
#include "sim/cli/cli.h"
#include "sim/cli/runner.h"
#include "sim/testing/cli_checks.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim::cli {
namespace {

using plant::Site;
using sim::testing::CliRun;
using sim::testing::Contains;
using sim::testing::LineAfter;
using sim::testing::Read;
using sim::testing::RunCli;
using sim::testing::RunReplayLine;
using sim::testing::TempDir;

// The first seed of ring.fixed that fails with ring.double-done on.
std::optional<uint64_t> FirstFailingSeedWithDoubleDone() {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    const CliRun run = RunCli({"run", "--scenario", "ring.fixed", "--seed", std::to_string(seed),
                               "--plant", "ring.double-done"});
    if (run.exit_status == kExitFailureFound) return seed;
  }
  return std::nullopt;
}

TEST(CliPlants, BadPlantsAreUsageErrors) {
  const CliRun unknown =
      RunCli({"run", "--scenario", "ring.fixed", "--seed", "1", "--plant", "ring.nope"});
  EXPECT_EQ(unknown.exit_status, kExitUsage) << unknown.printed;
  EXPECT_TRUE(Contains(unknown.printed, "unknown plant 'ring.nope'")) << unknown.printed;
  EXPECT_TRUE(Contains(unknown.printed, "ring.double-done")) << "lists the sites";
  const CliRun second = RunCli({"sweep", "--scenario", "ring.fixed", "--seeds", "1", "--plant",
                                "ring.double-done,ring.nope"});
  EXPECT_EQ(second.exit_status, kExitUsage) << second.printed;
  // A log records its plants: replay and shrink take none.
  EXPECT_EQ(RunCli({"replay", "x.choices", "--plant", "ring.double-done"}).exit_status, kExitUsage);
  EXPECT_EQ(RunCli({"shrink", "x.choices", "--plant", "ring.double-done"}).exit_status, kExitUsage);
  // A passing scenario is a hunt only with plants.
  const CliRun no_plant = RunCli({"hunt", "--scenario", "ring.fixed", "--plant", "none"});
  EXPECT_EQ(no_plant.exit_status, kExitUsage) << no_plant.printed;
}

TEST(CliPlants, TheReplayLineCarriesThePlantsAndReproducesTheRun) {
  const std::optional<uint64_t> seed = FirstFailingSeedWithDoubleDone();
  ASSERT_TRUE(seed.has_value()) << "ring.double-done not caught in seeds 0..199 of ring.fixed";
  const std::string s = std::to_string(*seed);
  const CliRun failed =
      RunCli({"run", "--scenario", "ring.fixed", "--seed", s, "--plant", "ring.double-done"});
  EXPECT_TRUE(Contains(failed.printed, "plants=ring.double-done")) << failed.printed;
  const std::string replay = LineAfter(failed.printed, "replay: ");
  EXPECT_EQ(replay, "drpc-sim run --scenario ring.fixed --seed " + s + " --plant ring.double-done");
  const std::string hash = LineAfter(failed.printed, "trace hash ").substr(0, 18);
  ASSERT_EQ(hash.size(), 18u) << failed.printed;

  const CliRun again = RunReplayLine(replay);
  EXPECT_EQ(again.exit_status, kExitFailureFound) << again.printed;
  EXPECT_TRUE(Contains(again.printed, "trace hash " + hash)) << again.printed;
  // The plant is the bug: the same seed without it passes.
  EXPECT_EQ(RunCli({"run", "--scenario", "ring.fixed", "--seed", s}).exit_status, kExitOk);
  // A buggy scenario's own plant is not repeated on its replay line.
  const CliRun buggy = RunCli({"run", "--scenario", "ring.double-done.buggy", "--seed", s});
  EXPECT_EQ(LineAfter(buggy.printed, "replay: "),
            "drpc-sim run --scenario ring.double-done.buggy --seed " + s);
  EXPECT_TRUE(Contains(buggy.printed, "trace hash " + hash)) << "the same run";
}

TEST(CliPlants, TheChoiceLogRecordsThePlantsAndReplaysWithThem) {
  const std::optional<uint64_t> seed = FirstFailingSeedWithDoubleDone();
  ASSERT_TRUE(seed.has_value());
  const std::string dir = TempDir("plants_log");
  const std::string log = dir + "/planted.choices";
  ASSERT_EQ(RunCli({"run", "--scenario", "ring.fixed", "--seed", std::to_string(*seed), "--plant",
                    "ring.double-done", "--save-log", log})
                .exit_status,
            kExitFailureFound);
  const std::string text = Read(log);
  EXPECT_TRUE(Contains(text, "\noption plants ring.double-done\n")) << text;
  const CliRun replayed = RunCli({"replay", log, "--expect-recorded"});
  EXPECT_EQ(replayed.exit_status, kExitOk) << replayed.printed;
  EXPECT_TRUE(Contains(replayed.printed, "reproduces the logged result")) << replayed.printed;

  // Without the option line the log replays with no plant: not the logged run.
  std::string unplanted = text;
  unplanted.erase(unplanted.find("option plants"),
                  std::string("option plants ring.double-done\n").size());
  std::ofstream(log, std::ios::binary | std::ios::trunc) << unplanted;
  const CliRun plain = RunCli({"replay", log, "--expect-recorded"});
  EXPECT_EQ(plain.exit_status, kExitFailureFound) << plain.printed;

  // A log written before plants existed (no option line) of a buggy
  // scenario replays with the scenario's own plant.
  std::string old_style = unplanted;
  old_style.replace(old_style.find("scenario ring.fixed"),
                    std::string("scenario ring.fixed").size(), "scenario ring.double-done.buggy");
  std::ofstream(log, std::ios::binary | std::ios::trunc) << old_style;
  const CliRun old = RunCli({"replay", log, "--expect-recorded"});
  EXPECT_EQ(old.exit_status, kExitOk) << old.printed;
}

TEST(CliPlants, OptionPairsRoundTripThePlants) {
  RunOptions options;
  options.plants = {Site::kRingDoubleDone, Site::kManagerRegisterAfterClose};
  RunOptions read;
  std::string error;
  bool seen = false;
  for (const auto& [key, value] : OptionPairs(options)) {
    if (key == "plants") {
      EXPECT_EQ(value, "ring.double-done,manager.register-after-close");
      seen = true;
    }
    ASSERT_TRUE(ApplyOption(read, key, value, error)) << error;
  }
  EXPECT_TRUE(seen);
  EXPECT_EQ(read.plants, options.plants);
  for (const auto& [key, value] : OptionPairs(RunOptions{})) EXPECT_NE(key, "plants");
  EXPECT_TRUE(ApplyOption(read, "plants", "none", error));
  EXPECT_TRUE(read.plants.empty());
  EXPECT_FALSE(ApplyOption(read, "plants", "ring.nope", error));
  EXPECT_TRUE(Contains(error, "unknown plant 'ring.nope'")) << error;
}

TEST(CliPlants, HuntMeasuresAPlantInAPassingScenario) {
  const CliRun hunt =
      RunCli({"hunt", "--scenario", "ring.fixed", "--plant", "ring.double-done", "--trials", "3"});
  EXPECT_EQ(hunt.exit_status, kExitOk) << hunt.printed;
  EXPECT_TRUE(Contains(hunt.printed, "ring.fixed with plants ring.double-done: seeds until"))
      << hunt.printed;
  EXPECT_TRUE(Contains(hunt.printed, "first failures: invariant_failed 3")) << hunt.printed;
}

}  // namespace
}  // namespace drpc::sim::cli
