// The connection timeouts (drpc/manager/timeouts.h) against hostile peers,
// with the server's default options: what issue 13 turned from known
// failures into passing scenarios.
//   hostile.slowloris       one byte per virtual second: closed by partial_frame
//   hostile.idle            a silent connection: closed by first_frame; a
//                           client that called once and went quiet: by idle
//   hostile.stalled-reader  a peer that stops reading its replies: closed by
//                           write_stall
// Each checks the connection is still held just before its timeout and
// closed just after it.
#pragma once

#include "sim/scenarios/scenario.h"

namespace drpc::sim::hostile {

void RegisterTimeoutScenarios(ScenarioRegistry& registry);

}  // namespace drpc::sim::hostile
