#include "wasm/module_info.h"

#include <algorithm>
#include <array>
#include <unordered_set>

#include "wasm/binary_reader.h"

namespace wasmcloud::wasm {

namespace {

constexpr std::array<uint8_t, 8> kHeader = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

enum SectionId : uint8_t {
  kCustomSection = 0,
  kTypeSection = 1,
  kImportSection = 2,
  kFunctionSection = 3,
  kTableSection = 4,
  kMemorySection = 5,
  kGlobalSection = 6,
  kExportSection = 7,
  kStartSection = 8,
  kElementSection = 9,
  kCodeSection = 10,
  kDataSection = 11,
  kDataCountSection = 12,
  kTagSection = 13,
};

std::string_view SectionName(uint8_t id) {
  static constexpr std::array<std::string_view, 14> kNames = {
      "custom", "type",  "import",  "function", "table", "memory",     "global",
      "export", "start", "element", "code",     "data",  "data count", "tag"};
  return id < kNames.size() ? kNames[id] : "unknown";
}

// The position of a known section in the order the binary format requires, by id; 0 for
// custom sections. Data count (12) and tag (13) were added later, so their ids do not
// follow that order.
int SectionRank(uint8_t id) {
  static constexpr std::array<int, 14> kRanks = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6};
  return id < kRanks.size() ? kRanks[id] : 0;
}

// The largest number of 64 KiB pages a memory can have: 2^32 bytes for memory32,
// 2^64 bytes for memory64.
constexpr uint64_t kMaxPages32 = uint64_t{1} << 16;
constexpr uint64_t kMaxPages64 = uint64_t{1} << 48;

std::string Hex2(uint8_t b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return std::string("0x") + kDigits[b >> 4] + kDigits[b & 0xf];
}

std::string_view KindPlural(ExternKind k) {
  static constexpr std::array<std::string_view, 5> kPlurals = {"functions", "tables", "memories",
                                                               "globals", "tags"};
  const auto i = static_cast<size_t>(k);
  return i < kPlurals.size() ? kPlurals[i] : "entries";
}

Result<ValType> ReadValType(BinaryReader& r, std::string_view what) {
  const size_t at = r.offset();
  WC_ASSIGN_OR_RETURN(uint8_t b, r.ReadByte(what));
  switch (b) {
    case 0x7f:
    case 0x7e:
    case 0x7d:
    case 0x7c:
    case 0x7b:
    case 0x70:
    case 0x6f:
      return static_cast<ValType>(b);
    default:
      return r.ErrorAt(at, std::string(what) + ": unknown value type " + Hex2(b));
  }
}

Result<ValType> ReadRefType(BinaryReader& r) {
  const size_t at = r.offset();
  WC_ASSIGN_OR_RETURN(uint8_t b, r.ReadByte("reference type"));
  if (b != 0x70 && b != 0x6f) return r.ErrorAt(at, "unknown reference type " + Hex2(b));
  return static_cast<ValType>(b);
}

Result<Limits> ReadLimits(BinaryReader& r) {
  const size_t at = r.offset();
  WC_ASSIGN_OR_RETURN(uint8_t flags, r.ReadByte("limits flags"));
  // Bit 0: has a maximum; bit 1: shared (threads); bit 2: 64-bit (memory64).
  if (flags > 0x07) return r.ErrorAt(at, "unknown limits flags " + Hex2(flags));
  Limits limits;
  limits.shared = (flags & 0x02) != 0;
  limits.is64 = (flags & 0x04) != 0;
  if (limits.is64) {
    WC_ASSIGN_OR_RETURN(limits.min, r.ReadU64("limits minimum"));
  } else {
    WC_ASSIGN_OR_RETURN(limits.min, r.ReadU32("limits minimum"));
  }
  if (flags & 0x01) {
    if (limits.is64) {
      WC_ASSIGN_OR_RETURN(limits.max, r.ReadU64("limits maximum"));
    } else {
      WC_ASSIGN_OR_RETURN(limits.max, r.ReadU32("limits maximum"));
    }
  }
  return limits;
}

// Decodes a vector section entry by entry; `decode_one` errors get "entry N: " in front.
template <typename F>
Status ForEachEntry(BinaryReader& r, std::string_view count_what, size_t min_entry_size,
                    F decode_one) {
  WC_ASSIGN_OR_RETURN(uint32_t count, r.ReadCount(count_what, min_entry_size));
  for (uint32_t i = 0; i < count; ++i) {
    Status s = decode_one(i);
    if (!s.ok()) return s.WithContext("entry " + std::to_string(i));
  }
  return Status::Ok();
}

// Decodes one module: holds what later sections check their indices against.
class ModuleParser {
 public:
  explicit ModuleParser(ByteView module) : module_(module) {}

