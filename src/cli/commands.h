// Subcommands of the `wasmcloud` binary. Each Add*Command registers itself on `app` and,
// when it runs, stores the process exit code in `*exit_code`:
//   0 success, 1 the operation failed (guest error, claims do not verify, ...),
//   2 bad arguments or unusable input (a module that does not load, a bad flag value).
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace wasmcloud::cli {

void AddWapcCommand(CLI::App& app, int* exit_code);
void AddKeysCommand(CLI::App& app, int* exit_code);
void AddClaimsCommand(CLI::App& app, int* exit_code);
void AddUpCommand(CLI::App& app, int* exit_code);
void AddCallCommand(CLI::App& app, int* exit_code);
// `ctl`: the lattice client (cmd_ctl.cc, docs/control-v1.md).
void AddCtlCommand(CLI::App& app, int* exit_code);
// What every failure of `ctl -o json` prints on stdout: {"success":false,"message":…}.
void PrintCtlJsonFailure(const std::string& message);
void AddParCommand(CLI::App& app, int* exit_code);
// The hidden `provider-host` child of a provider run in its own process.
void AddProviderHostCommand(CLI::App& app, int* exit_code);
// `reg push`, `reg pull` and `drain` (cmd_reg.cc; built when src/oci is).
void AddRegCommands(CLI::App& app, int* exit_code);

}  // namespace wasmcloud::cli
