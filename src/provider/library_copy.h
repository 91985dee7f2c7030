// A provider library's bytes in a sealed anonymous file (a memfd): the host makes one from
// the bytes it verified (an archive's target library, checked against its claims' hash)
// when it starts a provider in a child process, and every start and restart of that
// child loads this copy through a descriptor (`provider-host --library-fd`), not the file
// the path names by then. The unpacked file in the shared cache may have been replaced
// since (another build with the same key and revision, started by another host) or
// removed (`wasmcloud drain`, a /tmp cleaner); neither reaches a running provider
// (docs/providers.md#a-restart-loads-what-was-verified).
#pragma once

#include <memory>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::provider {

class LibraryCopy {
 public:
  // Writes `bytes` into a new memfd named after `name` (shown in /proc/<pid>/maps) and
  // seals it against every change. kUnavailable when the system refuses (no memory, no
  // descriptors).
  static Result<std::shared_ptr<const LibraryCopy>> Make(ByteView bytes, std::string_view name);
  ~LibraryCopy();
  LibraryCopy(const LibraryCopy&) = delete;
  LibraryCopy& operator=(const LibraryCopy&) = delete;

  int fd() const { return fd_; }  // close-on-exec; read-only by its seals

 private:
  explicit LibraryCopy(int fd) : fd_(fd) {}
  int fd_;
};

// memfd_create(name, close-on-exec [| sealing allowed]), not executable by execve where
// the kernel knows that flag (Linux 6.3; mapping it executable, as dlopen does, still
// works), which also works where memfds must be so (vm.memfd_noexec=2). The name is cut to
// what the kernel takes.
Result<int> NewMemfd(std::string_view name, bool allow_sealing);

}  // namespace wasmcloud::provider