  Result<ModuleInfo> Parse();

 private:
  Status ParseSection(uint8_t id, BinaryReader& r);
  Status ParseTypes(BinaryReader& r);
  Status ParseImports(BinaryReader& r);
  Status ParseFunctions(BinaryReader& r);
  Status ParseTables(BinaryReader& r);
  Status ParseMemories(BinaryReader& r);
  Status ParseExports(BinaryReader& r);
  Status ParseStart(BinaryReader& r);
  Status ParseCode(BinaryReader& r);
  Status CheckTypeIndex(BinaryReader& r, size_t at, uint32_t index) const;
  // The size of the index space of `kind`: imports of that kind, then definitions.
  uint64_t IndexSpaceSize(ExternKind kind) const;

  ByteView module_;
  ModuleInfo info_;
  std::array<uint64_t, 5> imported_ = {};  // per ExternKind
  uint64_t defined_tables_ = 0;
  uint64_t defined_globals_ = 0;
  uint64_t defined_tags_ = 0;
  uint32_t code_bodies_ = 0;
};

uint64_t ModuleParser::IndexSpaceSize(ExternKind kind) const {
  uint64_t defined = 0;
  switch (kind) {
    case ExternKind::kFunction:
      defined = info_.function_type_indices.size();
      break;
    case ExternKind::kTable:
      defined = defined_tables_;
      break;
    case ExternKind::kMemory:
      defined = info_.memories.size();
      break;
    case ExternKind::kGlobal:
      defined = defined_globals_;
      break;
    case ExternKind::kTag:
      defined = defined_tags_;
      break;
  }
  return imported_[static_cast<size_t>(kind)] + defined;
}

Status ModuleParser::CheckTypeIndex(BinaryReader& r, size_t at, uint32_t index) const {
  if (index < info_.types.size()) return Status::Ok();
  return r.ErrorAt(at, "type index " + std::to_string(index) + " is out of range (" +
                           std::to_string(info_.types.size()) + " types)");
}

Status ModuleParser::ParseTypes(BinaryReader& r) {
  // Smallest entry: 0x60, no params, no results.
  return ForEachEntry(r, "type count", 3, [&](uint32_t) -> Status {
    const size_t at = r.offset();
    WC_ASSIGN_OR_RETURN(uint8_t form, r.ReadByte("type form"));
    if (form != 0x60) {
      return r.ErrorAt(at, "type form " + Hex2(form) + " is not a function type (0x60)");
    }
    FuncType type;
    for (auto* list : {&type.params, &type.results}) {
      const bool params = list == &type.params;
      WC_ASSIGN_OR_RETURN(uint32_t n, r.ReadCount(params ? "parameter count" : "result count", 1));
      list->reserve(n);
      for (uint32_t k = 0; k < n; ++k) {
        WC_ASSIGN_OR_RETURN(ValType t, ReadValType(r, params ? "parameter" : "result"));
        list->push_back(t);
      }
    }
    info_.types.push_back(std::move(type));
    return Status::Ok();
  });
}

Status ModuleParser::ParseImports(BinaryReader& r) {
  // Smallest entry: two empty names, a kind and a one-byte descriptor.
  return ForEachEntry(r, "import count", 4, [&](uint32_t) -> Status {
    Import imp;
    WC_ASSIGN_OR_RETURN(imp.module, r.ReadName("module name"));
    WC_ASSIGN_OR_RETURN(imp.name, r.ReadName("name"));
    const size_t kind_at = r.offset();
    WC_ASSIGN_OR_RETURN(uint8_t kind, r.ReadByte("import kind"));
    if (kind > static_cast<uint8_t>(ExternKind::kTag)) {
      return r.ErrorAt(kind_at, "unknown import kind " + Hex2(kind));
    }
    imp.kind = static_cast<ExternKind>(kind);
    switch (imp.kind) {
      case ExternKind::kFunction: {
        const size_t at = r.offset();
        WC_ASSIGN_OR_RETURN(imp.type_index, r.ReadU32("type index"));
        WC_RETURN_IF_ERROR(CheckTypeIndex(r, at, imp.type_index));
        break;
      }
      case ExternKind::kTable: {
        WC_ASSIGN_OR_RETURN(ValType unused, ReadRefType(r));
        (void)unused;
        WC_ASSIGN_OR_RETURN(imp.limits, ReadLimits(r));
        break;
      }
      case ExternKind::kMemory: {
        WC_ASSIGN_OR_RETURN(imp.limits, ReadLimits(r));
        break;
      }
      case ExternKind::kGlobal: {
        WC_ASSIGN_OR_RETURN(ValType unused, ReadValType(r, "global type"));
        (void)unused;
        const size_t at = r.offset();
        WC_ASSIGN_OR_RETURN(uint8_t mut, r.ReadByte("global mutability"));
        if (mut > 1) return r.ErrorAt(at, "global mutability " + Hex2(mut) + " is not 0 or 1");
        break;
      }
      case ExternKind::kTag: {
        const size_t at = r.offset();
        WC_ASSIGN_OR_RETURN(uint8_t attribute, r.ReadByte("tag attribute"));
        if (attribute != 0) return r.ErrorAt(at, "unknown tag attribute " + Hex2(attribute));
        const size_t type_at = r.offset();
        WC_ASSIGN_OR_RETURN(imp.type_index, r.ReadU32("type index"));
        WC_RETURN_IF_ERROR(CheckTypeIndex(r, type_at, imp.type_index));
        break;
      }
    }
    ++imported_[kind];
    info_.imports.push_back(std::move(imp));
    return Status::Ok();
  });
}

Status ModuleParser::ParseFunctions(BinaryReader& r) {
  return ForEachEntry(r, "function count", 1, [&](uint32_t) -> Status {
    const size_t at = r.offset();
    WC_ASSIGN_OR_RETURN(uint32_t index, r.ReadU32("type index"));
    WC_RETURN_IF_ERROR(CheckTypeIndex(r, at, index));
    info_.function_type_indices.push_back(index);
    return Status::Ok();
  });
}

Status ModuleParser::ParseTables(BinaryReader& r) {
  // Smallest entry: reference type, limits flags, minimum.
  return ForEachEntry(r, "table count", 3, [&](uint32_t) -> Status {
    Table table;
    WC_ASSIGN_OR_RETURN(table.type, ReadRefType(r));
    WC_ASSIGN_OR_RETURN(table.limits, ReadLimits(r));
    info_.tables.push_back(table);
    ++defined_tables_;
    return Status::Ok();
  });
}

Status ModuleParser::ParseMemories(BinaryReader& r) {
  return ForEachEntry(r, "memory count", 2, [&](uint32_t) -> Status {
    WC_ASSIGN_OR_RETURN(Limits limits, ReadLimits(r));
    info_.memories.push_back(limits);
    return Status::Ok();
  });
}

Status ModuleParser::ParseExports(BinaryReader& r) {
  std::unordered_set<std::string> names;
  // Smallest entry: an empty name, a kind, a one-byte index.
  return ForEachEntry(r, "export count", 3, [&](uint32_t) -> Status {
    const size_t name_at = r.offset();
    Export exp;
    WC_ASSIGN_OR_RETURN(exp.name, r.ReadName("name"));
    const size_t kind_at = r.offset();
    WC_ASSIGN_OR_RETURN(uint8_t kind, r.ReadByte("export kind"));
    if (kind > static_cast<uint8_t>(ExternKind::kTag)) {
      return r.ErrorAt(kind_at, "unknown export kind " + Hex2(kind));
    }
    exp.kind = static_cast<ExternKind>(kind);
    const size_t index_at = r.offset();
    WC_ASSIGN_OR_RETURN(exp.index, r.ReadU32("export index"));
    const uint64_t space = IndexSpaceSize(exp.kind);
    if (exp.index >= space) {
      return r.ErrorAt(index_at, std::string(ExternKindName(exp.kind)) + " index " +
                                     std::to_string(exp.index) + " is out of range (" +
                                     std::to_string(space) + " " +
                                     std::string(KindPlural(exp.kind)) + ")");
    }
    // Duplicate names would make FindExport ambiguous; the spec forbids them too.
    if (!names.insert(exp.name).second) {
      return r.ErrorAt(name_at, "duplicate export name \"" + exp.name + "\"");
    }
    info_.exports.push_back(std::move(exp));
    return Status::Ok();
  });
}

Status ModuleParser::ParseStart(BinaryReader& r) {
  const size_t at = r.offset();
  WC_ASSIGN_OR_RETURN(uint32_t index, r.ReadU32("start function index"));
  const uint64_t space = IndexSpaceSize(ExternKind::kFunction);
  if (index >= space) {
    return r.ErrorAt(at, "start function index " + std::to_string(index) + " is out of range (" +
                             std::to_string(space) + " functions)");
  }
  info_.start_function = index;
  return Status::Ok();
}

Status ModuleParser::ParseCode(BinaryReader& r) {
  // Only the framing: bodies are the engine's to validate.
  return ForEachEntry(r, "function body count", 1, [&](uint32_t) -> Status {
    WC_ASSIGN_OR_RETURN(uint32_t size, r.ReadU32("function body size"));
    WC_RETURN_IF_ERROR(r.Skip(size, "function body"));
    ++code_bodies_;
    return Status::Ok();
  });
}

Status ModuleParser::ParseSection(uint8_t id, BinaryReader& r) {
  switch (id) {
    case kTypeSection:
      WC_RETURN_IF_ERROR(ParseTypes(r));
      break;
    case kImportSection:
      WC_RETURN_IF_ERROR(ParseImports(r));
      break;
    case kFunctionSection:
      WC_RETURN_IF_ERROR(ParseFunctions(r));
      break;
    case kTableSection:
      WC_RETURN_IF_ERROR(ParseTables(r));
      break;
    case kMemorySection:
      WC_RETURN_IF_ERROR(ParseMemories(r));
      break;
    case kExportSection:
      WC_RETURN_IF_ERROR(ParseExports(r));
      break;
    case kStartSection:
      WC_RETURN_IF_ERROR(ParseStart(r));
      break;
    case kCodeSection:
      WC_RETURN_IF_ERROR(ParseCode(r));
      break;
    case kGlobalSection: {
      // Only the count, for the export index check; the smallest global is a value
      // type, a mutability byte and `end`. Initializers are the engine's business.
      WC_ASSIGN_OR_RETURN(defined_globals_, r.ReadCount("global count", 3));
      return Status::Ok();
    }
    case kTagSection: {
      // Only the count, as for globals: attribute byte and type index.
      WC_ASSIGN_OR_RETURN(defined_tags_, r.ReadCount("tag count", 2));
      return Status::Ok();
    }
    default:
      // Element, data and data count: framing only.
      return Status::Ok();
  }
  if (!r.at_end()) {
    return r.ErrorHere(std::to_string(r.remaining()) +
                       " bytes left over after the last entry of the section");
  }
  return Status::Ok();
}

Result<ModuleInfo> ModuleParser::Parse() {
  if (module_.size() < kHeader.size()) {
    return Malformed("not a WebAssembly module: " + std::to_string(module_.size()) +
                     " bytes is too short for the 8-byte header");
  }
  if (!std::equal(kHeader.begin(), kHeader.begin() + 4, module_.begin())) {
    return Malformed("not a WebAssembly module: wrong magic");
  }
  if (!std::equal(kHeader.begin() + 4, kHeader.end(), module_.begin() + 4)) {
    const uint32_t version = module_[4] | (module_[5] << 8) | (module_[6] << 16) |
                             (static_cast<uint32_t>(module_[7]) << 24);
    return Malformed("unsupported version " + std::to_string(version));
  }

  BinaryReader file(module_, kHeader.size(), module_.size(), "module");
  int last_rank = 0;
  uint8_t last_id = 0;
  while (!file.at_end()) {
    Section section;
    section.offset = file.offset();
    WC_ASSIGN_OR_RETURN(section.id, file.ReadByte("section id"));
    const std::string where = " at offset " + HexOffset(section.offset);
    if (section.id > kTagSection) {
      return Malformed("unknown section id " + std::to_string(section.id) + where);
    }
    const std::string label = std::string(SectionName(section.id)) + " section";
    Result<uint32_t> size = file.ReadU32("section size");
    if (!size.ok()) return size.status().WithContext(label + where);
    section.payload_offset = file.offset();
    section.payload_size = *size;
    if (section.payload_size > file.remaining()) {
      return Malformed(label + " (id " + std::to_string(section.id) + ")" + where +
                       ": declared size " + std::to_string(section.payload_size) +
                       " runs past the end of the module (" + std::to_string(file.remaining()) +
                       " bytes left)");
    }
    const size_t payload_end = section.payload_offset + section.payload_size;
    section.size = payload_end - section.offset;
    BinaryReader r(module_, section.payload_offset, payload_end, "section");

    if (section.id == kCustomSection) {
      Result<std::string> name = r.ReadName("name");
      if (!name.ok()) return name.status().WithContext(label + where);
      section.name = std::move(*name);
      section.content_offset = r.offset();
      section.content_size = r.remaining();
    } else {
      const int rank = SectionRank(section.id);
      if (rank == last_rank) return Malformed("duplicate " + label + where);
      if (rank < last_rank) {
        return Malformed(label + where + " comes after the " + std::string(SectionName(last_id)) +
                         " section");
      }
      last_rank = rank;
      last_id = section.id;
      section.content_offset = section.payload_offset;
      section.content_size = section.payload_size;
      WC_RETURN_IF_ERROR(ParseSection(section.id, r).WithContext(label));
    }
    WC_RETURN_IF_ERROR(file.Skip(section.payload_size, "section payload"));
    info_.sections.push_back(std::move(section));
  }

  if (info_.function_type_indices.size() != code_bodies_) {
    return Malformed(
        "the function section declares " + std::to_string(info_.function_type_indices.size()) +
        " functions but the code section has " + std::to_string(code_bodies_) + " bodies");
  }
  return std::move(info_);
}

// A whole custom section: id 0, payload size, name, content.
Result<Bytes> EncodeCustomSection(std::string_view name, ByteView content) {
  if (!IsValidUtf8(name)) return InvalidArgument("custom section name is not valid UTF-8");
  const uint64_t payload = Leb128Size(name.size()) + name.size() + uint64_t{content.size()};
  if (payload > UINT32_MAX) {
    return InvalidArgument("custom section \"" + std::string(name) + "\" of " +
                           std::to_string(payload) + " bytes is too large for a section");
  }
  Bytes out;
  out.reserve(1 + Leb128Size(payload) + payload);
  out.push_back(kCustomSection);
  AppendLeb128(out, payload);
  AppendLeb128(out, name.size());
  out.insert(out.end(), name.begin(), name.end());
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

// `module` with the bytes [begin, end) replaced by `replacement`.
Bytes Splice(ByteView module, size_t begin, size_t end, ByteView replacement) {
  Bytes out;
  out.reserve(module.size() - (end - begin) + replacement.size());
  out.insert(out.end(), module.begin(), module.begin() + begin);
  out.insert(out.end(), replacement.begin(), replacement.end());
  out.insert(out.end(), module.begin() + end, module.end());
  return out;
}

}  // namespace

std::string_view ValTypeName(ValType t) {
  switch (t) {
    case ValType::kI32:
      return "i32";
    case ValType::kI64:
      return "i64";
    case ValType::kF32:
      return "f32";
    case ValType::kF64:
      return "f64";
    case ValType::kV128:
      return "v128";
    case ValType::kFuncRef:
      return "funcref";
    case ValType::kExternRef:
      return "externref";
  }
  return "unknown";
}

std::string FuncTypeToString(const FuncType& t) {
  auto list = [](const std::vector<ValType>& types, bool parens) {
    std::string s = parens ? "(" : "";
    for (size_t i = 0; i < types.size(); ++i) {
      if (i > 0) s += ", ";
      s += ValTypeName(types[i]);
    }
    if (parens) s += ")";
    return s;
  };
  return list(t.params, true) + " -> " + list(t.results, t.results.size() != 1);
}

std::string_view ExternKindName(ExternKind k) {
  static constexpr std::array<std::string_view, 5> kNames = {"function", "table", "memory",
                                                             "global", "tag"};
  const auto i = static_cast<size_t>(k);
  return i < kNames.size() ? kNames[i] : "unknown";
}

const Export* ModuleInfo::FindExport(std::string_view name) const {
  for (const Export& e : exports) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::optional<FuncType> ModuleInfo::ExportedFunctionType(std::string_view name) const {
  const Export* e = FindExport(name);
  if (e == nullptr || e->kind != ExternKind::kFunction) return std::nullopt;
  // Imported functions come first in the function index space.
  uint32_t index = e->index;
  for (const Import& imp : imports) {
    if (imp.kind != ExternKind::kFunction) continue;
    if (index == 0) {
      if (imp.type_index >= types.size()) return std::nullopt;
      return types[imp.type_index];
    }
    --index;
  }
  if (index >= function_type_indices.size()) return std::nullopt;
  const uint32_t type_index = function_type_indices[index];
  if (type_index >= types.size()) return std::nullopt;
  return types[type_index];
}

std::optional<FuncType> ModuleInfo::ImportedFunctionType(std::string_view module,
                                                         std::string_view name) const {
  for (const Import& imp : imports) {
    if (imp.kind == ExternKind::kFunction && imp.module == module && imp.name == name) {
      if (imp.type_index >= types.size()) return std::nullopt;
      return types[imp.type_index];
    }
  }
  return std::nullopt;
}

const Section* ModuleInfo::FindCustomSection(std::string_view name) const {
  for (const Section& s : sections) {
    if (s.id == kCustomSection && s.name == name) return &s;
  }
  return nullptr;
}

Result<ModuleInfo> InspectModule(ByteView module) { return ModuleParser(module).Parse(); }

std::optional<ByteView> CustomSectionContent(ByteView module, const ModuleInfo& info,
                                             std::string_view name) {
  const Section* s = info.FindCustomSection(name);
  // A mismatched `module` must not turn into an out-of-bounds view.
  if (s == nullptr || s->content_offset > module.size() ||
      s->content_size > module.size() - s->content_offset) {
    return std::nullopt;
  }
  return module.subspan(s->content_offset, s->content_size);
}

Result<Bytes> RemoveCustomSections(ByteView module, std::string_view name) {
  WC_ASSIGN_OR_RETURN(ModuleInfo info, InspectModule(module));
  Bytes out;
  out.reserve(module.size());
  size_t copied_to = 0;
  for (const Section& s : info.sections) {
    if (s.id != kCustomSection || s.name != name) continue;
    out.insert(out.end(), module.begin() + copied_to, module.begin() + s.offset);
    copied_to = s.offset + s.size;
  }
  out.insert(out.end(), module.begin() + copied_to, module.end());
  return out;
}

Result<Bytes> SetCustomSection(ByteView module, std::string_view name, ByteView content) {
  WC_ASSIGN_OR_RETURN(Bytes section, EncodeCustomSection(name, content));
  WC_ASSIGN_OR_RETURN(ModuleInfo info, InspectModule(module));
  const Section* s = info.FindCustomSection(name);
  if (s == nullptr) return Splice(module, module.size(), module.size(), section);
  return Splice(module, s->offset, s->offset + s->size, section);
}

Result<Bytes> AppendCustomSection(ByteView module, std::string_view name, ByteView content) {
  WC_ASSIGN_OR_RETURN(Bytes section, EncodeCustomSection(name, content));
  WC_ASSIGN_OR_RETURN(ModuleInfo info, InspectModule(module));
  (void)info;
  return Splice(module, module.size(), module.size(), section);
}

namespace {

// A known section: its id, then its payload's size and the payload.
Bytes EncodeSection(uint8_t id, const Bytes& payload) {
  Bytes section;
  section.push_back(id);
  AppendLeb128(section, payload.size());
  section.insert(section.end(), payload.begin(), payload.end());
  return section;
}

uint64_t CountImports(const ModuleInfo& info, ExternKind kind) {
  uint64_t n = 0;
  for (const Import& imp : info.imports) n += imp.kind == kind;
  return n;
}

// The memory section of `info` with every maximum at most `max_pages`.
Result<Bytes> CappedMemorySection(const ModuleInfo& info, uint64_t max_pages) {
  const uint64_t imported_memories = CountImports(info, ExternKind::kMemory);
  Bytes payload;
  AppendLeb128(payload, info.memories.size());
  for (size_t i = 0; i < info.memories.size(); ++i) {
    const Limits& m = info.memories[i];
    // A cap beyond what the memory's index type can address would write a maximum
    // the engine rejects; such a cap is no limit, so clamp it.
    const uint64_t cap = std::min(max_pages, m.is64 ? kMaxPages64 : kMaxPages32);
    if (m.min > cap) {
      return ResourceExhausted("memory " + std::to_string(imported_memories + i) +
                               " needs at least " + std::to_string(m.min) +
                               " pages, above the cap of " + std::to_string(cap) + " pages");
    }
    const uint64_t max = m.max ? std::min(*m.max, cap) : cap;
    payload.push_back(0x01 | (m.shared ? 0x02 : 0) | (m.is64 ? 0x04 : 0));
    AppendLeb128(payload, m.min);
    AppendLeb128(payload, max);
  }
  return EncodeSection(kMemorySection, payload);
}

// The table section of `info` under the caps (see CapTableElements).
Result<Bytes> CappedTableSection(const ModuleInfo& info, uint64_t max_per_table,
                                 uint64_t max_total) {
  const uint64_t imported_tables = CountImports(info, ExternKind::kTable);
  // Minimums first: they are allocated at instantiation whatever the maximums say.
  uint64_t minimums = 0;
  for (size_t i = 0; i < info.tables.size(); ++i) {
    const uint64_t min = info.tables[i].limits.min;
    const std::string name = "table " + std::to_string(imported_tables + i);
    if (min > max_per_table) {
      return ResourceExhausted(name + " needs at least " + std::to_string(min) +
                               " elements, above the cap of " + std::to_string(max_per_table) +
                               " elements per table");
    }
    minimums += min;  // at most tables × 2^32: no overflow
    if (minimums > max_total) {
      return ResourceExhausted("the tables need at least " + std::to_string(minimums) +
                               " elements together (up to " + name + "), above the cap of " +
                               std::to_string(max_total) + " elements for all tables");
    }
  }
  uint64_t growth_left = max_total - minimums;
  Bytes payload;
  AppendLeb128(payload, info.tables.size());
  for (const Table& t : info.tables) {
    const Limits& l = t.limits;
    uint64_t max = std::min<uint64_t>(max_per_table, l.min + growth_left);
    if (l.max) max = std::min(max, *l.max);
    // A maximum below the minimum is invalid; the engine reports it, unchanged.
    if (l.max && *l.max < l.min) max = *l.max;
    if (max > l.min) growth_left -= max - l.min;
    payload.push_back(static_cast<uint8_t>(t.type));
    payload.push_back(0x01 | (l.shared ? 0x02 : 0) | (l.is64 ? 0x04 : 0));
    AppendLeb128(payload, l.min);
    AppendLeb128(payload, max);
  }
  return EncodeSection(kTableSection, payload);
}

}  // namespace

Result<Bytes> CapModuleLimits(ByteView module, const ModuleCaps& caps) {
  WC_ASSIGN_OR_RETURN(ModuleInfo info, InspectModule(module));
  Bytes out;
  out.reserve(module.size());
  size_t copied_to = 0;
  for (const Section& s : info.sections) {
    Bytes replacement;
    if (s.id == kMemorySection && caps.max_memory_pages) {
      WC_ASSIGN_OR_RETURN(replacement, CappedMemorySection(info, *caps.max_memory_pages));
    } else if (s.id == kTableSection && caps.max_table_elements) {
      WC_ASSIGN_OR_RETURN(replacement, CappedTableSection(info, *caps.max_table_elements,
                                                          caps.max_total_table_elements));
    } else if (!(s.id == kCustomSection && !caps.drop_custom.empty() &&
                 s.name == caps.drop_custom)) {
      continue;  // kept as it is
    }
    out.insert(out.end(), module.begin() + copied_to, module.begin() + s.offset);
    out.insert(out.end(), replacement.begin(), replacement.end());
    copied_to = s.offset + s.size;
  }
  out.insert(out.end(), module.begin() + copied_to, module.end());
  return out;
}

Result<Bytes> CapMemoryPages(ByteView module, uint64_t max_pages) {
  ModuleCaps caps;
  caps.max_memory_pages = max_pages;
  return CapModuleLimits(module, caps);
}

Result<Bytes> CapTableElements(ByteView module, uint64_t max_per_table, uint64_t max_total) {
  ModuleCaps caps;
  caps.max_table_elements = max_per_table;
  caps.max_total_table_elements = max_total;
  return CapModuleLimits(module, caps);
}

}  // namespace wasmcloud::wasm
