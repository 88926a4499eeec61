// What the error-code tests share on both backends: a Mux whose handler
// returns the error a request names, and the table of those errors with
// the code and text the client must see.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/status.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"

namespace drpc::rpc::testing {

inline constexpr char kFailWith[] = "/codes.Codes/FailWith";

struct CodeCase {
  std::string name;                         // the request: which error the handler returns
  std::function<Status(std::string)> make;  // the error, with a text
  StatusCode want;                          // the client's code()
  uint64_t want_wire;                       // the Error packet's code
};

inline std::vector<CodeCase> CodeCases() {
  std::vector<CodeCase> cases = {
      {"Canceled", [](std::string t) { return CanceledError(std::move(t)); }, StatusCode::kCanceled,
       1},
      {"Unknown", [](std::string t) { return UnknownError(std::move(t)); }, StatusCode::kUnknown,
       2},
      {"InvalidArgument", [](std::string t) { return InvalidArgumentError(std::move(t)); },
       StatusCode::kInvalidArgument, 3},
      {"DeadlineExceeded", [](std::string t) { return DeadlineExceededError(std::move(t)); },
       StatusCode::kDeadlineExceeded, 4},
      {"NotFound", [](std::string t) { return NotFoundError(std::move(t)); }, StatusCode::kNotFound,
       5},
      {"AlreadyExists", [](std::string t) { return AlreadyExistsError(std::move(t)); },
       StatusCode::kAlreadyExists, 6},
      {"PermissionDenied", [](std::string t) { return PermissionDeniedError(std::move(t)); },
       StatusCode::kPermissionDenied, 7},
      {"ResourceExhausted", [](std::string t) { return ResourceExhaustedError(std::move(t)); },
       StatusCode::kResourceExhausted, 8},
      {"FailedPrecondition", [](std::string t) { return FailedPreconditionError(std::move(t)); },
       StatusCode::kFailedPrecondition, 9},
      {"Aborted", [](std::string t) { return AbortedError(std::move(t)); }, StatusCode::kAborted,
       10},
      {"OutOfRange", [](std::string t) { return OutOfRangeError(std::move(t)); },
       StatusCode::kOutOfRange, 11},
      {"Unimplemented", [](std::string t) { return UnimplementedError(std::move(t)); },
       StatusCode::kUnimplemented, 12},
      {"Internal", [](std::string t) { return InternalError(std::move(t)); }, StatusCode::kInternal,
       13},
      {"Unavailable", [](std::string t) { return UnavailableError(std::move(t)); },
       StatusCode::kUnavailable, 14},
      {"DataLoss", [](std::string t) { return DataLossError(std::move(t)); }, StatusCode::kDataLoss,
       15},
      {"Unauthenticated", [](std::string t) { return UnauthenticatedError(std::move(t)); },
       StatusCode::kUnauthenticated, 16},
      // An application's own code travels as it is.
      {"Own", [](std::string t) { return WithCode(DrpcError(std::move(t)), 1000); },
       static_cast<StatusCode>(1000), 1000},
      // A plain error without a code (Go: errors.New): code 0, Unknown.
      {"Plain", [](std::string t) { return DrpcError(std::move(t)); }, StatusCode::kUnknown, 0},
      // The library's transport classes go without a code, as in Go.
      {"Closed", [](std::string t) { return ClosedError(std::move(t)); }, StatusCode::kUnknown, 0},
  };
  return cases;
}

// Returns the error the request names.
inline void RegisterFailWith(Mux& mux) {
  mux.RegisterUnary<std::string, std::string>(
      kFailWith, [](ServerCall&, const std::string& name, std::string&) -> Status {
        for (const CodeCase& c : CodeCases()) {
          if (c.name == name) return c.make("text of " + name);  // no two texts alike
        }
        return InvalidArgumentError("no case " + name);
      });
}

// Every case's error reaches the client with its code and text.
inline void ExpectEveryCodeRoundTrips(Conn& conn) {
  for (const CodeCase& c : CodeCases()) {
    std::string reply;
    const Status st = conn.Invoke(kFailWith, c.name, reply);
    EXPECT_TRUE(st.is(ErrorKind::kRemote)) << c.name << ": " << st;
    EXPECT_EQ(st.code(), c.want) << c.name << ": " << st;
    EXPECT_EQ(st.wire_code(), c.want_wire) << c.name << ": " << st;
    EXPECT_EQ(st.message(), "text of " + c.name) << c.name;
  }
}

}  // namespace drpc::rpc::testing
