// What a provider's child process (`wasmcloud provider-host`) does to itself before it
// loads the provider library (docs/providers.md#confinement-of-a-child): no new
// privileges, not dumpable, a higher OOM score than its host, an optional open-file limit
// and a seccomp filter that refuses the system calls a provider has no business making.
// (The memory limit is the host's: its supervisor watches the child's resident memory.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace wasmcloud::provider {

struct ConfinementOptions {
  // The seccomp filter (DeniedSyscalls() refused with EPERM, namespaces in clone refused,
  // clone3 answered ENOSYS so that libc falls back to clone, a system call of another
  // architecture ends the process). Off: --no-provider-seccomp.
  bool seccomp = true;
  // Not dumpable (PR_SET_DUMPABLE 0): other processes of the user, the other providers'
  // children included, cannot read its memory. Dumpable with the host's --dumpable.
  bool dumpable = false;
  // RLIMIT_NOFILE (soft and hard, at most the inherited hard limit); 0: unchanged.
  uint64_t max_open_files = 0;
  // Added to the inherited /proc/self/oom_score_adj (at most 1000), so that when memory
  // runs out the kernel ends a provider before its host.
  int oom_score_adj_raise = 500;
  // Run as this user and group (the host's --provider-user): the process, root until
  // then, sets its groups to `gid` alone, its group and then its user, and checks that it
  // cannot go back. Unset: the host's user. A failure is an error: the provider does not
  // run as root by mistake.
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

// The system calls the filter refuses with EPERM (names as libseccomp resolves them; a
// name this kernel or architecture lacks is skipped). ptrace is allowed in a build with
// AddressSanitizer: its leak check stops the process's threads with it at exit.
const std::vector<std::string>& DeniedSyscalls();

// Applies `options` to the calling process, every thread included. It should run before
// the process starts threads of its own. A kernel without seccomp leaves the process
// unfiltered, with a warning in the returned list (as does a failure to raise the OOM
// score); any other failure of the filter, or a limit that cannot be set, is an error:
// the provider does not run.
Result<std::vector<std::string>> ConfineProviderChild(const ConfinementOptions& options);

}  // namespace wasmcloud::provider
