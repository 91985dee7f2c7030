// The module inspector: a bounds-checked reader of the WebAssembly binary format
// (https://webassembly.github.io/spec/core/binary/). It never trusts a count, size or
// index from the bytes: every read is checked against the end of its section, and a
// malformed module is an error (Code::kMalformed) that says what is wrong and at which
// byte offset, e.g. "import section: name length 4000 runs past the end of the section
// at offset 0x1f". It does not validate code bodies (the engine does that).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::wasm {

enum class ValType : uint8_t {
  kI32 = 0x7f,
  kI64 = 0x7e,
  kF32 = 0x7d,
  kF64 = 0x7c,
  kV128 = 0x7b,
  kFuncRef = 0x70,
  kExternRef = 0x6f,
};
std::string_view ValTypeName(ValType t);  // "i32", "funcref", ...

struct FuncType {
  std::vector<ValType> params;
  std::vector<ValType> results;
  bool operator==(const FuncType&) const = default;
};
// "(i32, i32) -> i32", "() -> ()".
std::string FuncTypeToString(const FuncType& t);

enum class ExternKind : uint8_t { kFunction = 0, kTable = 1, kMemory = 2, kGlobal = 3, kTag = 4 };
std::string_view ExternKindName(ExternKind k);  // "function", "table", ...

struct Limits {
  uint64_t min = 0;
  std::optional<uint64_t> max;
  bool shared = false;
  bool is64 = false;  // memory64
};

// A table the module defines.
struct Table {
  ValType type = ValType::kFuncRef;  // kFuncRef or kExternRef
  Limits limits;
};

struct Import {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::kFunction;
  uint32_t type_index = 0;  // kFunction: index into ModuleInfo::types (checked in range)
  Limits limits;            // kMemory and kTable
};

struct Export {
  std::string name;
  ExternKind kind = ExternKind::kFunction;
  uint32_t index = 0;  // index in the kind's index space (imports first), checked in range
};

struct Section {
  uint8_t id = 0;             // 0 = custom, 1 type, 2 import, ... 12 data count
  size_t offset = 0;          // offset of the id byte
  size_t size = 0;            // whole section: id byte + size LEB128 + payload
  size_t payload_offset = 0;  // first byte after the size LEB128
  size_t payload_size = 0;    // as declared by the size LEB128
  std::string name;           // custom sections only
  size_t content_offset = 0;  // custom: first byte after the name; others: payload_offset
  size_t content_size = 0;    // custom: payload minus name; others: payload_size
};

struct ModuleInfo {
  std::vector<Section> sections;  // in file order
  std::vector<FuncType> types;
  std::vector<Import> imports;
  std::vector<Export> exports;
  std::vector<uint32_t> function_type_indices;  // defined (non-imported) functions
  std::vector<Table> tables;                    // defined (non-imported) tables
  std::vector<Limits> memories;                 // defined (non-imported) memories
  std::optional<uint32_t> start_function;

  const Export* FindExport(std::string_view name) const;
  // The signature of an exported function (imported or defined); nullopt when there is
  // no such export or it is not a function.
  std::optional<FuncType> ExportedFunctionType(std::string_view name) const;
  // The signature of an imported function; nullopt when there is none.
  std::optional<FuncType> ImportedFunctionType(std::string_view module,
                                               std::string_view name) const;
  // The first custom section with that name, or nullptr.
  const Section* FindCustomSection(std::string_view name) const;
};

// Parses the header and every section's framing, and decodes the type, import,
// function, memory, export and start sections. Also checks: section order of the known
// sections, no duplicate known section, function/code count agreement, indices in range.
Result<ModuleInfo> InspectModule(ByteView module);

// The payload (after the name) of the first custom section named `name`, or nullopt.
// `module` must be the bytes `info` was parsed from.
std::optional<ByteView> CustomSectionContent(ByteView module, const ModuleInfo& info,
                                             std::string_view name);

// Returns the module with every custom section named `name` removed (unchanged when
// there is none). Errors only if `module` does not parse.
Result<Bytes> RemoveCustomSections(ByteView module, std::string_view name);

// Replaces the content of the first custom section named `name` in place (as
// parity-wasm's set_custom_section does), or appends a new one at the end when there is
// none. Later sections with the same name are left alone.
Result<Bytes> SetCustomSection(ByteView module, std::string_view name, ByteView content);

// Appends a custom section at the end, whatever is already there.
Result<Bytes> AppendCustomSection(ByteView module, std::string_view name, ByteView content);

// Rewrites the limits of every defined memory so that its maximum is at most
// `max_pages` (64 KiB pages): a missing or larger maximum becomes `max_pages`. A memory
// whose minimum is already above the cap is an error (kResourceExhausted) that names
// both numbers. The module is otherwise byte-identical except for the memory section.
Result<Bytes> CapMemoryPages(ByteView module, uint64_t max_pages);

// Rewrites the limits of every defined table so that no table can hold more than
// `max_per_table` elements and all of them together no more than `max_total`: each
// table's maximum becomes the smallest of its own maximum, `max_per_table`, and its
// minimum plus what the total leaves after every table's minimum and the growth already
// given to the tables before it. A module whose minimums are above either cap is an
// error (kResourceExhausted) naming the table and the numbers. Otherwise byte-identical
// except for the table section.
Result<Bytes> CapTableElements(ByteView module, uint64_t max_per_table, uint64_t max_total);

// What CapModuleLimits does, each part only when set.
struct ModuleCaps {
  std::optional<uint64_t> max_memory_pages;    // as CapMemoryPages
  std::optional<uint64_t> max_table_elements;  // as CapTableElements, with the total below
  uint64_t max_total_table_elements = 0;
  std::string_view drop_custom;  // custom sections of this name are removed ("" keeps all)
};
// CapMemoryPages, CapTableElements and RemoveCustomSections in one pass: the module is
// inspected once and copied once (the engine prepares every module this way). Errors as
// theirs; the first failing section's error is returned.
Result<Bytes> CapModuleLimits(ByteView module, const ModuleCaps& caps);

}  // namespace wasmcloud::wasm
