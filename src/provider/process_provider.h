// Providers in a child process, supervised (docs/providers.md#isolation-providers-in-a-
// child-process-supervised). LaunchProviderProcess starts `wasmcloud provider-host` on a
// library and returns an ordinary Provider: the host runs it like an in-process one, and
// supervision (crash detection, restart with backoff, links bound again, giving up,
// deadlines and killing a stuck child) lives behind that interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/status.h"
#include "provider/library_copy.h"
#include "provider/provider.h"

namespace wasmcloud::provider {

struct ProcessProviderOptions {
  std::string executable;  // the wasmcloud binary (it has `provider-host`)
  std::string library;     // the provider's .so
  // The bytes every start and restart of the child loads (the host's sealed copy of what
  // it verified, library_copy.h); `library` then only names them. Unset: the child opens
  // `library` at each start.
  std::shared_ptr<const LibraryCopy> library_copy;
  std::optional<std::string> contract;   // the contract it must implement, when known
  std::string display;                   // names it in log lines before the host starts it
  LogLevel log_level = LogLevel::kInfo;  // the child's log level
  // What the child does to itself before it loads the library (child_confinement.h):
  // the seccomp filter, staying dumpable, its open-file limit (0: as inherited).
  bool seccomp = true;
  bool dumpable = false;
  // The child starts in a PID namespace of its own (pid_namespace.h), where it cannot
  // name the host's processes; where the kernel refuses one, without, with a warning.
  bool pid_namespace = true;
  uint64_t max_open_files = 0;
  // The user and group the child runs as (the host's --provider-user; needs a host that
  // runs as root); unset: the host's.
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
  // Variables of the host's environment the child does not get (the host's own settings
  // and credentials: its seed, NATS JWTs and seeds, registry passwords); it gets the rest.
  std::vector<std::string> hidden_environment;
  // The supervisor kills (and restarts) a child whose resident memory is above this many
  // MiB, checked every memory_check_interval; 0: never.
  uint64_t max_memory_mb = 0;
  std::chrono::milliseconds memory_check_interval{250};
  std::chrono::milliseconds call_timeout{10000};     // handle_call
  std::chrono::milliseconds load_timeout{10000};     // spawn, dlopen, create, hello
  std::chrono::milliseconds control_timeout{10000};  // start, bind, remove, stop
  std::chrono::milliseconds health_timeout{2000};
  // A request still unanswered this long after its deadline: the child is killed (and
  // restarted like a crashed one).
  std::chrono::milliseconds kill_grace{2000};
  // Restart delay after a crash: `restart_backoff` doubled for each crash in the window,
  // at most `max_backoff`.
  std::chrono::milliseconds restart_backoff{250};
  std::chrono::milliseconds max_backoff{30000};
  // More than `max_crashes` crashes within `crash_window`: given up on.
  unsigned max_crashes = 5;
  std::chrono::milliseconds crash_window{60000};
};

// Spawns the child, waits for it to load the library (bounded by load_timeout) and
// returns the provider. Errors: kUnavailable when the child cannot be spawned, crashes
// while loading ("... crashed while loading: killed by signal 6 (SIGABRT)") or does not
// say hello in time; the child's own load error (kNotFound, kInvalidArgument,
// kFailedPrecondition as LoadNativeProvider) with its message.
Result<std::shared_ptr<Provider>> LaunchProviderProcess(ProcessProviderOptions options);

}  // namespace wasmcloud::provider
