#include "wire/msgpack.h"

#include <exception>
#include <limits>
#include <utility>

namespace wasmcloud::wire {

// ---- Writer ----

void Writer::BigEndian(uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void Writer::ByteArray(ByteView bytes) {
  ArrayHeader(static_cast<uint32_t>(bytes.size()));
  size_t high = 0;
  for (uint8_t b : bytes) high += b >> 7;
  out_.reserve(out_.size() + bytes.size() + high);
  for (uint8_t b : bytes) {
    if (b >= 0x80) out_.push_back(0xcc);
    out_.push_back(b);
  }
}

void Writer::Uint(uint64_t v) {
  if (v < 0x80) {
    out_.push_back(static_cast<uint8_t>(v));
  } else if (v <= 0xff) {
    out_.push_back(0xcc);
    BigEndian(v, 1);
  } else if (v <= 0xffff) {
    out_.push_back(0xcd);
    BigEndian(v, 2);
  } else if (v <= 0xffffffffULL) {
    out_.push_back(0xce);
    BigEndian(v, 4);
  } else {
    out_.push_back(0xcf);
    BigEndian(v, 8);
  }
}

void Writer::Int(int64_t v) {
  if (v >= 0) return Uint(static_cast<uint64_t>(v));
  auto u = static_cast<uint64_t>(v);
  if (v >= -32) {
    out_.push_back(static_cast<uint8_t>(v));
  } else if (v >= std::numeric_limits<int8_t>::min()) {
    out_.push_back(0xd0);
    BigEndian(u, 1);
  } else if (v >= std::numeric_limits<int16_t>::min()) {
    out_.push_back(0xd1);
    BigEndian(u, 2);
  } else if (v >= std::numeric_limits<int32_t>::min()) {
    out_.push_back(0xd2);
    BigEndian(u, 4);
  } else {
    out_.push_back(0xd3);
    BigEndian(u, 8);
  }
}

void Writer::Str(std::string_view s) {
  size_t n = s.size();
  if (n < 32) {
    out_.push_back(static_cast<uint8_t>(0xa0 | n));
  } else if (n <= 0xff) {
    out_.push_back(0xd9);
    BigEndian(n, 1);
  } else if (n <= 0xffff) {
    out_.push_back(0xda);
    BigEndian(n, 2);
  } else {
    out_.push_back(0xdb);
    BigEndian(n, 4);
  }
  out_.insert(out_.end(), s.begin(), s.end());
}

void Writer::Bin(ByteView b) {
  size_t n = b.size();
  if (n <= 0xff) {
    out_.push_back(0xc4);
    BigEndian(n, 1);
  } else if (n <= 0xffff) {
    out_.push_back(0xc5);
    BigEndian(n, 2);
  } else {
    out_.push_back(0xc6);
    BigEndian(n, 4);
  }
  out_.insert(out_.end(), b.begin(), b.end());
}

void Writer::MapHeader(uint32_t n) {
  if (n < 16) {
    out_.push_back(static_cast<uint8_t>(0x80 | n));
  } else if (n <= 0xffff) {
    out_.push_back(0xde);
    BigEndian(n, 2);
  } else {
    out_.push_back(0xdf);
    BigEndian(n, 4);
  }
}

void Writer::ArrayHeader(uint32_t n) {
  if (n < 16) {
    out_.push_back(static_cast<uint8_t>(0x90 | n));
  } else if (n <= 0xffff) {
    out_.push_back(0xdc);
    BigEndian(n, 2);
  } else {
    out_.push_back(0xdd);
    BigEndian(n, 4);
  }
}

void Writer::StrMap(const StringMap& m) {
  MapHeader(static_cast<uint32_t>(m.size()));
  for (const auto& [k, v] : m) {
    Str(k);
    Str(v);
  }
}

void Writer::StrArray(const std::vector<std::string>& v) {
  ArrayHeader(static_cast<uint32_t>(v.size()));
  for (const auto& s : v) Str(s);
}

void Writer::OptStr(const std::optional<std::string>& s) {
  if (s) {
    Str(*s);
  } else {
    Nil();
  }
}

// ---- Reader ----

std::string_view MarkerName(uint8_t m) {
  if (m <= 0x7f || m >= 0xe0) return "int";
  if (m <= 0x8f) return "map";
  if (m <= 0x9f) return "array";
  if (m <= 0xbf) return "str";
  switch (m) {
    case 0xc0:
      return "nil";
    case 0xc1:
      return "reserved byte 0xc1";
    case 0xc2:
    case 0xc3:
      return "bool";
    case 0xc4:
    case 0xc5:
    case 0xc6:
      return "bin";
    case 0xc7:
    case 0xc8:
    case 0xc9:
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
      return "ext";
    case 0xca:
    case 0xcb:
      return "float";
    case 0xd9:
    case 0xda:
    case 0xdb:
      return "str";
    case 0xdc:
    case 0xdd:
      return "array";
    case 0xde:
    case 0xdf:
      return "map";
    default:
      return "int";
  }
}

Status Reader::Error(std::string_view expected) const {
  std::string found = AtEnd() ? std::string("end of input") : std::string(MarkerName(data_[pos_]));
  return Malformed("expected " + std::string(expected) + ", found " + found + " at offset " +
                   std::to_string(pos_));
}

bool Reader::PeekMap() const { return !AtEnd() && MarkerName(data_[pos_]) == "map"; }
bool Reader::PeekArray() const { return !AtEnd() && MarkerName(data_[pos_]) == "array"; }

Result<uint64_t> Reader::ReadBE(int bytes) {
  if (remaining() < static_cast<size_t>(bytes)) {
    return Malformed("truncated: need " + std::to_string(bytes) + " bytes at offset " +
                     std::to_string(pos_) + ", have " + std::to_string(remaining()));
  }
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | data_[pos_++];
  return v;
}

Status Reader::ReadNil() {
  if (!PeekNil()) return Error("nil");
  ++pos_;
  return Status::Ok();
}

Result<bool> Reader::ReadBool() {
  if (AtEnd() || (data_[pos_] != 0xc2 && data_[pos_] != 0xc3)) return Error("bool");
  return data_[pos_++] == 0xc3;
}

Result<int64_t> Reader::ReadInt() {
  if (AtEnd() || MarkerName(data_[pos_]) != "int") return Error("integer");
  size_t start = pos_;
  uint8_t m = data_[pos_++];
  if (m <= 0x7f) return static_cast<int64_t>(m);
  if (m >= 0xe0) return static_cast<int64_t>(static_cast<int8_t>(m));
  int width = 1 << ((m - 0xcc) & 3);  // cc..cf and d0..d3 map to 1, 2, 4, 8
  WC_ASSIGN_OR_RETURN(uint64_t raw, ReadBE(width));
  if (m <= 0xcf) {
    if (raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      pos_ = start;
      return Malformed("integer at offset " + std::to_string(start) + " is out of range");
    }
    return static_cast<int64_t>(raw);
  }
  switch (width) {
    case 1:
      return static_cast<int64_t>(static_cast<int8_t>(raw));
    case 2:
      return static_cast<int64_t>(static_cast<int16_t>(raw));
    case 4:
      return static_cast<int64_t>(static_cast<int32_t>(raw));
    default:
      return static_cast<int64_t>(raw);
  }
}

Result<uint64_t> Reader::ReadUint() {
  if (AtEnd() || MarkerName(data_[pos_]) != "int") return Error("integer");
  size_t start = pos_;
  if (data_[pos_] == 0xcf) {
    ++pos_;
    return ReadBE(8);
  }
  WC_ASSIGN_OR_RETURN(int64_t v, ReadInt());
  if (v < 0) {
    pos_ = start;
    return Malformed("negative integer " + std::to_string(v) + " at offset " +
                     std::to_string(start) + " where an unsigned one is expected");
  }
  return static_cast<uint64_t>(v);
}

Result<uint32_t> Reader::ReadLength(uint8_t m, uint8_t base8) {
  // base8 is the 8-bit-length marker of the family (0xd9 str, 0xc4 bin); 16 and 32
  // follow it.
  int width = 1 << (m - base8);
  WC_ASSIGN_OR_RETURN(uint64_t n, ReadBE(width));
  return static_cast<uint32_t>(n);
}

Result<std::string> Reader::ReadStr() {
  if (AtEnd()) return Error("str");
  size_t start = pos_;
  uint8_t m = data_[pos_];
  uint32_t n;
  if (m >= 0xa0 && m <= 0xbf) {
    ++pos_;
    n = m & 0x1f;
  } else if (m >= 0xd9 && m <= 0xdb) {
    ++pos_;
    WC_ASSIGN_OR_RETURN(n, ReadLength(m, 0xd9));
  } else {
    return Error("str");
  }
  if (n > remaining()) {
    pos_ = start;
    return Malformed("str at offset " + std::to_string(start) + " declares " + std::to_string(n) +
                     " bytes, only " + std::to_string(remaining()) + " left");
  }
  std::string s(reinterpret_cast<const char*>(data_.data() + pos_), n);
  pos_ += n;
  return s;
}

Result<Bytes> Reader::ReadBin() {
  if (AtEnd()) return Error("bin");
  size_t start = pos_;
  uint8_t m = data_[pos_];
  if (m >= 0xc4 && m <= 0xc6) {
    ++pos_;
    WC_ASSIGN_OR_RETURN(uint32_t n, ReadLength(m, 0xc4));
    if (n > remaining()) {
      pos_ = start;
      return Malformed("bin at offset " + std::to_string(start) + " declares " + std::to_string(n) +
                       " bytes, only " + std::to_string(remaining()) + " left");
    }
    Bytes b(data_.begin() + pos_, data_.begin() + pos_ + n);
    pos_ += n;
    return b;
  }
  if (!PeekArray()) return Error("bin");
  WC_ASSIGN_OR_RETURN(uint32_t n, ReadArrayHeader());
  Bytes b;
  b.reserve(n);  // bounded: n <= remaining()
  for (uint32_t i = 0; i < n; ++i) {
    // The two forms rmp-serde writes, read in place; any other integer form the slow way.
    uint8_t m = pos_ < data_.size() ? data_[pos_] : 0xc1;
    if (m < 0x80) {
      b.push_back(m);
      ++pos_;
      continue;
    }
    if (m == 0xcc && pos_ + 1 < data_.size()) {
      b.push_back(data_[pos_ + 1]);
      pos_ += 2;
      continue;
    }
    WC_ASSIGN_OR_RETURN(uint64_t v, ReadUint());
    if (v > 0xff) return Malformed("byte array element " + std::to_string(v) + " > 255");
    b.push_back(static_cast<uint8_t>(v));
  }
  return b;
}

Result<uint32_t> Reader::ReadMapHeader() {
  if (!PeekMap()) return Error("map");
  size_t start = pos_;
  uint8_t m = data_[pos_++];
  uint32_t n;
  if (m <= 0x8f) {
    n = m & 0x0f;
  } else {
    WC_ASSIGN_OR_RETURN(uint64_t v, ReadBE(m == 0xde ? 2 : 4));
    n = static_cast<uint32_t>(v);
  }
  if (static_cast<uint64_t>(n) * 2 > remaining()) {
    pos_ = start;
    return Malformed("map at offset " + std::to_string(start) + " declares " + std::to_string(n) +
                     " entries, only " + std::to_string(remaining()) + " bytes left");
  }
  return n;
}

Result<uint32_t> Reader::ReadArrayHeader() {
  if (!PeekArray()) return Error("array");
  size_t start = pos_;
  uint8_t m = data_[pos_++];
  uint32_t n;
  if (m <= 0x9f) {
    n = m & 0x0f;
  } else {
    WC_ASSIGN_OR_RETURN(uint64_t v, ReadBE(m == 0xdc ? 2 : 4));
    n = static_cast<uint32_t>(v);
  }
  if (n > remaining()) {
    pos_ = start;
    return Malformed("array at offset " + std::to_string(start) + " declares " + std::to_string(n) +
                     " elements, only " + std::to_string(remaining()) + " bytes left");
  }
  return n;
}

Status Reader::SkipBytes(uint64_t n) {
  if (n > remaining()) {
    return Malformed("value at offset " + std::to_string(pos_) + " needs " + std::to_string(n) +
                     " bytes, only " + std::to_string(remaining()) + " left");
  }
  pos_ += static_cast<size_t>(n);
  return Status::Ok();
}

Status Reader::SkipDepth(int depth) {
  if (depth > kMaxDepth) {
    return Malformed("nesting deeper than " + std::to_string(kMaxDepth) + " at offset " +
                     std::to_string(pos_));
  }
  if (AtEnd()) return Error("a value");
  uint8_t m = data_[pos_];
  if (m <= 0x7f || m >= 0xe0 || m == 0xc0 || m == 0xc2 || m == 0xc3) {
    ++pos_;
    return Status::Ok();
  }
  if (PeekMap() || PeekArray()) {
    bool map = PeekMap();
    WC_ASSIGN_OR_RETURN(uint32_t n, map ? ReadMapHeader() : ReadArrayHeader());
    uint64_t items = map ? uint64_t{n} * 2 : n;
    for (uint64_t i = 0; i < items; ++i) WC_RETURN_IF_ERROR(SkipDepth(depth + 1));
    return Status::Ok();
  }
  if (m >= 0xa0 && m <= 0xbf) {
    ++pos_;
    return SkipBytes(m & 0x1f);
  }
  ++pos_;
  switch (m) {
    case 0xc4:
    case 0xc5:
    case 0xc6: {
      WC_ASSIGN_OR_RETURN(uint32_t n, ReadLength(m, 0xc4));
      return SkipBytes(n);
    }
    case 0xd9:
    case 0xda:
    case 0xdb: {
      WC_ASSIGN_OR_RETURN(uint32_t n, ReadLength(m, 0xd9));
      return SkipBytes(n);
    }
    case 0xc7:
    case 0xc8:
    case 0xc9: {  // ext8/16/32: length, type byte, data
      WC_ASSIGN_OR_RETURN(uint32_t n, ReadLength(m, 0xc7));
      return SkipBytes(uint64_t{n} + 1);
    }
    case 0xca:
      return SkipBytes(4);
    case 0xcb:
      return SkipBytes(8);
    case 0xcc:
    case 0xd0:
      return SkipBytes(1);
    case 0xcd:
    case 0xd1:
      return SkipBytes(2);
    case 0xce:
    case 0xd2:
      return SkipBytes(4);
    case 0xcf:
    case 0xd3:
      return SkipBytes(8);
    case 0xd4:
      return SkipBytes(2);
    case 0xd5:
      return SkipBytes(3);
    case 0xd6:
      return SkipBytes(5);
    case 0xd7:
      return SkipBytes(9);
    case 0xd8:
      return SkipBytes(17);
    default:  // 0xc1
      --pos_;
      return Error("a value");
  }
}

// ---- helpers ----

Result<uint32_t> ReadU32(Reader& r) {
  size_t at = r.offset();
  WC_ASSIGN_OR_RETURN(uint64_t v, r.ReadUint());
  if (v > std::numeric_limits<uint32_t>::max()) {
    return Malformed("integer " + std::to_string(v) + " at offset " + std::to_string(at) +
                     " does not fit u32");
  }
  return static_cast<uint32_t>(v);
}

Result<int32_t> ReadI32(Reader& r) {
  size_t at = r.offset();
  WC_ASSIGN_OR_RETURN(int64_t v, r.ReadInt());
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max()) {
    return Malformed("integer " + std::to_string(v) + " at offset " + std::to_string(at) +
                     " does not fit i32");
  }
  return static_cast<int32_t>(v);
}

Result<StringMap> ReadStrMap(Reader& r) {
  WC_ASSIGN_OR_RETURN(uint32_t n, r.ReadMapHeader());
  StringMap m;
  for (uint32_t i = 0; i < n; ++i) {
    WC_ASSIGN_OR_RETURN(std::string k, r.ReadStr());
    WC_ASSIGN_OR_RETURN(std::string v, r.ReadStr());
    m[std::move(k)] = std::move(v);  // serde's HashMap: a repeated key keeps the last value
  }
  return m;
}

Result<std::vector<std::string>> ReadStrArray(Reader& r) {
  WC_ASSIGN_OR_RETURN(uint32_t n, r.ReadArrayHeader());
  std::vector<std::string> v;
  v.reserve(n);  // bounded: n <= remaining()
  for (uint32_t i = 0; i < n; ++i) {
    WC_ASSIGN_OR_RETURN(std::string s, r.ReadStr());
    v.push_back(std::move(s));
  }
  return v;
}

// ---- StructReader ----

namespace {
template <typename T, typename F>
std::function<Status(Reader&)> Into(T* out, F read) {
  return [out, read](Reader& r) -> Status {
    auto v = read(r);
    if (!v.ok()) return v.status();
    *out = std::move(v).value();
    return Status::Ok();
  };
}
}  // namespace

void StructReader::Str(std::string_view name, std::string* out, bool required) {
  fields_.push_back({name, required, Into(out, [](Reader& r) { return r.ReadStr(); })});
}
void StructReader::OptStr(std::string_view name, std::optional<std::string>* out, bool required) {
  fields_.push_back({name, required, [out](Reader& r) -> Status {
                       if (r.PeekNil()) {
                         out->reset();
                         return r.ReadNil();
                       }
                       WC_ASSIGN_OR_RETURN(*out, r.ReadStr());
                       return Status::Ok();
                     }});
}
void StructReader::Bin(std::string_view name, Bytes* out, bool required) {
  fields_.push_back({name, required, Into(out, [](Reader& r) { return r.ReadBin(); })});
}
void StructReader::Bool(std::string_view name, bool* out, bool required) {
  fields_.push_back({name, required, Into(out, [](Reader& r) { return r.ReadBool(); })});
}
void StructReader::U32(std::string_view name, uint32_t* out, bool required) {
  fields_.push_back({name, required, Into(out, [](Reader& r) { return ReadU32(r); })});
}
void StructReader::U64(std::string_view name, uint64_t* out, bool required) {
  fields_.push_back({name, required, Into(out, [](Reader& r) { return r.ReadUint(); })});
}
void StructReader::I32(std::string_view name, int32_t* out, bool required) {
  fields_.push_back({name, required, Into(out, [](Reader& r) { return ReadI32(r); })});
}
void StructReader::I64(std::string_view name, int64_t* out, bool required) {
  fields_.push_back({name, required, Into(out, [](Reader& r) { return r.ReadInt(); })});
}
void StructReader::StrMap(std::string_view name, StringMap* out, bool required) {
  fields_.push_back({name, required, Into(out, [](Reader& r) { return ReadStrMap(r); })});
}
void StructReader::StrArray(std::string_view name, std::vector<std::string>* out, bool required) {
  fields_.push_back({name, required, Into(out, [](Reader& r) { return ReadStrArray(r); })});
}

void StructReader::Custom(std::string_view name, std::function<Status(Reader&)> read,
                          bool required) {
  fields_.push_back({name, required, std::move(read)});
}

Status StructReader::ReadField(Field& f, Reader& r) {
  if (f.seen) return Malformed("duplicate field `" + std::string(f.name) + "`");
  f.seen = true;
  Status s = f.read(r);
  if (!s.ok()) return s.WithContext("field `" + std::string(f.name) + "`");
  return Status::Ok();
}

Status StructReader::DecodeInner(ByteView data) {
  Reader r(data);
  if (r.PeekArray()) {
    WC_ASSIGN_OR_RETURN(uint32_t n, r.ReadArrayHeader());
    if (n > fields_.size()) {
      return Malformed("array of " + std::to_string(n) + " elements, the struct has " +
                       std::to_string(fields_.size()) + " fields");
    }
    for (uint32_t i = 0; i < n; ++i) WC_RETURN_IF_ERROR(ReadField(fields_[i], r));
  } else {
    if (!r.PeekMap()) return r.Error("map");
    WC_ASSIGN_OR_RETURN(uint32_t n, r.ReadMapHeader());
    for (uint32_t i = 0; i < n; ++i) {
      Field* field = nullptr;
      if (r.AtEnd()) return r.Error("a key");
      std::string_view kind = MarkerName(data[r.offset()]);
      if (kind == "str") {
        WC_ASSIGN_OR_RETURN(std::string key, r.ReadStr());
        for (auto& f : fields_) {
          if (f.name == key) field = &f;
        }
      } else if (kind == "bin") {
        WC_ASSIGN_OR_RETURN(Bytes key, r.ReadBin());
        for (auto& f : fields_) {
          if (f.name == AsChars(key)) field = &f;
        }
      } else if (kind == "int") {
        // serde's derived field identifier also accepts the field index.
        WC_ASSIGN_OR_RETURN(uint64_t idx, r.ReadUint());
        if (idx < fields_.size()) field = &fields_[idx];
      } else {
        return r.Error("a field name");
      }
      if (field == nullptr) {
        WC_RETURN_IF_ERROR(r.Skip());
      } else {
        WC_RETURN_IF_ERROR(ReadField(*field, r));
      }
    }
  }
  for (const auto& f : fields_) {
    if (f.required && !f.seen) return Malformed("missing field `" + std::string(f.name) + "`");
  }
  return Status::Ok();
}

Status StructReader::Decode(ByteView data) {
  try {
    Status s = DecodeInner(data);
    if (!s.ok()) return s.WithContext(type_);
    return s;
  } catch (const std::exception& e) {
    return Internal(std::string(type_) + ": " + e.what());
  }
}

}  // namespace wasmcloud::wire
