// The `wasmcloud` binary: one process, many subcommands (see docs/cli.md).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"

namespace wasmcloud {
extern const char* const kGitCommit;  // generated at build time (cmake/GitCommit.cmake)
}

namespace {

std::string VersionText() {
  return std::string("wasmcloud ") + WC_VERSION + " (commit " + wasmcloud::kGitCommit +
         "; V8 " WC_V8_VERSION " from Debian libnode108 " WC_LIBNODE_VERSION ")";
}

// Edits (insert, delete, replace, swap of neighbours) from a to b.
size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// For a first argument that is not an option and names no command: the error, with the
// closest command when one is close (a typo or a prefix).
std::vector<CLI::App*> Commands(CLI::App& app) {
  return app.get_subcommands([](CLI::App*) { return true; });
}

bool IsCommand(CLI::App& app, const std::string& name) {
  for (CLI::App* sub : Commands(app)) {
    if (sub->check_name(name)) return true;
  }
  return false;
}

std::string UnknownCommand(CLI::App& app, std::string_view given) {
  std::string best;
  size_t best_distance = 3;  // at most 2 edits away
  for (const CLI::App* sub : Commands(app)) {
    const std::string& name = sub->get_name();
    if (sub->get_group().empty()) continue;  // hidden (provider-host)
    size_t distance = name.starts_with(given) && given.size() >= 2 ? 1 : Distance(given, name);
    if (distance < best_distance) {
      best = name;
      best_distance = distance;
    }
  }
  std::string text = "wasmcloud: unknown command \"" + std::string(given) + "\"";
  if (!best.empty()) text += "; did you mean \"" + best + "\"?";
  return text + " (wasmcloud --help lists the commands)";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wasmcloud: a wasmCloud host and its tools", "wasmcloud"};
  app.require_subcommand(1);
  app.set_version_flag("--version", VersionText());
  int exit_code = 0;
  wasmcloud::cli::AddUpCommand(app, &exit_code);
  wasmcloud::cli::AddCallCommand(app, &exit_code);
  wasmcloud::cli::AddCtlCommand(app, &exit_code);
  wasmcloud::cli::AddWapcCommand(app, &exit_code);
  wasmcloud::cli::AddKeysCommand(app, &exit_code);
  wasmcloud::cli::AddClaimsCommand(app, &exit_code);
  wasmcloud::cli::AddParCommand(app, &exit_code);
  wasmcloud::cli::AddProviderHostCommand(app, &exit_code);
#ifdef WC_WITH_OCI
  wasmcloud::cli::AddRegCommands(app, &exit_code);
#endif
  app.add_subcommand("version", "Print the version, the git commit and the V8 in use")
      ->callback([] { std::cout << VersionText() << "\n"; });

  if (argc == 1) {
    // No command: what there is to run, instead of CLI11's "A subcommand is required".
    std::cerr << app.help() << "wasmcloud: a command is required (wasmcloud up runs a host)\n";
    return 2;
  }
  if (argv[1][0] != '-' && !IsCommand(app, argv[1])) {
    std::cerr << UnknownCommand(app, argv[1]) << "\n";
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // CLI11 answers --help and --version with 0; every real parse error is a usage error.
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
