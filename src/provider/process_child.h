// The child's side of a provider run in its own process: `wasmcloud provider-host`
// (docs/providers.md#isolation-providers-in-a-child-process-supervised).
#pragma once

#include <optional>
#include <string>

#include "core/log.h"
#include "provider/child_confinement.h"

namespace wasmcloud::provider {

struct ProviderChildOptions {
  int fd = 3;                           // the host's end of the socket pair
  std::string library;                  // the .so to load (C ABI of include/wasmcloud/provider.h)
  std::optional<std::string> contract;  // checked against the provider's when given
  LogLevel log_level = LogLevel::kInfo;
  // Applied before the library is loaded (child_confinement.h).
  ConfinementOptions confinement;
};

// Loads the library, says hello (or why it could not load) and serves the host's frames
// until the host stops it or goes away. Installs a log sink that sends this process's log
// lines to the host. Returns the process exit code: 0 after a stop (2 when the channel
// broke after it), 1 when the library could not be loaded. When the host is gone (or
// closed the channel without a stop) the process ends at once with SIGKILL to its
// process group (of its own when the host started it: what the provider started goes
// too), or exits 0 when it leads no group.
int RunProviderChild(const ProviderChildOptions& options);

}  // namespace wasmcloud::provider
