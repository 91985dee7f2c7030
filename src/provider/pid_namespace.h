// Starting a provider child in a PID namespace of its own (docs/providers.md, "A PID
// namespace of its own"): the child (`provider-host`) is the namespace's process 1, runs
// the provider in a process below it and reaps; nothing in the namespace can name a
// process of the host's namespace, so the provider cannot signal, re-limit,
// re-prioritise or pidfd the host or its other children by process id, whatever its user.
// Only for a host that runs as root: a host that is not would need a user namespace for
// it, owned by its user, and every process of that user could then trace the children
// despite their being non-dumpable.
#pragma once

#include <sys/types.h>

#include <vector>

#include "core/status.h"

namespace wasmcloud::provider {

// The descriptor, in the child, on which its process 1 writes how the provider's process
// ended (its wait status, 4 bytes in this machine's order) before it exits.
constexpr int kStatusFd = 4;
// Where a child in a namespace of its own gets the library it loads (a descriptor of the
// host's copy; `provider-host --library-fd`).
constexpr int kLibraryFd = 5;

struct NamespaceSpawn {
  const char* path = nullptr;  // execve's
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  // Become the child's 1, 2, 3 and kStatusFd (0 is /dev/null); every other descriptor is
  // closed.
  int stdout_fd = -1;
  int stderr_fd = -1;
  int channel_fd = -1;
  int status_fd = -1;
  // Becomes kLibraryFd when set (the provider's library, process_provider.h).
  int library_fd = -1;
  // Set to their default action (the rest of what the host catches is reset by execve;
  // what it ignores stays ignored). The child starts with no signal blocked.
  std::vector<int> default_signals;
};

// True when this process may make PID namespaces for its children (it runs as root).
bool CanMakePidNamespaces();

// Starts `spawn` as the leader of a process group of its own in a new PID namespace. The
// pid is the child's in this process's namespace. Errors: kFailedPrecondition when the
// kernel or its configuration refuses the namespace (EPERM: a container without
// CAP_SYS_ADMIN or whose seccomp profile refuses it; EINVAL/ENOSYS: a kernel without
// them), with the reason, for the caller to start the child without one; kUnavailable
// when the system lacks resources for it (EAGAIN, ENOMEM, ENOSPC: the namespace limit) or
// the program cannot be executed.
Result<pid_t> SpawnInPidNamespace(const NamespaceSpawn& spawn);

}  // namespace wasmcloud::provider
