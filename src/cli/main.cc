// The `wasmcloud` binary: one process, many subcommands (see docs/cli.md).
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"wasmcloud: a wasmCloud host and its tools"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "wasmcloud 0.1.0 (V8 " WC_V8_VERSION " from Debian libnode108 " WC_LIBNODE_VERSION ")");
  int exit_code = 0;
  wasmcloud::cli::AddUpCommand(app, &exit_code);
  wasmcloud::cli::AddCallCommand(app, &exit_code);
  wasmcloud::cli::AddWapcCommand(app, &exit_code);
  wasmcloud::cli::AddKeysCommand(app, &exit_code);
  wasmcloud::cli::AddClaimsCommand(app, &exit_code);
  wasmcloud::cli::AddParCommand(app, &exit_code);
  wasmcloud::cli::AddProviderHostCommand(app, &exit_code);
#ifdef WC_WITH_OCI
  wasmcloud::cli::AddRegCommands(app, &exit_code);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // CLI11 answers --help and --version with 0; every real parse error is a usage error.
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
