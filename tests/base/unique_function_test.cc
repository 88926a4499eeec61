// UniqueFunction: small callables stored inline (no allocation), large or
// throwing-move ones on the heap; every stored callable destroyed exactly
// once, whatever moves and assignments it went through.
#include "drpc/base/unique_function.h"

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <tuple>

namespace drpc {
namespace {

// Counts how many of its kind exist and how many were allocated with new
// (a class-specific operator new is what the heap path's `new Fn` calls).
template <size_t kPayloadBytes, bool kNothrowMove = true>
struct Tracked {
  static inline int alive = 0;
  static inline int heap_allocations = 0;

  explicit Tracked(int* call_count) : calls(call_count) { ++alive; }
  Tracked(Tracked&& other) noexcept(kNothrowMove) : calls(other.calls) { ++alive; }
  Tracked(const Tracked&) = delete;
  ~Tracked() { --alive; }

  static void* operator new(size_t size) {
    ++heap_allocations;
    return ::operator new(size);
  }
  static void operator delete(void* p) { ::operator delete(p); }

  int operator()(int x) {
    ++*calls;
    return x + static_cast<int>(payload.size());
  }

  int* calls;
  std::array<char, kPayloadBytes> payload{};
};

using Small = Tracked<8>;                // a pointer and 8 bytes: inline
using Large = Tracked<64>;               // too big: heap
using ThrowingMove = Tracked<0, false>;  // small, but its move may throw: heap

template <class T>
void ExpectLifecycle(int expected_allocations) {
  T::alive = 0;
  T::heap_allocations = 0;
  int calls = 0;
  {
    UniqueFunction<int(int)> f = T(&calls);
    EXPECT_EQ(T::heap_allocations, expected_allocations);
    EXPECT_EQ(T::alive, 1) << "the temporary is gone, the stored one lives";
    EXPECT_EQ(f(1), 1 + static_cast<int>(std::tuple_size_v<decltype(T::payload)>));

    UniqueFunction<int(int)> moved = std::move(f);
    EXPECT_FALSE(static_cast<bool>(f));  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(T::alive, 1);
    moved(2);

    UniqueFunction<int(int)> assigned;
    assigned = std::move(moved);
    assigned(3);
    EXPECT_EQ(T::alive, 1);

    // Assigning over a live one destroys the old callable.
    assigned = UniqueFunction<int(int)>(T(&calls));
    EXPECT_EQ(T::alive, 1);
    EXPECT_EQ(T::heap_allocations, 2 * expected_allocations);
  }
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(T::alive, 0) << "destroyed exactly once";
}

TEST(UniqueFunction, SmallCallablesAreStoredInline) { ExpectLifecycle<Small>(0); }
TEST(UniqueFunction, LargeCallablesLiveOnTheHeap) { ExpectLifecycle<Large>(1); }
TEST(UniqueFunction, ACallableWhoseMoveMayThrowLivesOnTheHeap) { ExpectLifecycle<ThrowingMove>(1); }

TEST(UniqueFunction, HoldsMoveOnlyCaptures) {
  auto owned = std::make_unique<std::string>("lease");
  UniqueFunction<std::string()> f = [p = std::move(owned)] { return *p; };
  UniqueFunction<std::string()> g = std::move(f);
  EXPECT_EQ(g(), "lease");
}

TEST(UniqueFunction, PassesArgumentsByReferenceAndByValue) {
  UniqueFunction<void(std::string&, std::unique_ptr<int>)> f =
      [](std::string& out, std::unique_ptr<int> v) { out = std::to_string(*v); };
  std::string out;
  f(out, std::make_unique<int>(42));
  EXPECT_EQ(out, "42");
}

TEST(UniqueFunction, DefaultIsEmpty) {
  UniqueFunction<void()> f;
  EXPECT_FALSE(static_cast<bool>(f));
  f = [] {};
  EXPECT_TRUE(static_cast<bool>(f));
}

}  // namespace
}  // namespace drpc
