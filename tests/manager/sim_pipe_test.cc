// The simulated network pipe (sim/net/pipe.h): socket-like semantics under
// the deterministic scheduler, for many seeds.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "drpc/rt/rt.h"
#include "sim/net/pipe.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"

namespace drpc::sim::net {
namespace {

std::string Describe(const RunResult& r) {
  return std::string(OutcomeName(r.outcome)) + "\n" + r.report + "\n" + r.trace_tail;
}

RunResult RunSeed(uint64_t seed, const std::function<void()>& body) {
  RandomSource decisions(seed);
  RunOptions options;
  options.max_steps = 200'000;
  return sim::Run(decisions, options, [&] { body(); });
}

std::string Pattern(size_t n, uint64_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + seed) % 26);
  return s;
}

// Reads until EOF; returns everything and the sizes of the reads.
std::string ReadAll(rt::Transport& t, size_t buffer_size, std::vector<size_t>* sizes) {
  std::string got;
  std::vector<uint8_t> buffer(buffer_size);
  for (int reads = 0; reads < 100'000; ++reads) {
    ReadResult r = t.Read(MutableBytes(buffer));
    got.append(reinterpret_cast<const char*>(buffer.data()), r.n);
    if (sizes != nullptr && r.n > 0) sizes->push_back(r.n);
    if (!r.err.ok()) {
      EXPECT_TRUE(r.err.is(ErrorKind::kEof)) << r.err;
      return got;
    }
  }
  ADD_FAILURE() << "no EOF after 100000 reads";
  return got;
}

