// The child's side of a provider run in its own process: `wasmcloud provider-host`
// (docs/providers.md#isolation-providers-in-a-child-process-supervised).
#pragma once

#include <optional>
#include <string>

#include "core/log.h"
#include "provider/child_confinement.h"

namespace wasmcloud::provider {

struct ProviderChildOptions {
  int fd = 3;           // the host's end of the socket pair
  std::string library;  // the .so to load (C ABI of include/wasmcloud/provider.h)
  // A descriptor of the library to load instead of opening `library` (which then only
  // names it): the host's sealed copy of what it verified (library_copy.h).
  int library_fd = -1;
  std::optional<std::string> contract;  // checked against the provider's when given
  LogLevel log_level = LogLevel::kInfo;
  // The host started this process as the leader of a process group of its own: when the
  // host is gone, the process ends that whole group (what its provider started).
  bool own_group = false;
  // The host started this process as process 1 of a PID namespace of its own
  // (pid_namespace.h): it runs the provider in a child process and reports how that ended
  // on this descriptor (kStatusFd); -1: not so started.
  int status_fd = -1;
  // With status_fd: process 1 makes a mount namespace of its own with a /proc of its PID
  // namespace, so that the provider sees only the namespace's processes (a failure is
  // logged at warn, and the provider sees the host's /proc).
  bool mount_proc = false;
  // Applied before the library is loaded (child_confinement.h).
  ConfinementOptions confinement;
};

// Loads the library, says hello (or why it could not load) and serves the host's frames
// until the host stops it or goes away. Installs a log sink that sends this process's log
// lines to the host. Returns the process exit code: 0 after a stop (2 when the channel
// broke after it), 1 when the process could not be confined or the library could not be
// loaded. When the host is gone (the channel closed without a stop, the hello could not
// be sent, or the process was orphaned) it says so on stderr and ends at once: with
// `own_group`, by SIGKILL to its process group (itself and what its provider started);
// otherwise it exits 0.
int RunProviderChild(const ProviderChildOptions& options);

}  // namespace wasmcloud::provider
