// The `wasmcloud` binary: one process, many subcommands (see docs/cli.md).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "cli/commands.h"
#include "core/text.h"
#include "nats/nats_connection.h"

namespace wasmcloud {
extern const char* const kGitCommit;  // generated at build time (cmake/GitCommit.cmake)
}

namespace {

std::string VersionText() {
  return std::string("wasmcloud ") + WC_VERSION + " (commit " + wasmcloud::kGitCommit +
         "; V8 " WC_V8_VERSION " from Debian libnode108 " WC_LIBNODE_VERSION ")";
}

// For a first argument that is not an option and names no command: the error, with the
// closest command when one is close (a typo or a prefix).
std::vector<CLI::App*> Commands(CLI::App& app) {
  return app.get_subcommands([](CLI::App*) { return true; });
}

std::string UnknownCommand(CLI::App& app, std::string_view given, const std::string& path) {
  std::string best;
  size_t best_distance = 3;  // at most 2 edits away
  for (const CLI::App* sub : Commands(app)) {
    const std::string& name = sub->get_name();
    if (sub->get_group().empty()) continue;  // hidden (provider-host)
    size_t distance =
        name.starts_with(given) && given.size() >= 2 ? 1 : wasmcloud::EditDistance(given, name);
    if (distance < best_distance) {
      best = name;
      best_distance = distance;
    }
  }
  std::string text = path + ": unknown command \"" + std::string(given) + "\"";
  if (!best.empty()) text += "; did you mean \"" + best + "\"?";
  return text + " (" + path + " --help lists the commands)";
}

// For the arguments CLI11 did not expect (`extras`, its ExtrasError's words): a manifest
// given to `up` or `call` without -m (`wasmcloud up demo.yaml`) gets the line that says
// how; "" otherwise.
std::string ManifestHint(int argc, char** argv, std::string_view extras) {
  if (argc < 2) return "";
  const std::string_view command = argv[1];
  if (command != "up" && command != "call") return "";
  // "The following argument(s) was/were not expected: a b"
  const size_t colon = extras.find(": ");
  if (colon == std::string_view::npos) return "";
  std::istringstream words{std::string(extras.substr(colon + 2))};
  for (std::string word; words >> word;) {
    if (word.ends_with(".yaml") || word.ends_with(".yml") || word.ends_with(".json")) {
      return "a manifest is given with -m: wasmcloud " + std::string(command) + " -m " + word;
    }
  }
  return "";
}

// Walks the commands named at the start of argv (`ctl get links`): an unknown one, or an
// option given before the last command (the options belong to the command that runs),
// is said here; CLI11 would say "A subcommand is required" or list the arguments it did
// not expect, in reverse. Empty when the command line is fine so far.
std::string CheckCommandPath(CLI::App& app, int argc, char** argv) {
  CLI::App* at = &app;
  std::string path = "wasmcloud";
  for (int i = 1; i < argc && !Commands(*at).empty(); ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help" || arg == "--version") return "";
    if (arg.starts_with("-")) {
      if (at->get_option_no_throw(arg.substr(0, arg.find('='))) != nullptr) return "";
      return path + ": options come after the command (" + path +
             " --help lists the commands), got \"" + arg + "\" before it";
    }
    CLI::App* next = nullptr;
    for (CLI::App* sub : Commands(*at)) {
      if (sub->check_name(arg)) next = sub;
    }
    if (next == nullptr) return UnknownCommand(*at, arg, path);
    at = next;
    path += " " + next->get_name();
  }
  if (!Commands(*at).empty() && at->get_require_subcommand_min() > 0) {
    return path + ": a command is required (" + path + " --help lists the commands)";
  }
  return "";
}

// `wasmcloud ctl … -o json`: every failure of ctl is one JSON value on stdout
// (docs/cli.md), a bad argument too, which CLI11 (or CheckCommandPath) refuses before any
// ctl code runs.
bool CtlWantsJson(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) != "ctl") return false;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg == "-ojson" || arg == "--output=json" || arg == "--format=json") return true;
    if ((arg == "-o" || arg == "--output" || arg == "--format") && i + 1 < argc &&
        std::string_view(argv[i + 1]) == "json") {
      return true;
    }
  }
  return false;
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
  if (argv[1][0] != '-') {
    if (std::string wrong = CheckCommandPath(app, argc, argv); !wrong.empty()) {
      if (CtlWantsJson(argc, argv)) wasmcloud::cli::PrintCtlJsonFailure(wrong);
      std::cerr << wrong << "\n";
      return 2;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != 0 && CtlWantsJson(argc, argv))
      wasmcloud::cli::PrintCtlJsonFailure(e.what());
    int rc = app.exit(e);
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
      if (std::string hint = ManifestHint(argc, argv, e.what()); !hint.empty()) {
        std::cerr << hint << "\n";
      }
    }
    // CLI11 answers --help and --version with 0; every real parse error is a usage error.
    return rc == 0 ? 0 : 2;
  }
  // The command's NATS connections are gone; their libnats threads may not be yet.
  wasmcloud::nats::CloseLibraryAtExit(std::chrono::seconds(2));
  return exit_code;
}
