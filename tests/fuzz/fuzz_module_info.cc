// Fuzz target for the module inspector (src/wasm/module_info.h). Any bytes must give a
// ModuleInfo or a kMalformed error, never a crash; and when they parse, the editing
// functions must keep the properties the host relies on when it embeds or strips a JWT
// and caps memory and tables. A violated property aborts with a message.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "fuzz_check.h"
#include "wasm/module_info.h"

namespace {

using wasmcloud::Bytes;
using wasmcloud::ByteView;
using wasmcloud::Code;
using wasmcloud::Result;
using namespace wasmcloud::wasm;

Result<ModuleInfo> MustParse(ByteView module) {
  Result<ModuleInfo> info = InspectModule(module);
  if (!info.ok())
    std::fprintf(stderr, "edited module does not parse: %s\n", info.status().ToString().c_str());
  FUZZ_CHECK(info.ok());
  return info;
}

// Sections tile the module after the header, and every recorded range is inside it.
void CheckFraming(ByteView module, const ModuleInfo& info) {
  size_t next = 8;
  for (const Section& s : info.sections) {
    FUZZ_CHECK(s.offset == next);
    FUZZ_CHECK(s.payload_offset > s.offset &&
               s.payload_offset + s.payload_size == s.offset + s.size);
    FUZZ_CHECK(s.content_offset >= s.payload_offset);
    FUZZ_CHECK(s.content_offset + s.content_size == s.payload_offset + s.payload_size);
    FUZZ_CHECK(s.id != 0 || s.content_offset > s.payload_offset);
    next = s.offset + s.size;
  }
  FUZZ_CHECK(next == module.size());
}

// Everything but custom sections is unchanged by a custom-section edit.
void CheckSameDecoding(const ModuleInfo& a, const ModuleInfo& b) {
  FUZZ_CHECK(a.types == b.types);
  FUZZ_CHECK(a.imports.size() == b.imports.size());
  for (size_t i = 0; i < a.imports.size(); ++i) {
    FUZZ_CHECK(a.imports[i].module == b.imports[i].module);
    FUZZ_CHECK(a.imports[i].name == b.imports[i].name);
    FUZZ_CHECK(a.imports[i].kind == b.imports[i].kind);
  }
  FUZZ_CHECK(a.exports.size() == b.exports.size());
  for (size_t i = 0; i < a.exports.size(); ++i) {
    FUZZ_CHECK(a.exports[i].name == b.exports[i].name);
    FUZZ_CHECK(a.exports[i].index == b.exports[i].index);
  }
  FUZZ_CHECK(a.function_type_indices == b.function_type_indices);
  FUZZ_CHECK(a.memories.size() == b.memories.size());
  FUZZ_CHECK(a.start_function == b.start_function);
}

bool SameBytes(ByteView a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

void CheckCustomSectionEdits(ByteView module, const ModuleInfo& info) {
  const char* kName = "jwt";
  // Content taken from the input, so that it varies (and sometimes crosses 127 bytes,
  // which changes the size LEB128's length).
  ByteView content = module.subspan(module.size() / 2);
  size_t jwt_bytes = 0;
  size_t jwt_sections = 0;
  for (const Section& s : info.sections) {
    if (s.id == 0 && s.name == kName) jwt_bytes += s.size, ++jwt_sections;
  }

  Result<Bytes> set = SetCustomSection(module, kName, content);
  FUZZ_CHECK(set.ok());
  Result<ModuleInfo> set_info = MustParse(*set);
  CheckFraming(*set, *set_info);
  CheckSameDecoding(info, *set_info);
  std::optional<ByteView> got = CustomSectionContent(*set, *set_info, kName);
  FUZZ_CHECK(got.has_value() && SameBytes(*got, content));
  // Replaced in place (same section list) or appended as the last section.
  FUZZ_CHECK(set_info->sections.size() == info.sections.size() + (jwt_sections == 0 ? 1 : 0));
  if (jwt_sections == 0) FUZZ_CHECK(set_info->sections.back().name == kName);

  Result<Bytes> removed = RemoveCustomSections(module, kName);
  FUZZ_CHECK(removed.ok());
  FUZZ_CHECK(removed->size() == module.size() - jwt_bytes);
  Result<ModuleInfo> removed_info = MustParse(*removed);
  FUZZ_CHECK(removed_info->FindCustomSection(kName) == nullptr);
  CheckSameDecoding(info, *removed_info);
  // Removing after setting gives the same bytes as removing alone.
  Result<Bytes> set_removed = RemoveCustomSections(*set, kName);
  FUZZ_CHECK(set_removed.ok() && *set_removed == *removed);

  Result<Bytes> appended = AppendCustomSection(module, kName, content);
  FUZZ_CHECK(appended.ok());
  FUZZ_CHECK(SameBytes(ByteView(*appended).first(module.size()), module));
  Result<ModuleInfo> appended_info = MustParse(*appended);
  FUZZ_CHECK(appended_info->sections.size() == info.sections.size() + 1);
  const Section& last = appended_info->sections.back();
  FUZZ_CHECK(last.name == kName);
  FUZZ_CHECK(
      SameBytes(ByteView(*appended).subspan(last.content_offset, last.content_size), content));
}

void CheckCapMemoryPages(ByteView module, const ModuleInfo& info) {
  // A cap from the input, small enough to collide with real minimums now and then.
  const uint64_t cap = module[module.size() - 1] % 32;
  Result<Bytes> capped = CapMemoryPages(module, cap);
  if (!capped.ok()) {
    FUZZ_CHECK(capped.status().code() == Code::kResourceExhausted);
    bool some_min_above = false;
    for (const Limits& m : info.memories) some_min_above |= m.min > cap;
    FUZZ_CHECK(some_min_above);
    return;
  }
  Result<ModuleInfo> capped_info = MustParse(*capped);
  CheckFraming(*capped, *capped_info);
  FUZZ_CHECK(capped_info->memories.size() == info.memories.size());
  for (size_t i = 0; i < info.memories.size(); ++i) {
    const Limits& before = info.memories[i];
    const Limits& after = capped_info->memories[i];
    FUZZ_CHECK(after.min == before.min && after.shared == before.shared &&
               after.is64 == before.is64);
    FUZZ_CHECK(after.max.has_value() && *after.max <= cap);
    FUZZ_CHECK(!before.max || *after.max <= *before.max);
  }
  // Only the memory section changes: the same sections, the others byte for byte.
  FUZZ_CHECK(capped_info->sections.size() == info.sections.size());
  for (size_t i = 0; i < info.sections.size(); ++i) {
    const Section& a = info.sections[i];
    const Section& b = capped_info->sections[i];
    FUZZ_CHECK(a.id == b.id);
    if (a.id == 5) continue;
    FUZZ_CHECK(
        SameBytes(module.subspan(a.offset, a.size), ByteView(*capped).subspan(b.offset, b.size)));
  }
  // Capping again changes nothing.
  Result<Bytes> again = CapMemoryPages(*capped, cap);
  FUZZ_CHECK(again.ok() && *again == *capped);
}

void CheckCapTableElements(ByteView module, const ModuleInfo& info) {
  // Caps from the input, small enough to collide with real minimums now and then.
  const uint64_t per_table = module[module.size() - 1] % 64;
  const uint64_t total = module[module.size() / 2] % 128;
  Result<Bytes> capped = CapTableElements(module, per_table, total);
  uint64_t minimums = 0;
  bool some_min_above = false;
  for (const Table& t : info.tables) {
    minimums += t.limits.min;
    some_min_above |= t.limits.min > per_table;
  }
  if (!capped.ok()) {
    FUZZ_CHECK(capped.status().code() == Code::kResourceExhausted);
    FUZZ_CHECK(some_min_above || minimums > total);
    return;
  }
  FUZZ_CHECK(!some_min_above && minimums <= total);
  Result<ModuleInfo> capped_info = MustParse(*capped);
  CheckFraming(*capped, *capped_info);
  FUZZ_CHECK(capped_info->tables.size() == info.tables.size());
  uint64_t maximums = 0;
  for (size_t i = 0; i < info.tables.size(); ++i) {
    const Table& before = info.tables[i];
    const Table& after = capped_info->tables[i];
    FUZZ_CHECK(after.type == before.type && after.limits.min == before.limits.min);
    FUZZ_CHECK(after.limits.max.has_value());
    FUZZ_CHECK(!before.limits.max || *after.limits.max <= *before.limits.max);
    // A valid table (max >= min) is within both caps, all of them within the total.
    if (before.limits.max && *before.limits.max < before.limits.min) continue;
    FUZZ_CHECK(*after.limits.max <= per_table);
    maximums += *after.limits.max;
  }
  FUZZ_CHECK(maximums <= total);
  FUZZ_CHECK(capped_info->sections.size() == info.sections.size());
  // Capping again changes nothing.
  Result<Bytes> again = CapTableElements(*capped, per_table, total);
  FUZZ_CHECK(again.ok() && *again == *capped);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView module(data, size);
  Result<ModuleInfo> info = InspectModule(module);
  if (!info.ok()) {
    FUZZ_CHECK(info.status().code() == Code::kMalformed);
    FUZZ_CHECK(!info.status().message().empty());
    // The editors parse first and must fail the same way.
    FUZZ_CHECK(RemoveCustomSections(module, "jwt").status().message() == info.status().message());
    return 0;
  }
  CheckFraming(module, *info);
  for (const Export& e : info->exports) FUZZ_CHECK(info->FindExport(e.name) != nullptr);
  for (const Section& s : info->sections) {
    if (s.id != 0) continue;
    std::optional<ByteView> content = CustomSectionContent(module, *info, s.name);
    FUZZ_CHECK(content.has_value());
  }
  CheckCustomSectionEdits(module, *info);
  CheckCapMemoryPages(module, *info);
  CheckCapTableElements(module, *info);
  return 0;
}
