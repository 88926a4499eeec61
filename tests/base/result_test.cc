// Result<T>: a value or an error, access to the value (asserted), and moving
// the value out of a temporary (the `std::move(*TcpConnect(...))` case).
#include "drpc/base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace drpc {
namespace {

Result<std::unique_ptr<int>> MakePointer(int value) { return std::make_unique<int>(value); }
Result<std::unique_ptr<int>> MakeError() { return ProtocolError("bad frame"); }

TEST(Result, HoldsAValue) {
  Result<std::string> r = std::string("hello");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.status().ok());
  EXPECT_EQ(r.value(), "hello");
  EXPECT_EQ(*r, "hello");
  EXPECT_EQ(r->size(), 5u);
}

TEST(Result, HoldsAnError) {
  Result<std::string> r = ProtocolError("bad frame");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), ProtocolError("bad frame"));
}

TEST(Result, DereferencingATemporaryMovesTheValueOut) {
  static_assert(std::is_same_v<decltype(*MakePointer(1)), std::unique_ptr<int>&&>);
  std::unique_ptr<int> moved = *MakePointer(7);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(*moved, 7);
  std::unique_ptr<int> moved_again = std::move(*MakePointer(8));
  ASSERT_NE(moved_again, nullptr);
  EXPECT_EQ(*moved_again, 8);
  EXPECT_EQ(**MakePointer(9), 9);
  EXPECT_EQ(*MakePointer(10)->get(), 10);  // operator-> on a temporary
}

TEST(Result, DereferencingALvalueLeavesTheValueInPlace) {
  Result<std::string> r = std::string("kept");
  static_assert(std::is_same_v<decltype(*r), std::string&>);
  std::string copy = *r;
  EXPECT_EQ(copy, "kept");
  EXPECT_EQ(*r, "kept");
  std::string moved = std::move(r).value();  // only an explicit move takes it
  EXPECT_EQ(moved, "kept");
}

TEST(ResultDeathTest, TheValueOfAnErrorIsABug) {
  Result<std::string> r = ProtocolError("bad frame");
  EXPECT_DEATH((void)r.value(), "value\\(\\) of an error Result");
  EXPECT_DEATH((void)*r, "value\\(\\) of an error Result");
  EXPECT_DEATH((void)r->size(), "value\\(\\) of an error Result");
  EXPECT_DEATH((void)*MakeError(), "value\\(\\) of an error Result");
}

TEST(ResultDeathTest, AnOkStatusIsNotAnError) {
  EXPECT_DEATH((void)Result<int>(OkStatus()), "a Result made from a Status must hold an error");
}

}  // namespace
}  // namespace drpc
