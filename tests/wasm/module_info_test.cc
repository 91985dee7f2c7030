#include "wasm/module_info.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>

#include "support/run_command.h"

namespace wasmcloud::wasm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// --- Building modules from bytes -------------------------------------------------------

Bytes Leb(uint64_t v) {
  Bytes out;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out.push_back(v ? (b | 0x80) : b);
  } while (v);
  return out;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes Name(std::string_view s) { return Cat({Leb(s.size()), ToBytes(s)}); }

Bytes Sec(uint8_t id, const Bytes& payload) { return Cat({{id}, Leb(payload.size()), payload}); }

Bytes Custom(std::string_view name, std::string_view content) {
  return Sec(0, Cat({Name(name), ToBytes(content)}));
}

const Bytes kHeader = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

Bytes Module(std::initializer_list<Bytes> sections) {
  Bytes out = kHeader;
  for (const Bytes& s : sections) out.insert(out.end(), s.begin(), s.end());
  return out;
}

// Sections of a small module that uses every section kind the inspector decodes:
//   (type 0 (func)) (type 1 (func (param i32 i32) (result i32)))
//   (import "env" "f" (func (type 1))) (import "env" "t" (table 0 1 funcref))
//   (import "env" "g" (global i32))
//   two functions of types 0 and 1, a table, a memory of 1 page, a mutable global,
//   exports "run" (func 2), "memory" (memory 0), "g" (global 1), start func 1,
//   two bodies, and a custom section "jwt".
const Bytes kTypeSec = Sec(1, {0x02, 0x60, 0x00, 0x00, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f});
const Bytes kImportSec = Sec(2, Cat({{0x03},
                                     Name("env"),
                                     Name("f"),
                                     {0x00, 0x01},
                                     Name("env"),
                                     Name("t"),
                                     {0x01, 0x70, 0x01, 0x00, 0x01},
                                     Name("env"),
                                     Name("g"),
                                     {0x03, 0x7f, 0x00}}));
const Bytes kFunctionSec = Sec(3, {0x02, 0x00, 0x01});
const Bytes kTableSec = Sec(4, {0x01, 0x70, 0x00, 0x01});
const Bytes kMemorySec = Sec(5, {0x01, 0x00, 0x01});
const Bytes kGlobalSec = Sec(6, {0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b});
const Bytes kExportSec = Sec(7, Cat({{0x03},
                                     Name("run"),
                                     {0x00, 0x02},
                                     Name("memory"),
                                     {0x02, 0x00},
                                     Name("g"),
                                     {0x03, 0x01}}));
const Bytes kStartSec = Sec(8, {0x01});
const Bytes kCodeSec = Sec(10, {0x02, 0x02, 0x00, 0x0b,  // () -> ()
                                0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b});

Bytes SmallModule() {
  return Module({kTypeSec, kImportSec, kFunctionSec, kTableSec, kMemorySec, kGlobalSec, kExportSec,
                 kStartSec, kCodeSec, Custom("jwt", "abc")});
}

Bytes ReadFixture(const std::string& relative) {
  Result<Bytes> bytes = ReadFile(testing::FixturePath(relative));
  EXPECT_TRUE(bytes.ok()) << relative << ": " << bytes.status().ToString();
  return bytes.ok() ? *bytes : Bytes();
}

std::vector<std::string> CustomNames(const ModuleInfo& info) {
  std::vector<std::string> names;
  for (const Section& s : info.sections) {
    if (s.id == 0) names.push_back(s.name);
  }
  return names;
}

// Asserts that `module` is malformed with a message containing `text`.
void ExpectMalformed(const Bytes& module, std::string_view text) {
  Result<ModuleInfo> info = InspectModule(module);
  ASSERT_FALSE(info.ok()) << "expected an error containing: " << text;
  EXPECT_EQ(info.status().code(), Code::kMalformed);
  EXPECT_THAT(info.status().message(), HasSubstr(std::string(text)));
}

// --- Decoding --------------------------------------------------------------------------

