#include "sim/cli/program_path.h"

#include <limits.h>
#include <stdlib.h>

#include <memory>

namespace drpc::sim::cli {
namespace {

// The canonical absolute path (symlinks resolved), or empty.
std::string Canonical(const std::string& path) {
  std::unique_ptr<char, decltype(&free)> resolved(realpath(path.c_str(), nullptr), &free);
  return resolved ? std::string(resolved.get()) : std::string();
}

}  // namespace

std::string ProgramForReplay(const std::string& repo_root, const std::string& fallback) {
  const std::string exe = Canonical("/proc/self/exe");
  if (exe.empty()) return fallback;
  std::string root = Canonical(repo_root);
  if (root.empty()) return exe;
  if (root.back() != '/') root += '/';
  return exe.compare(0, root.size(), root) == 0 ? exe.substr(root.size()) : exe;
}

}  // namespace drpc::sim::cli