TEST(SimPipe, BytesArriveInOrderAndReadsAreCutByChoice) {
  bool saw_partial_read = false;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const std::string sent = Pattern(3000, seed);
    std::string got;
    std::vector<size_t> sizes;
    RunResult r = RunSeed(seed, [&] {
      PipeEnds ends = MakePipe({.capacity_bytes = 512});
      rt::Task writer = rt::spawn("writer", [&] {
        for (size_t off = 0; off < sent.size(); off += 700) {
          size_t n = std::min<size_t>(700, sent.size() - off);
          ASSERT_TRUE(ends.a->Write(AsBytes(sent).subspan(off, n)).ok());
        }
        ASSERT_TRUE(ends.a->Close().ok());
      });
      got = ReadAll(*ends.b, 300, &sizes);
      writer.join();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
    ASSERT_EQ(got, sent) << "seed " << seed;
    for (size_t n : sizes) {
      ASSERT_LE(n, 300u);
      if (n < 300 && n != sent.size() % 300) saw_partial_read = true;
    }
  }
  EXPECT_TRUE(saw_partial_read) << "reads must sometimes return fewer bytes than available";
}

TEST(SimPipe, DefaultChoicesReadEverythingAvailable) {
  // A source that always answers 0: each read takes all buffered bytes.
  class Zero final : public DecisionSource {
    uint64_t Choose(const ChoiceRequest&) override { return 0; }
  } zero;
  std::vector<size_t> sizes;
  RunResult r = sim::Run(zero, RunOptions{}, [&] {
    PipeEnds ends = MakePipe({.capacity_bytes = 1000});
    ASSERT_TRUE(ends.a->Write(AsBytes(Pattern(600, 1))).ok());
    ASSERT_TRUE(ends.a->Close().ok());
    ReadAll(*ends.b, 4096, &sizes);
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
  EXPECT_EQ(sizes, std::vector<size_t>{600});
}

TEST(SimPipe, WriteBlocksWhileThePeersBufferIsFull) {
  RunResult r = RunSeed(3, [&] {
    PipeEnds ends = MakePipe({.capacity_bytes = 8});
    (void)ends.a->Write(AsBytes(Pattern(100, 0)));  // nobody reads: blocks for good
  });
  ASSERT_EQ(r.outcome, Outcome::kDeadlock) << Describe(r);
  EXPECT_NE(r.report.find("pipe a: write waits for space"), std::string::npos) << r.report;
}

TEST(SimPipe, FullBufferDrainsAsThePeerReads) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    RunResult r = RunSeed(seed, [&] {
      PipeEnds ends = MakePipe({.capacity_bytes = 8});
      rt::Task writer = rt::spawn("writer", [&] {
        ASSERT_TRUE(ends.a->Write(AsBytes(Pattern(100, 0))).ok());
        ASSERT_TRUE(ends.pipe->buffered(1) <= 8);
        ASSERT_TRUE(ends.a->Close().ok());
      });
      EXPECT_EQ(ReadAll(*ends.b, 3, nullptr), Pattern(100, 0));
      writer.join();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
  }
}

TEST(SimPipe, CloseIsLikeASocket) {
  RunResult r = RunSeed(5, [&] {
    PipeEnds ends = MakePipe({});
    ASSERT_TRUE(ends.a->Write(AsBytes(std::string("hello"))).ok());
    ASSERT_TRUE(ends.a->Close().ok());
    ASSERT_TRUE(ends.a->Close().ok());  // idempotent
    // Local operations after Close fail with kClosed.
    uint8_t byte = 0;
    EXPECT_TRUE(ends.a->Read(MutableBytes(&byte, 1)).err.is(ErrorKind::kClosed));
    EXPECT_TRUE(ends.a->Write(AsBytes(std::string("x"))).is(ErrorKind::kClosed));
    // The peer drains what was sent, then sees EOF; its writes fail.
    EXPECT_EQ(ReadAll(*ends.b, 64, nullptr), "hello");
    EXPECT_TRUE(ends.b->Write(AsBytes(std::string("late"))).is(ErrorKind::kClosed));
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
}

// TryWrite never blocks: it takes a chosen part of what fits (seeds explore
// none, some, all), and the bytes arrive in order with those of later
// writes.
TEST(SimPipe, TryWriteTakesAChosenPartOfWhatFits) {
  bool saw_partial = false;
  bool saw_all = false;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    const std::string sent = Pattern(100, seed);
    size_t taken = 0;
    std::string got;
    RunResult r = RunSeed(seed, [&] {
      PipeEnds ends = MakePipe({.capacity_bytes = 64});
      const rt::WriteResult tried = ends.a->TryWrite(AsBytes(sent));
      ASSERT_TRUE(tried.err.ok()) << tried.err;
      ASSERT_LE(tried.n, 64u) << "no more than fits";
      taken = tried.n;
      rt::Task writer = rt::spawn("writer", [&] {
        ASSERT_TRUE(ends.a->Write(AsBytes(sent).subspan(taken)).ok());
        ASSERT_TRUE(ends.a->Close().ok());
      });
      got = ReadAll(*ends.b, 32, nullptr);
      writer.join();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
    EXPECT_EQ(got, sent) << "seed " << seed;
    saw_partial = saw_partial || taken < 64;
    saw_all = saw_all || taken == 64;
  }
  EXPECT_TRUE(saw_partial);
  EXPECT_TRUE(saw_all);
}

TEST(SimPipe, TryWriteFailsLikeWrite) {
  RunResult r = RunSeed(2, [&] {
    PipeEnds ends = MakePipe({});
    ASSERT_TRUE(ends.b->Close().ok());
    EXPECT_TRUE(ends.a->TryWrite(AsBytes(std::string("x"))).err.is(ErrorKind::kClosed));
    ASSERT_TRUE(ends.a->Close().ok());
    EXPECT_TRUE(ends.a->TryWrite(AsBytes(std::string("x"))).err.is(ErrorKind::kClosed));
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
}

// Half-close, as TCP's shutdown(SHUT_WR): the peer reads the bytes, then
// EOF, and may still answer; this end reads the answer.
TEST(SimPipe, CloseWriteEndsOneDirectionOnly) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    RunResult r = RunSeed(seed, [&] {
      PipeEnds ends = MakePipe({.capacity_bytes = 16});
      ASSERT_TRUE(ends.a->Write(AsBytes(std::string("last words"))).ok());
      ASSERT_TRUE(ends.a->CloseWrite().ok());
      ASSERT_TRUE(ends.a->CloseWrite().ok());  // idempotent
      EXPECT_TRUE(ends.a->Write(AsBytes(std::string("more"))).is(ErrorKind::kClosed));
      EXPECT_TRUE(ends.a->TryWrite(AsBytes(std::string("more"))).err.is(ErrorKind::kClosed));
      EXPECT_EQ(ReadAll(*ends.b, 4, nullptr), "last words");
      rt::Task answer = rt::spawn("answer", [&] {
        ASSERT_TRUE(ends.b->Write(AsBytes(std::string("a reply longer than 16"))).ok());
        ASSERT_TRUE(ends.b->Close().ok());
      });
      EXPECT_EQ(ReadAll(*ends.a, 5, nullptr), "a reply longer than 16");
      answer.join();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
  }
}

TEST(SimPipe, CloseUnblocksPendingReadAndWrite) {
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    RunResult r = RunSeed(seed, [&] {
      PipeEnds ends = MakePipe({.capacity_bytes = 4});
      Status read_err, write_err;
      rt::Task reader = rt::spawn("reader", [&] {
        uint8_t buf[8];
        read_err = ends.a->Read(MutableBytes(buf, sizeof buf)).err;
      });
      rt::Task writer =
          rt::spawn("writer", [&] { write_err = ends.a->Write(AsBytes(Pattern(64, 0))); });
      rt::sleep_for(std::chrono::milliseconds(1));  // both are parked by now
      ASSERT_TRUE(ends.a->Close().ok());
      reader.join();
      writer.join();
      EXPECT_TRUE(read_err.is(ErrorKind::kClosed)) << read_err;
      EXPECT_TRUE(write_err.is(ErrorKind::kClosed)) << write_err;
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
  }
}

TEST(SimPipe, ResetFailsBothEndsAsClosed) {
  RunResult r = RunSeed(9, [&] {
    PipeEnds ends = MakePipe({});
    ASSERT_TRUE(ends.a->Write(AsBytes(std::string("lost"))).ok());
    Status blocked_read;
    rt::Task reader = rt::spawn("reader", [&] {
      uint8_t buf[8];
      blocked_read = ends.a->Read(MutableBytes(buf, sizeof buf)).err;
    });
    rt::sleep_for(std::chrono::milliseconds(1));
    ends.pipe->Reset();
    reader.join();
    EXPECT_TRUE(blocked_read.is(ErrorKind::kClosed));
    EXPECT_NE(blocked_read.message().find("reset"), std::string::npos);
    uint8_t buf[8];
    ReadResult rb = ends.b->Read(MutableBytes(buf, sizeof buf));
    EXPECT_EQ(rb.n, 0u) << "bytes in flight are lost on a reset";
    EXPECT_TRUE(rb.err.is(ErrorKind::kClosed));
    EXPECT_TRUE(ends.b->Write(AsBytes(std::string("x"))).is(ErrorKind::kClosed));
    EXPECT_TRUE(ends.pipe->was_reset());
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
}

TEST(SimPipe, RandomResetsHappenAtChosenPoints) {
  int resets = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    bool was_reset = false;
    RunResult r = RunSeed(seed, [&] {
      PipeEnds ends = MakePipe({.capacity_bytes = 64, .reset_one_in = 8});
      rt::Task writer = rt::spawn("writer", [&] {
        for (int i = 0; i < 20; ++i) {
          if (!ends.a->Write(AsBytes(Pattern(10, i))).ok()) return;
        }
        (void)ends.a->Close();
      });
      uint8_t buf[16];
      for (int i = 0; i < 1000; ++i) {
        if (!ends.b->Read(MutableBytes(buf, sizeof buf)).err.ok()) break;
      }
      (void)ends.b->Close();
      writer.join();
      was_reset = ends.pipe->was_reset();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << Describe(r);
    resets += was_reset ? 1 : 0;
  }
  EXPECT_GT(resets, 0);
  EXPECT_LT(resets, 100);
}

TEST(SimPipe, SameSeedSameTrace) {
  auto body = [] {
    PipeEnds ends = MakePipe({.capacity_bytes = 16});
    rt::Task writer = rt::spawn("writer", [&] {
      (void)ends.a->Write(AsBytes(Pattern(200, 3)));
      (void)ends.a->Close();
    });
    ReadAll(*ends.b, 7, nullptr);
    writer.join();
  };
  RunResult first = RunSeed(42, body);
  RunResult second = RunSeed(42, body);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_NE(first.trace_hash, RunSeed(43, body).trace_hash);
}

}  // namespace
}  // namespace drpc::sim::net
