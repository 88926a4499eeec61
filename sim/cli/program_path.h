// What a replay line calls drpc-sim: a path that works when the line is
// pasted in a shell at the repository root (README "Replaying a failure").
// The path as invoked (argv[0]) does not: it is relative to wherever the
// sweep was started, or a bare name found on PATH.
#pragma once

#include <string>

namespace drpc::sim::cli {

// The running executable's path relative to `repo_root` if it lies inside
// it (build/default/sim/cli/drpc-sim), else its absolute path; `fallback`
// if the executable's path cannot be read.
std::string ProgramForReplay(const std::string& repo_root, const std::string& fallback);

}  // namespace drpc::sim::cli