TEST(ModuleInfoTest, DecodesSmallModule) {
  Bytes module = SmallModule();
  Result<ModuleInfo> info = InspectModule(module);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_EQ(info->types.size(), 2u);
  EXPECT_EQ(FuncTypeToString(info->types[0]), "() -> ()");
  EXPECT_EQ(FuncTypeToString(info->types[1]), "(i32, i32) -> i32");
  ASSERT_EQ(info->imports.size(), 3u);
  EXPECT_EQ(info->imports[0].module, "env");
  EXPECT_EQ(info->imports[0].name, "f");
  EXPECT_EQ(info->imports[0].kind, ExternKind::kFunction);
  EXPECT_EQ(info->imports[0].type_index, 1u);
  EXPECT_EQ(info->imports[1].kind, ExternKind::kTable);
  EXPECT_EQ(info->imports[1].limits.min, 0u);
  EXPECT_EQ(info->imports[1].limits.max, 1u);
  EXPECT_EQ(info->imports[2].kind, ExternKind::kGlobal);
  EXPECT_THAT(info->function_type_indices, ElementsAre(0u, 1u));
  ASSERT_EQ(info->memories.size(), 1u);
  EXPECT_EQ(info->memories[0].min, 1u);
  EXPECT_FALSE(info->memories[0].max.has_value());
  ASSERT_EQ(info->exports.size(), 3u);
  EXPECT_EQ(info->start_function, 1u);

  const Export* run = info->FindExport("run");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->kind, ExternKind::kFunction);
  EXPECT_EQ(run->index, 2u);
  EXPECT_EQ(info->FindExport("nope"), nullptr);
  ASSERT_TRUE(info->ExportedFunctionType("run").has_value());
  EXPECT_EQ(FuncTypeToString(*info->ExportedFunctionType("run")), "(i32, i32) -> i32");
  EXPECT_FALSE(info->ExportedFunctionType("memory").has_value());  // not a function
  EXPECT_FALSE(info->ExportedFunctionType("nope").has_value());
  ASSERT_TRUE(info->ImportedFunctionType("env", "f").has_value());
  EXPECT_EQ(info->ImportedFunctionType("env", "f")->params.size(), 2u);
  EXPECT_FALSE(info->ImportedFunctionType("env", "t").has_value());

  ASSERT_EQ(info->sections.size(), 10u);
  const Section& jwt = info->sections.back();
  EXPECT_EQ(jwt.id, 0);
  EXPECT_EQ(jwt.name, "jwt");
  EXPECT_EQ(jwt.offset + jwt.size, module.size());
  EXPECT_EQ(info->FindCustomSection("jwt"), &jwt);
  std::optional<ByteView> content = CustomSectionContent(module, *info, "jwt");
  ASSERT_TRUE(content.has_value());
  EXPECT_EQ(AsChars(*content), "abc");
  EXPECT_FALSE(CustomSectionContent(module, *info, "other").has_value());
}

TEST(ModuleInfoTest, SectionFramingIsRecorded) {
  Bytes module = Module({kTypeSec, Custom("x", "12345")});
  Result<ModuleInfo> info = InspectModule(module);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_EQ(info->sections.size(), 2u);
  const Section& type = info->sections[0];
  EXPECT_EQ(type.id, 1);
  EXPECT_EQ(type.offset, 8u);
  EXPECT_EQ(type.payload_offset, 10u);
  EXPECT_EQ(type.payload_size, kTypeSec.size() - 2);
  EXPECT_EQ(type.size, kTypeSec.size());
  EXPECT_EQ(type.content_offset, type.payload_offset);
  EXPECT_EQ(type.content_size, type.payload_size);
  const Section& custom = info->sections[1];
  EXPECT_EQ(custom.offset, 8 + kTypeSec.size());
  EXPECT_EQ(custom.payload_size, 7u);
  EXPECT_EQ(custom.content_offset, custom.payload_offset + 2);
  EXPECT_EQ(custom.content_size, 5u);
}

TEST(ModuleInfoTest, EmptyModuleIsValid) {
  Result<ModuleInfo> info = InspectModule(kHeader);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->sections.empty());
}

TEST(ModuleInfoTest, DecodesLimitsFlags) {
  // min only; min+max; shared with max; memory64 with a 64-bit minimum.
  Bytes module = Module({Sec(5, Cat({{0x04, 0x00, 0x02, 0x01, 0x01, 0x03, 0x03, 0x01, 0x05, 0x04},
                                     Leb(uint64_t{1} << 40)}))});
  Result<ModuleInfo> info = InspectModule(module);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_EQ(info->memories.size(), 4u);
  EXPECT_EQ(info->memories[0].min, 2u);
  EXPECT_FALSE(info->memories[0].max);
  EXPECT_EQ(info->memories[1].max, 3u);
  EXPECT_TRUE(info->memories[2].shared);
  EXPECT_EQ(info->memories[2].max, 5u);
  EXPECT_TRUE(info->memories[3].is64);
  EXPECT_EQ(info->memories[3].min, uint64_t{1} << 40);
  ExpectMalformed(Module({Sec(5, {0x01, 0x08, 0x00})}), "unknown limits flags 0x08");
}

