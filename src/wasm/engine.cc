#include "wasm/engine.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

namespace wasmcloud::wasm {

std::optional<std::span<uint8_t>> GuestMemory::Slice(uint64_t offset, uint64_t length) {
  size_t n = size();
  // Written so that offset + length cannot overflow.
  if (offset > n || length > n - offset) return std::nullopt;
  return std::span<uint8_t>(base() + offset, static_cast<size_t>(length));
}

bool GuestMemory::Write(uint64_t offset, ByteView data) {
  auto s = Slice(offset, data.size());
  if (!s) return false;
  if (!data.empty()) std::memcpy(s->data(), data.data(), data.size());
  return true;
}

bool GuestMemory::Read(uint64_t offset, uint64_t length, Bytes* out) {
  auto s = Slice(offset, length);
  if (!s) return false;
  out->assign(s->begin(), s->end());
  return true;
}

void GuestMemory::Discard() {
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto start = reinterpret_cast<uintptr_t>(base());
  const uintptr_t first = (start + page - 1) / page * page;
  const uintptr_t end = (start + size()) / page * page;
  // Best effort: on failure the pages are freed later, with the memory itself.
  if (end > first) madvise(reinterpret_cast<void*>(first), end - first, MADV_DONTNEED);
}

}  // namespace wasmcloud::wasm
