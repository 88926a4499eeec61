// Buffer: size and capacity, every way of growing and shrinking it, and that
// growth keeps the contents.
#include "drpc/base/buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace drpc {
namespace {

std::string Text(const Buffer& buffer) { return ToString(buffer.view()); }

TEST(Buffer, StartsEmptyWithoutMemory) {
  const Buffer buffer;
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.size(), 0u);
  EXPECT_EQ(buffer.capacity(), 0u);
  EXPECT_TRUE(buffer.view().empty());
}

TEST(Buffer, ReserveMakesRoomAndKeepsTheContents) {
  Buffer buffer(AsBytes("abc"));
  buffer.Reserve(1000);
  EXPECT_GE(buffer.capacity(), 1000u);
  EXPECT_EQ(Text(buffer), "abc");
  const size_t capacity = buffer.capacity();
  buffer.Reserve(10);  // never shrinks
  EXPECT_EQ(buffer.capacity(), capacity);
  EXPECT_GE(Buffer(4096).capacity(), 4096u);
  EXPECT_EQ(Buffer(4096).size(), 0u);
}

TEST(Buffer, ResizeKeepsThePrefix) {
  Buffer buffer(AsBytes("hello"));
  buffer.Resize(2);
  EXPECT_EQ(Text(buffer), "he");
  buffer.Resize(300);
  EXPECT_EQ(buffer.size(), 300u);
  EXPECT_EQ(ToString(buffer.view().first(2)), "he");
}

TEST(Buffer, ExtendAppendsRoomAtTheEnd) {
  Buffer buffer(AsBytes("ab"));
  uint8_t* room = buffer.Extend(3);
  EXPECT_EQ(room, buffer.data() + 2);
  room[0] = 'c';
  room[1] = 'd';
  room[2] = 'e';
  EXPECT_EQ(Text(buffer), "abcde");
}

TEST(Buffer, AppendAndPushBack) {
  Buffer buffer;
  buffer.Append(AsBytes(""));
  EXPECT_EQ(buffer.capacity(), 0u) << "appending nothing allocates nothing";
  buffer.Append(AsBytes("ab"));
  buffer.PushBack('c');
  buffer.Append(AsBytes("de"));
  EXPECT_EQ(Text(buffer), "abcde");
}

TEST(Buffer, ConsumeDropsThePrefix) {
  Buffer buffer(AsBytes("abcdef"));
  buffer.Consume(0);
  EXPECT_EQ(Text(buffer), "abcdef");
  buffer.Consume(2);
  EXPECT_EQ(Text(buffer), "cdef");
  buffer.Consume(4);
  EXPECT_TRUE(buffer.empty());
}

TEST(BufferDeathTest, ConsumePastTheEndIsABug) {
  Buffer buffer(AsBytes("ab"));
  EXPECT_DEATH(buffer.Consume(3), "Consume past the end");
}

TEST(Buffer, CloneIsAnIndependentCopy) {
  Buffer original(AsBytes("abc"));
  Buffer copy = original.Clone();
  EXPECT_EQ(Text(copy), "abc");
  EXPECT_NE(copy.data(), original.data());
  copy.data()[0] = 'x';
  EXPECT_EQ(Text(original), "abc");
}

TEST(Buffer, MoveLeavesTheSourceEmpty) {
  Buffer source(AsBytes("abc"));
  Buffer target = std::move(source);
  EXPECT_EQ(Text(target), "abc");
  EXPECT_EQ(source.size(), 0u);      // NOLINT(bugprone-use-after-move): defined
  EXPECT_EQ(source.capacity(), 0u);  // NOLINT(bugprone-use-after-move)
}

TEST(Buffer, ClearKeepsTheCapacityReleaseFreesIt) {
  Buffer buffer(AsBytes("abc"));
  const size_t capacity = buffer.capacity();
  buffer.clear();
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.capacity(), capacity);
  buffer.Release();
  EXPECT_EQ(buffer.capacity(), 0u);
}

// Byte by byte to 100000 bytes: every byte survives every reallocation, and
// the capacity grows geometrically (a few dozen moves, not one per byte).
TEST(Buffer, GrowthKeepsTheContents) {
  constexpr size_t kSize = 100000;
  Buffer buffer;
  std::set<size_t> capacities;
  for (size_t i = 0; i < kSize; ++i) {
    buffer.PushBack(static_cast<uint8_t>(i * 7 + i / 256));
    capacities.insert(buffer.capacity());
  }
  ASSERT_EQ(buffer.size(), kSize);
  for (size_t i = 0; i < kSize; ++i) {
    ASSERT_EQ(buffer.data()[i], static_cast<uint8_t>(i * 7 + i / 256)) << "byte " << i;
  }
  EXPECT_LE(capacities.size(), 20u);
  // One Reserve far past the doubling keeps the contents too.
  Buffer big(AsBytes("xy"));
  big.Reserve(1 << 20);
  EXPECT_EQ(ToString(big.view()), "xy");
  EXPECT_GE(big.capacity(), size_t{1} << 20);
}

}  // namespace
}  // namespace drpc
