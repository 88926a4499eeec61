// A watchdog for the tests of the OS backends (threads, sockets): a test
// still running after its budget fails the process at once, printing every
// task in an rt wait and the label of that wait (rt::WaitingTasks), instead
// of hanging until ctest's timeout. drpc_test links it into every test
// binary that links an `_os` (or `_threads`) library; it installs itself as
// a GoogleTest listener before main runs.
//
// Budget per test: DRPC_TEST_WATCHDOG_SECONDS (default 10; 0 switches the
// watchdog off), times 2 under ASan and 4 under TSan. A test that
// legitimately runs longer says so at its start:
//
//   TEST(Stress, ManyRounds) {
//     drpc::testing::WatchdogAllows(std::chrono::seconds(60));
//     ...
//   }
//
// On expiry it prints
//   *** watchdog: Suite.Test has not finished after 10 s: it is stuck.
//   ***   task #7 "conn.reader" waits at "ring: wait for a message" on "ring not_empty"
// and exits with status 1 (std::_Exit: the stuck threads cannot be joined).
#pragma once

#include <chrono>

namespace drpc::testing {

// Sets the running test's budget to `budget` (scaled as above) from now. It
// also arms the watchdog where GoogleTest sends no events: in a death
// test's child.
void WatchdogAllows(std::chrono::seconds budget);

// The default budget of a test, after the environment and the scaling.
std::chrono::seconds WatchdogBudget();

}  // namespace drpc::testing
