// The host settings of `wasmcloud up` and `wasmcloud call`: one flag per HostConfig
// field, registered from the table of host/host_config.h, with the WASMCLOUD_*
// environment variable as the fallback of each flag.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "host/host_config.h"

namespace CLI {
class App;
}

namespace wasmcloud::cli {

class HostOptions {
 public:
  // Adds every option of host::ConfigOptions() to `cmd`.
  void Register(CLI::App& cmd);
  // Defaults, then for each option: its flags when given, else its environment variable.
  Result<host::HostConfig> Resolve() const;
  // What the configuration says about the process itself: not dumpable unless
  // config.dumpable (docs/security.md). `up` and `call` apply the defaults first thing,
  // before the seed or any file is read (making a process non-dumpable does not end an
  // attachment made before), and the resolved configuration after.
  static void ApplyToProcess(const host::HostConfig& config);
  // True when --log-level or WASMCLOUD_LOG_LEVEL was given.
  bool log_level_given() const;

 private:
  // By flag: the values given on the command line (a switch: one "true").
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, bool> switches_;
};

}  // namespace wasmcloud::cli
