// What a provider's child process (`wasmcloud provider-host`) does to itself before it
// loads the provider library (docs/providers.md#confinement-of-a-child): no new
// privileges, a higher OOM score than its host, optional resource limits and a seccomp
// filter that refuses the system calls a provider has no business making.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace wasmcloud::provider {

struct ConfinementOptions {
  // The seccomp filter (kDeniedSyscalls refused with EPERM, namespaces in clone refused,
  // clone3 answered ENOSYS so that libc falls back to clone). Off: --no-provider-seccomp.
  bool seccomp = true;
  // RLIMIT_AS in bytes (soft and hard, at most the inherited hard limit); 0: unchanged.
  // Not applied in a build with AddressSanitizer or ThreadSanitizer, whose shadow memory
  // alone is larger than any such limit.
  uint64_t max_memory_bytes = 0;
  // RLIMIT_NOFILE (soft and hard, at most the inherited hard limit); 0: unchanged.
  uint64_t max_open_files = 0;
  // Added to the inherited /proc/self/oom_score_adj (at most 1000), so that when memory
  // runs out the kernel ends a provider before its host.
  int oom_score_adj_raise = 500;
};

// The system calls the filter refuses with EPERM (names as libseccomp resolves them; a
// name this kernel or architecture lacks is skipped). ptrace is allowed in a build with
// AddressSanitizer: its leak check stops the process's threads with it at exit.
const std::vector<std::string>& DeniedSyscalls();

// Applies `options` to the calling process, every thread included. It should run before
// the process starts threads of its own. A step the system does not allow (no seccomp in
// the kernel) is skipped and named in the returned warnings; only a failure that would
// leave the process in a state other than asked (a limit that could not be set) is an
// error.
Result<std::vector<std::string>> ConfineProviderChild(const ConfinementOptions& options);

}  // namespace wasmcloud::provider
