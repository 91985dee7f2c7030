#include "provider/library_copy.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace wasmcloud::provider {

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif

Result<int> NewMemfd(std::string_view name, bool allow_sealing) {
  // At most 249 bytes.
  const std::string n(name.substr(0, 200));
  const unsigned flags = MFD_CLOEXEC | (allow_sealing ? MFD_ALLOW_SEALING : 0U);
  int fd = ::memfd_create(n.c_str(), flags | MFD_NOEXEC_SEAL);
  if (fd < 0 && errno == EINVAL) fd = ::memfd_create(n.c_str(), flags);  // before 6.3
  if (fd < 0) return Unavailable(std::string("cannot make a memfd: ") + std::strerror(errno));
  return fd;
}

Result<std::shared_ptr<const LibraryCopy>> LibraryCopy::Make(ByteView bytes,
                                                             std::string_view name) {
  auto fail = [&](std::string_view what, int err) {
    return Unavailable("cannot copy the provider library " + std::string(name) + " (" +
                       std::string(what) + "): " + std::strerror(err));
  };
  Result<int> made = NewMemfd(name, true);
  if (!made.ok()) return Unavailable(made.status().message() + " for " + std::string(name));
  const int fd = *made;
  struct CloseOnReturn {
    int fd;
    ~CloseOnReturn() { ::close(fd); }
  } writable{fd};
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write", errno);
    if (n == 0) return fail("write", EIO);
    off += static_cast<size_t>(n);
  }
  // Nothing may change it from now on, neither the host nor a child that gets a
  // descriptor of it.
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
    return fail("seal", errno);
  }
  // What is kept (and handed to children) is a read-only description of its own: a child
  // shares neither the offset nor the write mode of the one the bytes went through.
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  const int ro = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
  if (ro < 0) return fail("reopen", errno);
  return std::shared_ptr<const LibraryCopy>(new LibraryCopy(ro));
}

LibraryCopy::~LibraryCopy() { ::close(fd_); }

}  // namespace wasmcloud::provider
