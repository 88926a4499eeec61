// The examples' command line: `--name value` or `--name=value` for each
// known flag, `--help`. Anything else is a usage error (exit status 2).
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace examples {

inline constexpr int kExitUsage = 2;

enum class ParseOutcome { kOk, kHelp, kError };

// `flags` holds every known flag (without "--") and its default; parsed
// values replace the defaults. On kError, `error` says what was wrong.
inline ParseOutcome ParseFlags(int argc, char** argv, std::map<std::string, std::string>& flags,
                               std::string& error) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return ParseOutcome::kHelp;
    if (!arg.starts_with("--")) {
      error = "unexpected argument \"" + std::string(arg) + "\"";
      return ParseOutcome::kError;
    }
    arg.remove_prefix(2);
    std::string name(arg.substr(0, arg.find('=')));
    auto known = flags.find(name);
    if (known == flags.end()) {
      error = "unknown flag --" + name;
      return ParseOutcome::kError;
    }
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      known->second = std::string(arg.substr(eq + 1));
    } else if (i + 1 < argc) {
      known->second = argv[++i];
    } else {
      error = "flag --" + name + " needs a value";
      return ParseOutcome::kError;
    }
  }
  return ParseOutcome::kOk;
}

// A TCP port, 0..65535 (0: any free port, for a server).
inline bool ParsePort(const std::string& text, uint16_t& port) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

// Prints "<program>: <error>" and the usage to stderr; returns kExitUsage.
inline int UsageError(const char* program, const std::string& error, const char* usage) {
  std::fprintf(stderr, "%s: %s\n%s", program, error.c_str(), usage);
  return kExitUsage;
}

// ParseFlags for a main(): the exit status to leave with (0 after printing
// the usage for --help, kExitUsage after a usage error), or nullopt to go on.
inline std::optional<int> ParseCommandLine(const char* program, const char* usage, int argc,
                                           char** argv, std::map<std::string, std::string>& flags) {
  std::string error;
  switch (ParseFlags(argc, argv, flags, error)) {
    case ParseOutcome::kHelp:
      std::fputs(usage, stdout);
      return 0;
    case ParseOutcome::kError:
      return UsageError(program, error, usage);
    case ParseOutcome::kOk:
      break;
  }
  return std::nullopt;
}

}  // namespace examples
