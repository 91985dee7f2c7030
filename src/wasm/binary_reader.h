// A bounded cursor over untrusted WebAssembly bytes, and the small encoders the module
// editor needs. Internal to the wasm layer (module_info.cc); not a public interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::wasm {

// "0x2f": how every error of the inspector names a byte offset.
std::string HexOffset(size_t offset);

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, <= U+10FFFF),
// which is what the binary format requires of every name.
bool IsValidUtf8(std::string_view s);

// Appends the minimal unsigned LEB128 encoding of `value`.
void AppendLeb128(Bytes& out, uint64_t value);
// The number of bytes AppendLeb128 writes for `value`.
size_t Leb128Size(uint64_t value);

// Reads [offset, limit) of a module. Offsets are absolute (from the start of the
// module) so that error messages can name them. Every read is checked against `limit`,
// never against the end of the whole buffer; a failed read is a kMalformed error of the
// form "<what> runs past the end of the <scope> (offset 0x..)" and leaves the cursor
// where it was.
class BinaryReader {
 public:
  // `scope` names what `limit` is the end of in messages: "section", "module", ...
  // Requires offset <= limit <= data.size().
  BinaryReader(ByteView data, size_t offset, size_t limit, std::string_view scope);

  size_t offset() const { return offset_; }
  size_t limit() const { return limit_; }
  size_t remaining() const { return limit_ - offset_; }
  bool at_end() const { return offset_ == limit_; }

  Result<uint8_t> ReadByte(std::string_view what);
  // Unsigned LEB128 of at most ceil(N/7) bytes whose unused high bits are zero (the
  // spec allows non-minimal encodings within that length).
  Result<uint32_t> ReadU32(std::string_view what);
  Result<uint64_t> ReadU64(std::string_view what);
  // A vector length: also checks that `count` items of at least `min_item_size` bytes
  // each can fit in what is left, so that callers may size containers from it.
  Result<uint32_t> ReadCount(std::string_view what, size_t min_item_size);
  Result<ByteView> ReadBytes(size_t n, std::string_view what);
  Status Skip(size_t n, std::string_view what);
  // A length-prefixed UTF-8 name.
  Result<std::string> ReadName(std::string_view what);

  // An error "<message> (offset 0x..)" at the current offset.
  Status ErrorHere(std::string_view message) const;
  Status ErrorAt(size_t offset, std::string_view message) const;

 private:
  Result<uint64_t> ReadLeb(std::string_view what, unsigned bits);
  Status PastEnd(std::string_view what, size_t at) const;

  ByteView data_;
  size_t offset_;
  size_t limit_;
  std::string scope_;
};

}  // namespace wasmcloud::wasm