TEST(ModuleInfoTest, DecodesTagImportsAndTagSection) {
  Bytes module =
      Module({kTypeSec, Sec(2, Cat({{0x01}, Name("m"), Name("e"), {0x04, 0x00, 0x00}})),
              Sec(13, {0x01, 0x00, 0x00}), Sec(7, Cat({{0x01}, Name("e1"), {0x04, 0x01}}))});
  Result<ModuleInfo> info = InspectModule(module);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->imports[0].kind, ExternKind::kTag);
  EXPECT_EQ(info->exports[0].kind, ExternKind::kTag);
  ExpectMalformed(Module({kTypeSec, Sec(13, {0x01, 0x00, 0x00}),
                          Sec(7, Cat({{0x01}, Name("e1"), {0x04, 0x01}}))}),
                  "tag index 1 is out of range (1 tags)");
}

TEST(ModuleInfoTest, NamesOfTypesAndKinds) {
  EXPECT_EQ(ValTypeName(ValType::kF64), "f64");
  EXPECT_EQ(ValTypeName(ValType::kExternRef), "externref");
  EXPECT_EQ(ExternKindName(ExternKind::kGlobal), "global");
  EXPECT_EQ(FuncTypeToString({{ValType::kI64}, {ValType::kI32, ValType::kF32}}),
            "(i64) -> (i32, f32)");
}

// --- Real fixtures ---------------------------------------------------------------------

TEST(ModuleInfoFixtureTest, EchoActor) {
  Bytes module = ReadFixture("wc-host-0.18/echo.wasm");
  Result<ModuleInfo> info = InspectModule(module);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  std::vector<std::string> imports;
  for (const Import& imp : info->imports) {
    EXPECT_EQ(imp.kind, ExternKind::kFunction);
    imports.push_back(imp.module + "." + imp.name);
  }
  EXPECT_THAT(imports, UnorderedElementsAre("wapc.__guest_error", "wapc.__guest_request",
                                            "wapc.__guest_response"));
  std::optional<FuncType> call = info->ExportedFunctionType("__guest_call");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(FuncTypeToString(*call), "(i32, i32) -> i32");
  ASSERT_NE(info->FindExport("memory"), nullptr);
  EXPECT_EQ(info->FindExport("memory")->kind, ExternKind::kMemory);
  ASSERT_NE(info->FindExport("wapc_init"), nullptr);
  EXPECT_EQ(info->FindExport("wapc_init")->kind, ExternKind::kFunction);
  ASSERT_EQ(info->memories.size(), 1u);
  EXPECT_EQ(info->memories[0].min, 17u);
  ASSERT_FALSE(info->sections.empty());
  EXPECT_EQ(info->sections.back().name, "jwt");
  std::optional<ByteView> jwt = CustomSectionContent(module, *info, "jwt");
  ASSERT_TRUE(jwt.has_value());
  EXPECT_EQ(AsChars(*jwt).substr(0, 3), "eyJ");  // base64url of '{"'
}

TEST(ModuleInfoFixtureTest, LoopModule) {
  Bytes module = ReadFixture("wascap/loop.wasm");
  ASSERT_EQ(module.size(), 74u);
  Result<ModuleInfo> info = InspectModule(module);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_EQ(info->exports.size(), 1u);
  EXPECT_EQ(info->exports[0].name, "main");
  EXPECT_EQ(FuncTypeToString(*info->ExportedFunctionType("main")), "() -> i32");
  EXPECT_TRUE(CustomNames(*info).empty());
  EXPECT_TRUE(info->imports.empty());
}

