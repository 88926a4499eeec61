// Flooding peers against a server connection (a Manager over the sim pipe),
// with the resource checker watching both ends at every step. With today's
// library (no byte budget enforced, issue 13) each of these pushes the
// server connection over its ConnectionBudget, which the checker reports
// naming the connection and the category that grew.
//
//   sim::Run(decisions, FloodRunOptions(), [] { RunSlowHandlerFlood(); });
#pragma once

#include "sim/sched/run.h"

namespace drpc::sim::resources {

// The run options of the flood scenarios: room for the steps of tens of
// MiB moving through the pipe.
RunOptions FloodRunOptions();

// A client opens several streams and sends each many large messages while
// the server's handlers sleep before reading: the messages queue in the
// server's receive rings (256 slots each, no byte bound) until the
// connection holds more than its budget.
void RunSlowHandlerFlood();

// A raw peer invokes many streams and sends each one almost 4 MiB of a
// Message packet whose last frame never comes: every stream's assembler
// holds its partial packet until the connection holds more than its budget.
void RunPartialMessageFlood();

// A raw peer makes many unary calls and never reads: each handler's reply
// of almost 4 MiB waits on back-pressure, encoded in its stream's marshal
// buffer, until the connection holds more than its budget.
void RunUnreadRepliesFlood();

}  // namespace drpc::sim::resources
