#include "wasm/engine.h"

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

}  // namespace wasmcloud::wasm
