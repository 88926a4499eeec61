#include "tests/common/watchdog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "drpc/rt/waits.h"

namespace drpc::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The process's stderr as it was before main: GoogleTest redirects fd 2
// into a capture file while a death test runs, and a stuck test must still
// be heard.
const int kReportFd = ::dup(2);

void Report(const std::string& text) {
  const int fd = kReportFd >= 0 ? kReportFd : 2;
  for (size_t at = 0; at < text.size();) {
    const ssize_t n = ::write(fd, text.data() + at, text.size() - at);
    if (n <= 0) return;
    at += static_cast<size_t>(n);
  }
}

int SanitizerFactor() {
#if defined(__SANITIZE_THREAD__)
  return 4;
#elif defined(__SANITIZE_ADDRESS__)
  return 2;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  return 4;
#elif __has_feature(address_sanitizer)
  return 2;
#else
  return 1;
#endif
#else
  return 1;
#endif
}

// The armed deadline and the test it is for. One per process, never
// destroyed: its thread is detached and may outlive main's return.
class Watchdog {
 public:
  static Watchdog& Get() {
    static Watchdog* watchdog = new Watchdog;
    return *watchdog;
  }

  void Arm(std::string test, std::chrono::seconds budget) {
    std::lock_guard<std::mutex> guard(mu_);
    if (!started_) {
      started_ = true;
      std::thread([this] { Watch(); }).detach();
    }
    test_ = std::move(test);
    budget_ = budget;
    deadline_ = Clock::now() + budget;
    cv_.notify_all();
  }

  void Disarm() {
    std::lock_guard<std::mutex> guard(mu_);
    deadline_ = Clock::time_point::max();
    cv_.notify_all();
  }

 private:
  void Watch() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (deadline_ == Clock::time_point::max()) {
        cv_.wait(lock);
      } else if (cv_.wait_until(lock, deadline_) == std::cv_status::timeout &&
                 Clock::now() >= deadline_) {
        Expire();  // does not return
      }
    }
  }

  // mu_ held. Prints what waits and ends the process.
  [[noreturn]] void Expire() {
    std::string text = "\n*** watchdog: " + test_ + " has not finished after " +
                       std::to_string(budget_.count()) +
                       " s: it is stuck (budget: DRPC_TEST_WATCHDOG_SECONDS, "
                       "tests/common/watchdog.h).\n";
    const std::vector<rt::WaitingTask> waiting = rt::WaitingTasks();
    if (waiting.empty()) text += "***   no task is in an rt wait (a busy loop?)\n";
    for (const rt::WaitingTask& t : waiting) {
      text += "***   task #" + std::to_string(t.id) + " \"" + t.name + "\" waits at \"" + t.label +
              "\"" + (*t.object != '\0' ? " on \"" + std::string(t.object) + "\"" : "") + "\n";
    }
    text += "*** watchdog: failing " + test_ + "\n";
    Report(text);
    std::_Exit(1);
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  std::string test_;
  std::chrono::seconds budget_{0};
  Clock::time_point deadline_ = Clock::time_point::max();
};

std::chrono::seconds ConfiguredSeconds() {
  const char* env = std::getenv("DRPC_TEST_WATCHDOG_SECONDS");
  if (env == nullptr || *env == '\0') return std::chrono::seconds(10);
  char* end = nullptr;
  const long long seconds = std::strtoll(env, &end, 10);
  if (*end != '\0' || seconds < 0) {
    std::fprintf(stderr, "watchdog: DRPC_TEST_WATCHDOG_SECONDS='%s' is not a number of seconds\n",
                 env);
    std::_Exit(2);
  }
  return std::chrono::seconds(seconds);
}

class Listener : public ::testing::EmptyTestEventListener {
  void OnTestStart(const ::testing::TestInfo& info) override {
    const std::chrono::seconds budget = WatchdogBudget();
    if (budget.count() == 0) return;
    Watchdog::Get().Arm(std::string(info.test_suite_name()) + "." + info.name(), budget);
  }
  void OnTestEnd(const ::testing::TestInfo&) override { Watchdog::Get().Disarm(); }
};

// Installed before main: every test of the binary runs under the watchdog.
[[maybe_unused]] const bool kInstalled = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new Listener);
  return true;
}();

}  // namespace

std::chrono::seconds WatchdogBudget() { return ConfiguredSeconds() * SanitizerFactor(); }

void WatchdogAllows(std::chrono::seconds budget) {
  if (ConfiguredSeconds().count() == 0) return;
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string name = info != nullptr
                               ? std::string(info->test_suite_name()) + "." + info->name()
                               : std::string("a test");
  Watchdog::Get().Arm(name, budget * SanitizerFactor());
}

}  // namespace drpc::testing