// Every wasm fixture agrees with the hand-written index of the shared folder.
TEST(ModuleInfoFixtureTest, EveryFixtureMatchesTheIndex) {
  std::ifstream in(testing::FixturePath("fixtures_index.json"));
  ASSERT_TRUE(in) << "cannot open fixtures_index.json";
  nlohmann::json index = nlohmann::json::parse(in);
  ASSERT_GE(index["wasm"].size(), 2u);
  for (const auto& entry : index["wasm"]) {
    const std::string path = entry["path"];
    SCOPED_TRACE(path);
    Bytes module = ReadFixture(path);
    EXPECT_EQ(module.size(), entry["size"].get<size_t>());
    Result<ModuleInfo> info = InspectModule(module);
    ASSERT_TRUE(info.ok()) << info.status().ToString();

    std::vector<std::string> imports, exports;
    for (const Import& imp : info->imports) imports.push_back(imp.module + "." + imp.name);
    for (const Export& exp : info->exports) exports.push_back(exp.name);
    std::sort(imports.begin(), imports.end());
    std::sort(exports.begin(), exports.end());
    auto sorted = [](std::vector<std::string> v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    EXPECT_EQ(imports, sorted(entry["imports"].get<std::vector<std::string>>()));
    EXPECT_EQ(exports, sorted(entry["exports"].get<std::vector<std::string>>()));
    // Custom sections in file order.
    EXPECT_EQ(CustomNames(*info), entry["custom_sections"].get<std::vector<std::string>>());

    if (entry["jwt_section"].is_null()) {
      EXPECT_EQ(info->FindCustomSection("jwt"), nullptr);
      continue;
    }
    const Section* jwt = info->FindCustomSection("jwt");
    ASSERT_NE(jwt, nullptr);
    if (entry.value("jwt_section_is_last", false)) {
      EXPECT_EQ(jwt, &info->sections.back());
    }
    if (entry.contains("jwt")) {
      std::optional<ByteView> content = CustomSectionContent(module, *info, "jwt");
      ASSERT_TRUE(content.has_value());
      EXPECT_EQ(AsChars(*content), entry["jwt"].get<std::string>());
    }
  }
}

// --- Malformed modules -----------------------------------------------------------------

TEST(ModuleInfoMalformedTest, HeaderErrors) {
  ExpectMalformed({}, "not a WebAssembly module");
  ExpectMalformed({0x00, 0x61, 0x73}, "too short");
  ExpectMalformed({0x7f, 0x45, 0x4c, 0x46, 0x01, 0x00, 0x00, 0x00}, "wrong magic");
  ExpectMalformed({0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00}, "unsupported version 2");
  ExpectMalformed({0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x01}, "unsupported version 16777217");
}

// Every proper prefix of a valid module is an error, never a crash, except where the cut
// falls between sections and leaves a valid module behind: before the function section
// (nothing needs a body yet) or after the code section.
TEST(ModuleInfoMalformedTest, EveryTruncationIsAnError) {
  for (const Bytes& module : {SmallModule(), ReadFixture("wascap/loop.wasm")}) {
    Result<ModuleInfo> full = InspectModule(module);
    ASSERT_TRUE(full.ok());
    std::vector<size_t> valid_prefixes = {8};
    bool has_functions_without_code = false;
    for (const Section& s : full->sections) {
      if (s.id == 3) has_functions_without_code = true;
      if (s.id == 10) has_functions_without_code = false;
      if (!has_functions_without_code) valid_prefixes.push_back(s.offset + s.size);
    }
    for (size_t n = 0; n < module.size(); ++n) {
      Result<ModuleInfo> info = InspectModule(ByteView(module).first(n));
      const bool valid = std::count(valid_prefixes.begin(), valid_prefixes.end(), n) > 0;
      EXPECT_EQ(info.ok(), valid) << "prefix of " << n << " bytes: " << info.status().ToString();
      if (!info.ok()) {
        EXPECT_EQ(info.status().code(), Code::kMalformed);
      }
    }
  }
}

TEST(ModuleInfoMalformedTest, SectionSizePastTheEnd) {
  Bytes module = Module({kTypeSec});
  module[9] += 1;  // the type section's size byte
  ExpectMalformed(module, "type section (id 1) at offset 0x8: declared size");
  ExpectMalformed(module, "runs past the end of the module (10 bytes left)");
  ExpectMalformed(Module({{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f}}), "code section (id 10)");
}

TEST(ModuleInfoMalformedTest, UnknownSectionId) {
  ExpectMalformed(Module({Sec(14, {})}), "unknown section id 14 at offset 0x8");
}

TEST(ModuleInfoMalformedTest, HugeCountsAreRejectedBeforeAllocating) {
  ExpectMalformed(Module({Sec(2, {0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0, 0, 0})}),
                  "import section: import count 4294967295 is more than the 5 bytes left in "
                  "the section can hold (offset 0xa)");
  ExpectMalformed(Module({Sec(1, {0xff, 0xff, 0xff, 0xff, 0x0f})}), "type count 4294967295");
  ExpectMalformed(Module({Sec(1, {0x01, 0x60, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x00})}),
                  "parameter count 4294967295");
  ExpectMalformed(Module({Sec(10, {0xff, 0xff, 0xff, 0xff, 0x0f})}), "function body count");
  ExpectMalformed(Module({Sec(6, {0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f})}), "global count");
}

TEST(ModuleInfoMalformedTest, Leb128Errors) {
  // Six bytes for a u32.
  ExpectMalformed(Module({Sec(3, {0x80, 0x80, 0x80, 0x80, 0x80, 0x00})}),
                  "function count: LEB128 is longer than 5 bytes (offset 0xa)");
  // Five bytes whose last byte sets bits above bit 31.
  ExpectMalformed(Module({Sec(3, {0x80, 0x80, 0x80, 0x80, 0x10})}),
                  "LEB128 value does not fit in 32 bits");
  // A u32 cut off by the end of the section, not the end of the file.
  ExpectMalformed(Module({Sec(3, {0x80}), Custom("x", "")}),
                  "function section: function count runs past the end of the section");
  // A section size that is itself truncated at the end of the file.
  ExpectMalformed(Cat({kHeader, {0x01, 0x80}}), "section size runs past the end of the module");
  // Non-minimal but in-length encodings are allowed by the spec.
  Result<ModuleInfo> info = InspectModule(Module({Sec(3, {0x80, 0x80, 0x00})}));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  // A 64-bit minimum of 11 bytes.
  ExpectMalformed(Module({Sec(5, {0x01, 0x04, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                  0x80, 0x00})}),
                  "limits minimum: LEB128 is longer than 10 bytes");
}

TEST(ModuleInfoMalformedTest, NamesMustBeUtf8AndFit) {
  ExpectMalformed(Module({Sec(2, Cat({{0x01, 0x02, 0xc0, 0x80}, Name("f"), {0x00, 0x00}}))}),
                  "import section: entry 0: module name is not valid UTF-8 (offset 0xb)");
  ExpectMalformed(Module({Sec(0, {0x03, 'a', 0xed, 0xa0})}), "name");  // surrogate, truncated
  ExpectMalformed(Module({Sec(0, {0x02, 0xed, 0xa0, 0x80})}), "is not valid UTF-8");
  ExpectMalformed(Module({Sec(0, {0x01, 0xff})}), "custom section at offset 0x8: name");
  // The name length points past the import section though the file goes on.
  ExpectMalformed(Module({kTypeSec, Sec(2, {0x01, 0x05, 'e', 'n', 'v'}), Custom("pad", "123456")}),
                  "import section: entry 0: module name runs past the end of the section "
                  "(offset 0x17)");
  // Valid multi-byte UTF-8 is fine.
  EXPECT_TRUE(InspectModule(Module({Custom("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "")})).ok());
}

TEST(ModuleInfoMalformedTest, SectionOrder) {
  ExpectMalformed(Module({kTypeSec, kTypeSec}), "duplicate type section at offset 0x14");
  ExpectMalformed(Module({kMemorySec, kTypeSec}),
                  "type section at offset 0xd comes after the memory section");
  // Data count (12) goes before code (10); tag (13) between memory and global.
  EXPECT_TRUE(InspectModule(Module({Sec(12, {0x00}), Sec(10, {0x00})})).ok());
  ExpectMalformed(Module({Sec(10, {0x00}), Sec(12, {0x00})}),
                  "data count section at offset 0xb comes after the code section");
  EXPECT_TRUE(InspectModule(Module({Sec(5, {0x00}), Sec(13, {0x00}), Sec(6, {0x00})})).ok());
  ExpectMalformed(Module({Sec(6, {0x00}), Sec(13, {0x00})}), "comes after the global section");
  // Custom sections may go anywhere, as often as they like.
  EXPECT_TRUE(
      InspectModule(Module({Custom("a", ""), kTypeSec, Custom("a", ""), Sec(3, {0x01, 0x00}),
                            Custom("b", ""), Sec(10, {0x01, 0x02, 0x00, 0x0b})}))
          .ok());
}

TEST(ModuleInfoMalformedTest, FunctionAndCodeCountsMustAgree) {
  ExpectMalformed(Module({kTypeSec, kFunctionSec}),
                  "the function section declares 2 functions but the code section has 0 bodies");
  ExpectMalformed(Module({kTypeSec, Sec(10, {0x01, 0x02, 0x00, 0x0b})}),
                  "declares 0 functions but the code section has 1 bodies");
  ExpectMalformed(Module({kTypeSec, Sec(3, {0x01, 0x00}), Sec(10, {0x01, 0x05, 0x00, 0x0b})}),
                  "code section: entry 0: function body runs past the end of the section");
}

TEST(ModuleInfoMalformedTest, IndicesOutOfRange) {
  ExpectMalformed(Module({kTypeSec, Sec(7, Cat({{0x01}, Name("x"), {0x00, 0x00}}))}),
                  "export section: entry 0: function index 0 is out of range (0 functions)");
  // Imports count first: one imported function, one defined, index 2 is out.
  ExpectMalformed(Module({kTypeSec, Sec(2, Cat({{0x01}, Name("m"), Name("f"), {0x00, 0x00}})),
                          Sec(3, {0x01, 0x00}), Sec(7, Cat({{0x01}, Name("x"), {0x00, 0x02}})),
                          Sec(10, {0x01, 0x02, 0x00, 0x0b})}),
                  "function index 2 is out of range (2 functions)");
  ExpectMalformed(Module({Sec(7, Cat({{0x01}, Name("m"), {0x02, 0x00}}))}),
                  "memory index 0 is out of range (0 memories)");
  ExpectMalformed(Module({kTypeSec, Sec(3, {0x01, 0x02})}),
                  "function section: entry 0: type index 2 is out of range (2 types)");
  ExpectMalformed(Module({Sec(2, Cat({{0x01}, Name("m"), Name("f"), {0x00, 0x00}}))}),
                  "import section: entry 0: type index 0 is out of range (0 types)");
  ExpectMalformed(Module({Sec(8, {0x00})}), "start function index 0 is out of range");
  ExpectMalformed(Module({Sec(7, Cat({{0x01}, Name("x"), {0x05, 0x00}}))}),
                  "unknown export kind 0x05");
}

TEST(ModuleInfoMalformedTest, EntryErrors) {
  ExpectMalformed(Module({Sec(1, {0x01, 0x5f, 0x00, 0x00})}),
                  "type section: entry 0: type form 0x5f is not a function type (0x60)");
  ExpectMalformed(Module({Sec(1, {0x01, 0x60, 0x01, 0x40, 0x00})}), "unknown value type 0x40");
  ExpectMalformed(Module({Sec(2, Cat({{0x01}, Name("m"), Name("t"), {0x01, 0x7f, 0x00, 0x00}}))}),
                  "unknown reference type 0x7f");
  ExpectMalformed(Module({Sec(2, Cat({{0x01}, Name("m"), Name("g"), {0x03, 0x7f, 0x02}}))}),
                  "global mutability 0x02 is not 0 or 1");
  ExpectMalformed(Module({Sec(2, Cat({{0x01}, Name("m"), Name("g"), {0x05, 0x00}}))}),
                  "unknown import kind 0x05");
  ExpectMalformed(
      Module({kMemorySec, Sec(7, Cat({{0x02}, Name("m"), {0x02, 0x00}, Name("m"), {0x02, 0x00}}))}),
      "export section: entry 1: duplicate export name \"m\"");
  ExpectMalformed(Module({Sec(3, {0x00, 0x00})}),
                  "function section: 1 bytes left over after the last entry of the section");
}

// --- Editing custom sections -----------------------------------------------------------

TEST(ModuleEditTest, SetCustomSectionAppendsWhenAbsent) {
  Bytes module = ReadFixture("wascap/loop.wasm");
  Result<Bytes> out = SetCustomSection(module, "jwt", AsBytes("token"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(std::equal(module.begin(), module.end(), out->begin()));
  Result<ModuleInfo> info = InspectModule(*out);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->sections.back().name, "jwt");
  EXPECT_EQ(AsChars(*CustomSectionContent(*out, *info, "jwt")), "token");
  EXPECT_EQ(out->size(), module.size() + 1 + 1 + 4 + 5);
}

TEST(ModuleEditTest, SetCustomSectionReplacesInPlace) {
  Bytes module =
      Module({kTypeSec, Custom("jwt", "old"), Custom("name", "n"), Custom("jwt", "2nd")});
  Result<Bytes> out = SetCustomSection(module, "jwt", Bytes(300, 'x'));  // size LEB grows
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Result<ModuleInfo> info = InspectModule(*out);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_THAT(CustomNames(*info), ElementsAre("jwt", "name", "jwt"));
  EXPECT_EQ(AsChars(*CustomSectionContent(*out, *info, "jwt")), std::string(300, 'x'));
  EXPECT_EQ(info->sections[3].content_size, 3u);  // the later one is left alone
  EXPECT_EQ(Bytes(out->begin(), out->begin() + 8 + kTypeSec.size()),
            Bytes(module.begin(), module.begin() + 8 + kTypeSec.size()));
}

TEST(ModuleEditTest, SetOnTheEchoActorReplacesTheJwt) {
  Bytes module = ReadFixture("wc-host-0.18/echo.wasm");
  Result<ModuleInfo> before = InspectModule(module);
  ASSERT_TRUE(before.ok());
  Result<Bytes> out = SetCustomSection(module, "jwt", AsBytes("new"));
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Result<ModuleInfo> after = InspectModule(*out);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(CustomNames(*after), CustomNames(*before));
  EXPECT_EQ(AsChars(*CustomSectionContent(*out, *after, "jwt")), "new");
  const Section& jwt = before->sections.back();
  EXPECT_TRUE(std::equal(module.begin(), module.begin() + jwt.offset, out->begin()));
}

TEST(ModuleEditTest, RemoveJwtCutsExactlyItsBytes) {
  Bytes module = ReadFixture("wc-host-0.18/echo.wasm");
  Result<ModuleInfo> info = InspectModule(module);
  ASSERT_TRUE(info.ok());
  const Section* jwt = info->FindCustomSection("jwt");
  ASSERT_NE(jwt, nullptr);
  Bytes expected(module.begin(), module.begin() + jwt->offset);
  expected.insert(expected.end(), module.begin() + jwt->offset + jwt->size, module.end());
  Result<Bytes> out = RemoveCustomSections(module, "jwt");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, expected);
  Result<ModuleInfo> after = InspectModule(*out);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->FindCustomSection("jwt"), nullptr);
  EXPECT_EQ(after->sections.size(), info->sections.size() - 1);
}

TEST(ModuleEditTest, RemoveEverySectionOfThatName) {
  Bytes module = Module({Custom("a", "1"), kTypeSec, Custom("b", "2"), Custom("a", "3")});
  Result<Bytes> out = RemoveCustomSections(module, "a");
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, Module({kTypeSec, Custom("b", "2")}));
  Result<Bytes> same = RemoveCustomSections(module, "zzz");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(*same, module);
  EXPECT_EQ(RemoveCustomSections(Bytes{1, 2, 3}, "a").status().code(), Code::kMalformed);
}

TEST(ModuleEditTest, AppendAddsAnotherSection) {
  Bytes module = Module({kTypeSec, Custom("jwt", "one")});
  Result<Bytes> out = AppendCustomSection(module, "jwt", AsBytes("two"));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, Cat({module, Custom("jwt", "two")}));
  // An invalid name would make a module that no longer parses.
  EXPECT_EQ(AppendCustomSection(module, "\xff", {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(SetCustomSection(module, "\xff", {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(SetCustomSection(Bytes{}, "jwt", {}).status().code(), Code::kMalformed);
}

// --- Capping memory --------------------------------------------------------------------

TEST(CapMemoryPagesTest, MissingMaximumBecomesTheCap) {
  Bytes module = ReadFixture("wascap/loop.wasm");
  Result<Bytes> out = CapMemoryPages(module, 10);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Result<ModuleInfo> info = InspectModule(*out);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_EQ(info->memories.size(), 1u);
  EXPECT_EQ(info->memories[0].min, 1u);
  EXPECT_EQ(info->memories[0].max, 10u);
  // Only the memory section changed: "05 03 01 00 01" became "05 04 01 01 01 0a".
  Result<ModuleInfo> before = InspectModule(module);
  const Section* mem = nullptr;
  for (const Section& s : before->sections) {
    if (s.id == 5) mem = &s;
  }
  ASSERT_NE(mem, nullptr);
  Bytes expected(module.begin(), module.begin() + mem->offset);
  expected.insert(expected.end(), {0x05, 0x04, 0x01, 0x01, 0x01, 0x0a});
  expected.insert(expected.end(), module.begin() + mem->offset + mem->size, module.end());
  EXPECT_EQ(*out, expected);
}

TEST(CapMemoryPagesTest, LargerMaximumIsLoweredSmallerIsKept) {
  Bytes module = Module({Sec(5, Cat({{0x02, 0x01, 0x01}, Leb(1000), {0x03, 0x02, 0x04}}))});
  Result<Bytes> out = CapMemoryPages(module, 300);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Result<ModuleInfo> info = InspectModule(*out);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->memories[0].max, 300u);
  EXPECT_EQ(info->memories[1].max, 4u);
  EXPECT_TRUE(info->memories[1].shared);
}

TEST(CapMemoryPagesTest, SectionSizeIsReencodedMinimally) {
  // A non-minimal section size (0x83 0x00 = 3) and a 2-byte minimum LEB (0x81 0x00 = 1).
  Bytes module = Cat({kHeader, {0x05, 0x84, 0x00, 0x01, 0x00, 0x81, 0x00}, Custom("c", "")});
  ASSERT_TRUE(InspectModule(module).ok());
  Result<Bytes> out = CapMemoryPages(module, 2);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, Cat({kHeader, {0x05, 0x04, 0x01, 0x01, 0x01, 0x02}, Custom("c", "")}));
}

TEST(CapMemoryPagesTest, MinimumAboveTheCapIsAnError) {
  Bytes module = ReadFixture("wc-host-0.18/echo.wasm");
  Result<Bytes> out = CapMemoryPages(module, 16);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(out.status().message(), "memory 0 needs at least 17 pages, above the cap of 16 pages");
  Result<Bytes> ok = CapMemoryPages(module, 17);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  Result<ModuleInfo> info = InspectModule(*ok);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->memories[0].max, 17u);
  EXPECT_EQ(AsChars(*CustomSectionContent(*ok, *info, "jwt")),
            AsChars(*CustomSectionContent(module, *InspectModule(module), "jwt")));
}

TEST(CapMemoryPagesTest, ModuleWithoutMemoryIsUnchanged) {
  Bytes module = Module({kTypeSec});
  Result<Bytes> out = CapMemoryPages(module, 1);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, module);
  EXPECT_EQ(CapMemoryPages(Bytes{}, 1).status().code(), Code::kMalformed);
}

TEST(CapMemoryPagesTest, HugeCapIsClampedToTheAddressableSize) {
  Bytes module = Module({kMemorySec});
  Result<Bytes> out = CapMemoryPages(module, UINT64_MAX);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(InspectModule(*out)->memories[0].max, 65536u);
}

// --- Capping tables ----------------------------------------------------------------------

// A table section: (reference type, flags, min[, max]) entries.
Bytes Tables(std::vector<Bytes> entries) {
  Bytes payload = Leb(entries.size());
  for (const Bytes& e : entries) payload.insert(payload.end(), e.begin(), e.end());
  return Sec(4, payload);
}
Bytes TableEntry(uint64_t min, std::optional<uint64_t> max = std::nullopt, uint8_t type = 0x70) {
  Bytes e{type, static_cast<uint8_t>(max ? 0x01 : 0x00)};
  Bytes m = Leb(min);
  e.insert(e.end(), m.begin(), m.end());
  if (max) {
    Bytes x = Leb(*max);
    e.insert(e.end(), x.begin(), x.end());
  }
  return e;
}

TEST(CapTableElementsTest, TablesAreReadWithTheirLimits) {
  Result<ModuleInfo> info =
      InspectModule(Module({Tables({TableEntry(3), TableEntry(1, 7, 0x6f)})}));
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_EQ(info->tables.size(), 2u);
  EXPECT_EQ(info->tables[0].type, ValType::kFuncRef);
  EXPECT_EQ(info->tables[0].limits.min, 3u);
  EXPECT_FALSE(info->tables[0].limits.max.has_value());
  EXPECT_EQ(info->tables[1].type, ValType::kExternRef);
  EXPECT_EQ(info->tables[1].limits.max, 7u);
}

TEST(CapTableElementsTest, MaximumsShareTheTotalInOrder) {
  // Minimums 10 + 20 + 5 = 35 of a total of 100: 65 left to grow, first come first served.
  Bytes module = Module({Tables({TableEntry(10), TableEntry(20, 30), TableEntry(5)})});
  Result<Bytes> out = CapTableElements(module, 60, 100);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Result<ModuleInfo> info = InspectModule(*out);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->tables[0].limits.max, 60u);  // the per-table cap: 50 of growth
  EXPECT_EQ(info->tables[1].limits.max, 30u);  // its own maximum: 10 more
  EXPECT_EQ(info->tables[2].limits.max, 10u);  // the 5 left
  uint64_t total = 0;
  for (const Table& t : info->tables) total += *t.limits.max;
  EXPECT_EQ(total, 100u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(info->tables[i].limits.min, InspectModule(module)->tables[i].limits.min);
  }
}

TEST(CapTableElementsTest, MinimumsAboveTheCapsAreErrors) {
  Bytes module = Module({Tables({TableEntry(10), TableEntry(200)})});
  Result<Bytes> per_table = CapTableElements(module, 100, 1000);
  EXPECT_EQ(per_table.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(per_table.status().message(),
            "table 1 needs at least 200 elements, above the cap of 100 elements per table");
  Result<Bytes> total = CapTableElements(module, 1000, 150);
  EXPECT_EQ(total.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(total.status().message(),
            "the tables need at least 210 elements together (up to table 1), above the cap of "
            "150 elements for all tables");
  ASSERT_TRUE(CapTableElements(module, 200, 210).ok());
  EXPECT_EQ(InspectModule(*CapTableElements(module, 200, 210))->tables[1].limits.max, 200u);
}

TEST(CapTableElementsTest, ModuleWithoutTablesIsUnchanged) {
  Bytes module = ReadFixture("wascap/loop.wasm");
  Result<Bytes> out = CapTableElements(module, 1, 1);
  ASSERT_TRUE(out.ok());
  ASSERT_TRUE(InspectModule(module)->tables.empty());
  EXPECT_EQ(*out, module);
  EXPECT_EQ(CapTableElements(Bytes{}, 1, 1).status().code(), Code::kMalformed);
}

}  // namespace
}  // namespace wasmcloud::wasm
