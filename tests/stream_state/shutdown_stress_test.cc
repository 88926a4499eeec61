// The two-phase shutdown race on real threads (label tsan: also built and run
// by the tsan preset, where the data-race detector watches the stream's
// flags and signals). Each round: the connection's reader delivers messages
// into a small ring, a consumer receives until an error, a writer sends
// split messages, and a terminator ends
// the stream in one of five ways. The stream's checked assertions watch fin;
// the test checks FIFO, the final error, one on_finished call and that every
// pooled buffer came home.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "drpc/rt/task.h"
#include "tests/stream_state/stream_testing.h"

namespace drpc::stream {
namespace {

using testing::Harness;
using wire::Kind;

constexpr int kMessages = 20;

void Round(int round) {
  SCOPED_TRACE(round);
  StreamOptions options;
  options.ring.capacity = 2;
  options.split_size = 4;
  Harness h(static_cast<uint64_t>(round + 1), Role::kServer, options);
  const int how = round % 5;
  std::vector<std::string> received;
  Status recv_final;
  Status reader_problem;

  rt::Task reader = rt::spawn("reader", [&] {
    for (int i = 0; i < kMessages; ++i) {
      Status st = h.Deliver(Kind::kMessage, "message " + std::to_string(i));
      if (!st.ok()) reader_problem = st;
    }
    if (how == 4) {
      Status st = h.DeliverError(9, "remote failure");
      if (!st.ok()) reader_problem = st;
    }
  });
  rt::Task consumer = rt::spawn("consumer", [&] {
    for (int i = 0; i <= kMessages; ++i) {
      Result<std::string> got = h.Recv();
      if (!got.ok()) {
        recv_final = got.status();
        return;
      }
      received.push_back(*got);
    }
  });
  rt::Task writer = rt::spawn("writer", [&] {
    for (int i = 0; i < 10; ++i) {
      if (!h.Send("outgoing message number " + std::to_string(i)).ok()) return;
    }
  });
  rt::Task terminator = rt::spawn("terminator", [&] {
    switch (how) {
      case 0:
        (void)h.stream->Close();
        break;
      case 1:
        h.stream->Cancel(CanceledError());
        break;
      case 2:
        (void)h.stream->SendCancel(DeadlineExceededError());
        break;
      case 3:
        (void)h.stream->SendError(Status(ErrorKind::kInternal, "handler failed", 2));
        break;
      default:
        break;  // the reader delivers a remote Error
    }
  });
  reader.join();
  writer.join();
  terminator.join();
  consumer.join();

  EXPECT_TRUE(reader_problem.ok()) << reader_problem;
  ASSERT_TRUE(h.stream->finished().is_set());
  EXPECT_EQ(h.finished_calls.load(), 1);
  for (size_t i = 0; i < received.size(); ++i) {
    ASSERT_EQ(received[i], "message " + std::to_string(i));
  }
  EXPECT_EQ(recv_final, h.stream->termination_error());
  if (how == 4) {
    EXPECT_EQ(recv_final, RemoteError("remote failure", 9));
    EXPECT_EQ(received.size(), static_cast<size_t>(kMessages));
  }
  // Drain; then the stream goes and the Harness checks the pool.
  for (int i = 0; i <= kMessages && h.Recv().ok(); ++i) {
  }
  EXPECT_EQ(h.pool->stats().lent, 0u);
}

TEST(StreamShutdownStress, TerminatorsRaceReaderConsumerAndWriter) {
  for (int round = 0; round < 400; ++round) {
    Round(round);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace drpc::stream
