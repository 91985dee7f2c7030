// A small msgpack writer that produces exactly what rmp-serde 0.15 (struct-map config)
// writes, and a bounded reader for untrusted bytes: every declared length is checked
// against the bytes left before anything is allocated, nesting is limited, and no
// function throws. Spec: shared/spec/wasmcloud-0.18-protocol.md §0.1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::wire {

using StringMap = std::map<std::string, std::string>;

class Writer {
 public:
  void Nil() { out_.push_back(0xc0); }
  void Bool(bool v) { out_.push_back(v ? 0xc3 : 0xc2); }
  // Smallest unsigned form (fixint, u8, u16, u32, u64).
  void Uint(uint64_t v);
  // Non-negative values use the unsigned forms; negative ones the smallest signed form.
  void Int(int64_t v);
  void Str(std::string_view s);
  void Bin(ByteView b);
  void MapHeader(uint32_t n);
  void ArrayHeader(uint32_t n);
  // `Vec<u8>` without serde_bytes: an array of integers, each byte a positive fixint or
  // 0xcc nn (what rmp-serde writes for it; §0.1).
  void ByteArray(ByteView bytes);
  // A map of str to str, in the map's (sorted) order.
  void StrMap(const StringMap& m);
  void StrArray(const std::vector<std::string>& v);
  void OptStr(const std::optional<std::string>& s);

  // Room for n more bytes, so that a writer that knows about how much it writes grows its
  // buffer once.
  void Reserve(size_t n) { out_.reserve(out_.size() + n); }
  Bytes Take() { return std::move(out_); }

 private:
  void BigEndian(uint64_t v, int bytes);
  Bytes out_;
};

// Reads one msgpack value at a time from untrusted bytes. Errors are kMalformed and say
// what was expected, what was found and at which offset.
class Reader {
 public:
  static constexpr int kMaxDepth = 64;

  explicit Reader(ByteView data) : data_(data) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool AtEnd() const { return pos_ >= data_.size(); }
  // True when the next value is nil (does not consume it).
  bool PeekNil() const { return !AtEnd() && data_[pos_] == 0xc0; }
  bool PeekMap() const;
  bool PeekArray() const;

  Status ReadNil();
  Result<bool> ReadBool();
  // Any integer encoding whose value is >= 0.
  Result<uint64_t> ReadUint();
  // Any integer encoding whose value fits an int64.
  Result<int64_t> ReadInt();
  Result<std::string> ReadStr();
  // bin8/16/32, or an array of integers 0..255 (what serde_bytes also accepts; the
  // elements in any integer encoding).
  Result<Bytes> ReadBin();
  // Map and array headers; the count is checked against the bytes left.
  Result<uint32_t> ReadMapHeader();
  Result<uint32_t> ReadArrayHeader();
  // Skips one whole value of any type.
  Status Skip() { return SkipDepth(0); }

  Status Error(std::string_view expected) const;

 private:
  Result<uint64_t> ReadBE(int bytes);
  Result<uint32_t> ReadLength(uint8_t marker, uint8_t base8);
  Status SkipDepth(int depth);
  Status SkipBytes(uint64_t n);

  ByteView data_;
  size_t pos_ = 0;
};

// A name for the msgpack type that starts with `marker` ("str", "map", ...).
std::string_view MarkerName(uint8_t marker);

// Range-checked integer reads.
Result<uint32_t> ReadU32(Reader& r);
Result<int32_t> ReadI32(Reader& r);
Result<StringMap> ReadStrMap(Reader& r);
Result<std::vector<std::string>> ReadStrArray(Reader& r);

// Decodes a struct the way rmp-serde's default deserializer does: from a map keyed by
// field name (or field index), unknown keys skipped, duplicates rejected; or from an
// array by position. Missing required fields are an error naming the field. Trailing
// bytes after the value are ignored, as rmp_serde::from_slice does.
class StructReader {
 public:
  // Room for the fields of the usual struct: one allocation, not one per doubling.
  explicit StructReader(std::string_view type) : type_(type) { fields_.reserve(8); }

  void Str(std::string_view name, std::string* out, bool required = true);
  void OptStr(std::string_view name, std::optional<std::string>* out, bool required = true);
  void Bin(std::string_view name, Bytes* out, bool required = true);
  void Bool(std::string_view name, bool* out, bool required = true);
  void U32(std::string_view name, uint32_t* out, bool required = true);
  void U64(std::string_view name, uint64_t* out, bool required = true);
  void I32(std::string_view name, int32_t* out, bool required = true);
  void I64(std::string_view name, int64_t* out, bool required = true);
  void StrMap(std::string_view name, StringMap* out, bool required = true);
  void StrArray(std::string_view name, std::vector<std::string>* out, bool required = true);
  // A field of any other type: `read` consumes exactly its value from the reader (and
  // stores it where it wants); its error is reported with the field's name.
  void Custom(std::string_view name, std::function<Status(Reader&)> read, bool required = true);

  Status Decode(ByteView data);

 private:
  struct Field {
    std::string_view name;
    bool required;
    std::function<Status(Reader&)> read;
    bool seen = false;
  };
  Status DecodeInner(ByteView data);
  Status ReadField(Field& f, Reader& r);

  std::string_view type_;
  std::vector<Field> fields_;
};

}  // namespace wasmcloud::wire
