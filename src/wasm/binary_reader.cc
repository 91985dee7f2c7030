#include "wasm/binary_reader.h"

#include <cstdio>

namespace wasmcloud::wasm {

std::string HexOffset(size_t offset) {
  char buf[2 + 2 * sizeof(size_t) + 1];
  std::snprintf(buf, sizeof buf, "0x%zx", offset);
  return buf;
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    uint32_t min_cp;
    if ((b0 & 0xe0) == 0xc0) {
      len = 2, cp = b0 & 0x1f, min_cp = 0x80;
    } else if ((b0 & 0xf0) == 0xe0) {
      len = 3, cp = b0 & 0x0f, min_cp = 0x800;
    } else if ((b0 & 0xf8) == 0xf0) {
      len = 4, cp = b0 & 0x07, min_cp = 0x10000;
    } else {
      return false;  // a continuation byte or 0xf8..0xff where a sequence must start
    }
    if (s.size() - i < len) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3f);
    }
    // Overlong forms would let two byte strings name the same thing; surrogates and
    // values past U+10FFFF are not scalar values.
    if (cp < min_cp || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

void AppendLeb128(Bytes& out, uint64_t value) {
  do {
    uint8_t b = value & 0x7f;
    value >>= 7;
    if (value != 0) b |= 0x80;
    out.push_back(b);
  } while (value != 0);
}

size_t Leb128Size(uint64_t value) {
  size_t n = 1;
  while (value >>= 7) ++n;
  return n;
}

BinaryReader::BinaryReader(ByteView data, size_t offset, size_t limit, std::string_view scope)
    : data_(data), offset_(offset), limit_(limit), scope_(scope) {}

Status BinaryReader::ErrorAt(size_t offset, std::string_view message) const {
  std::string m(message);
  m += " (offset ";
  m += HexOffset(offset);
  m += ")";
  return Malformed(std::move(m));
}

Status BinaryReader::ErrorHere(std::string_view message) const { return ErrorAt(offset_, message); }

Status BinaryReader::PastEnd(std::string_view what, size_t at) const {
  std::string m(what);
  m += " runs past the end of the ";
  m += scope_;
  return ErrorAt(at, m);
}

Result<uint8_t> BinaryReader::ReadByte(std::string_view what) {
  if (offset_ >= limit_) return PastEnd(what, offset_);
  return data_[offset_++];
}

Result<uint64_t> BinaryReader::ReadLeb(std::string_view what, unsigned bits) {
  const size_t start = offset_;
  const unsigned max_bytes = (bits + 6) / 7;
  uint64_t value = 0;
  for (unsigned i = 0; i < max_bytes; ++i) {
    if (start + i >= limit_) return PastEnd(what, start);
    const uint8_t b = data_[start + i];
    const unsigned shift = 7 * i;
    if (i == max_bytes - 1) {
      if (b & 0x80) {
        return ErrorAt(start, std::string(what) + ": LEB128 is longer than " +
                                  std::to_string(max_bytes) + " bytes");
      }
      // The last byte may only carry the bits that are left of the N-bit value.
      const unsigned left = bits - shift;
      if ((b >> left) != 0) {
        return ErrorAt(start, std::string(what) + ": LEB128 value does not fit in " +
                                  std::to_string(bits) + " bits");
      }
    }
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      offset_ = start + i + 1;
      return value;
    }
  }
  // Unreachable: the last iteration either returns or reports an error.
  return ErrorAt(start, std::string(what) + ": bad LEB128");
}

Result<uint32_t> BinaryReader::ReadU32(std::string_view what) {
  WC_ASSIGN_OR_RETURN(uint64_t v, ReadLeb(what, 32));
  return static_cast<uint32_t>(v);
}

Result<uint64_t> BinaryReader::ReadU64(std::string_view what) { return ReadLeb(what, 64); }

Result<uint32_t> BinaryReader::ReadCount(std::string_view what, size_t min_item_size) {
  const size_t start = offset_;
  WC_ASSIGN_OR_RETURN(uint32_t count, ReadU32(what));
  // Checked before anyone allocates: a 10-byte section cannot hold 2^32 imports.
  const size_t left = remaining();
  if (static_cast<uint64_t>(count) * min_item_size > left) {
    offset_ = start;
    return ErrorAt(start, std::string(what) + " " + std::to_string(count) + " is more than the " +
                              std::to_string(left) + " bytes left in the " + scope_ + " can hold");
  }
  return count;
}

Result<ByteView> BinaryReader::ReadBytes(size_t n, std::string_view what) {
  if (n > remaining()) return PastEnd(what, offset_);
  ByteView out = data_.subspan(offset_, n);
  offset_ += n;
  return out;
}

Status BinaryReader::Skip(size_t n, std::string_view what) {
  if (n > remaining()) return PastEnd(what, offset_);
  offset_ += n;
  return Status::Ok();
}

Result<std::string> BinaryReader::ReadName(std::string_view what) {
  const size_t start = offset_;
  WC_ASSIGN_OR_RETURN(uint32_t len, ReadU32(std::string(what) + " length"));
  if (len > remaining()) {
    offset_ = start;
    return PastEnd(what, start);
  }
  std::string name(reinterpret_cast<const char*>(data_.data() + offset_), len);
  if (!IsValidUtf8(name)) {
    offset_ = start;
    return ErrorAt(start, std::string(what) + " is not valid UTF-8");
  }
  offset_ += len;
  return name;
}

}  // namespace wasmcloud::wasm
