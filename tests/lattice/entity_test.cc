// WasmCloudEntity: URLs (spec §7.2), the rmp-serde enum bytes, and what the decoder
// accepts and refuses.
#include "lattice/entity.h"

#include <gtest/gtest.h>

#include <string>

#include "core/bytes.h"
#include "spec_vectors.h"
#include "support/status_assert.h"
#include "wire/msgpack.h"

namespace wasmcloud::lattice {
namespace {

using spec::Hex;
using wasmcloud::testing::Ok;

constexpr std::string_view kActor = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr std::string_view kProvider = "VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2";

Bytes Write(const Entity& e) {
  wire::Writer w;
  WriteEntity(w, e);
  return w.Take();
}

Result<Entity> Read(ByteView data) {
  wire::Reader r(data);
  return ReadEntity(r);
}

std::string StrHex(std::string_view s) { return HexEncode(AsBytes(s)); }

TEST(EntityUrl, ActorIsSchemeAndKey) {
  EXPECT_EQ(Entity::Actor(std::string(kActor)).Url(),
            "wasmbus://MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5");
}

TEST(EntityUrl, CapabilityAsInSection12) {
  Entity e = Entity::Capability(std::string(kProvider), "wasmcloud:keyvalue", "default");
  EXPECT_EQ(e.Url(),
            "wasmbus://wasmcloud/keyvalue/default/"
            "VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2");
  EXPECT_EQ(e.OperationUrl("Get"),
            "wasmbus://wasmcloud/keyvalue/default/"
            "VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2/Get");
}

TEST(EntityUrl, DispatchRsExample) {
  // The 0.18 dispatch.rs test: wasmbus://wasmcloud/messaging/default/Vxxx/OP_TESTING.
  Entity e = Entity::Capability("Vxxx", "wasmcloud:messaging", "default");
  EXPECT_EQ(e.OperationUrl("OP_TESTING"), "wasmbus://wasmcloud/messaging/default/Vxxx/OP_TESTING");
}

TEST(EntityUrl, ContractColonsAndSpacesAndCase) {
  // ':' -> '/', ' ' -> '_' and lowercase in the contract; ' ' -> '_' and lowercase in the
  // link name; the key and the operation stay as they are.
  Entity e = Entity::Capability("VKEY", "Acme:Key Value:v2", "My Link");
  EXPECT_EQ(e.Url(), "wasmbus://acme/key_value/v2/my_link/VKEY");
  EXPECT_EQ(e.OperationUrl("DoIt"), "wasmbus://acme/key_value/v2/my_link/VKEY/DoIt");
}

TEST(EntityUrl, SystemOrigin) {
  EXPECT_EQ(Entity::System().Url(), "wasmbus://system");
  EXPECT_TRUE(Entity::System().is_system());
  EXPECT_TRUE(Entity::System().is_actor());
  EXPECT_FALSE(Entity::Actor(std::string(kActor)).is_system());
  EXPECT_FALSE(Entity::Capability("system", "c", "l").is_system());
}

TEST(EntityToString, SaysWhatItIs) {
  EXPECT_EQ(Entity::Actor("MA").ToString(), "actor MA");
  EXPECT_EQ(Entity::Capability("VB", "wasmcloud:keyvalue", "default").ToString(),
            "provider VB (wasmcloud:keyvalue, link default)");
}

TEST(EntityMsgpack, ActorIsVariantZeroNewtype) {
  // {0: pk}: 81 00 then str8 (56 bytes).
  EXPECT_EQ(HexEncode(Write(Entity::Actor(std::string(kActor)))), "8100d938" + StrHex(kActor));
  EXPECT_EQ(HexEncode(Write(Entity::System())), "8100a6" + StrHex("system"));
}

TEST(EntityMsgpack, CapabilityIsVariantOneStructMap) {
  Entity e = Entity::Capability(std::string(kProvider), "wasmcloud:keyvalue", "default");
  EXPECT_EQ(HexEncode(Write(e)), "810183a26964d938" + StrHex(kProvider) + "ab" +
                                     StrHex("contract_id") + "b2" + StrHex("wasmcloud:keyvalue") +
                                     "a9" + StrHex("link_name") + "a7" + StrHex("default"));
}

TEST(EntityMsgpack, RoundTrips) {
  for (const Entity& e :
       {Entity::Actor(std::string(kActor)), Entity::System(),
        Entity::Capability(std::string(kProvider), "a:b", "x y"), Entity::Capability("", "", "")}) {
    auto back = Read(Write(e));
    ASSERT_TRUE(Ok(back));
    EXPECT_EQ(*back, e);
  }
}

TEST(EntityMsgpack, ReaderStopsAfterTheValue) {
  Bytes b = Write(Entity::Actor("MA"));
  b.push_back(0xc3);
  wire::Reader r(b);
  auto e = ReadEntity(r);
  ASSERT_TRUE(Ok(e));
  EXPECT_EQ(r.offset(), b.size() - 1);
}

TEST(EntityMsgpack, VariantByName) {
  // rmp-serde's deserializer also takes the variant's name, as str or bin.
  auto actor = Read(Hex("81a54163746f72a24d41"));  // {"Actor": "MA"}
  ASSERT_TRUE(Ok(actor));
  EXPECT_EQ(*actor, Entity::Actor("MA"));
  auto actor_bin = Read(Hex("81c4054163746f72a24d41"));  // {bin "Actor": "MA"}
  ASSERT_TRUE(Ok(actor_bin));
  EXPECT_EQ(*actor_bin, Entity::Actor("MA"));
  // {"Capability": {"link_name": "l", "id": "V", "contract_id": "c"}}: any key order.
  auto cap = Read(Hex(
      "81aa4361706162696c69747983a96c696e6b5f6e616d65a16ca26964a156ab636f6e74726163745f6964a163"));
  ASSERT_TRUE(Ok(cap));
  EXPECT_EQ(*cap, Entity::Capability("V", "c", "l"));
}

TEST(EntityMsgpack, CapabilityBodyAsArrayOrByFieldIndex) {
  auto arr = Read(Hex("810193a156a163a16c"));  // {1: ["V", "c", "l"]}
  ASSERT_TRUE(Ok(arr));
  EXPECT_EQ(*arr, Entity::Capability("V", "c", "l"));
  auto idx = Read(Hex("81018302a16c00a15601a163"));  // {1: {2: "l", 0: "V", 1: "c"}}
  ASSERT_TRUE(Ok(idx));
  EXPECT_EQ(*idx, Entity::Capability("V", "c", "l"));
}

TEST(EntityMsgpack, UnknownCapabilityFieldsAreSkipped) {
  // {1: {"id": "V", "x": [1, {}], "contract_id": "c", "link_name": "l"}}
  auto e =
      Read(Hex("810184a26964a156a178920180ab636f6e74726163745f6964a163a96c696e6b5f6e616d65a16c"));
  ASSERT_TRUE(Ok(e));
  EXPECT_EQ(*e, Entity::Capability("V", "c", "l"));
}

struct Bad {
  const char* what;
  const char* hex;
  const char* says;  // a part of the error message
};

TEST(EntityMsgpack, RefusesWhatRmpSerdeRefuses) {
  const Bad cases[] = {
      {"not a map", "a24d41", "expected map, found str at offset 0"},
      {"map of 2", "820000a14d01a14e", "has 2 entries, an enum is a map of 1"},
      {"empty map", "80", "has 0 entries"},
      {"variant 2", "8102a14d", "unknown WasmCloudEntity variant 2"},
      {"unknown name", "81a450726f76a14d", "unknown WasmCloudEntity variant \"Prov\""},
      {"unprintable name", "81a3410a42a14d", "unknown WasmCloudEntity variant of 3 bytes"},
      {"negative variant", "81ffa14d", "negative integer -1"},
      {"variant is nil", "81c0a14d", "expected a variant index or name, found nil"},
      {"variant is an array", "819100a14d", "expected a variant index or name, found array"},
      {"actor id not a str", "810001", "Actor: expected str, found int"},
      {"capability body a str", "8101a156", "expected map or array (Capability), found str"},
      {"missing link_name", "810182a26964a156ab636f6e74726163745f6964a163",
       "missing field `link_name`"},
      {"duplicate id",
       "810184a26964a156a26964a157ab636f6e74726163745f6964a163a96c696e6b5f6e616d65a16c",
       "duplicate field `id`"},
      {"array of 2", "810192a156a163", "array has 2 elements, expected 3"},
      {"field of wrong type", "810183a2696401ab636f6e74726163745f6964a163a96c696e6b5f6e616d65a16c",
       "field `id`: expected str, found int"},
      {"truncated key", "810181da00", "truncated: need 2 bytes"},
      {"oversized str", "8100db7fffffff41", "declares 2147483647 bytes"},
      {"oversized map", "df7fffffff", "declares 2147483647 entries"},
  };
  for (const Bad& c : cases) {
    auto e = Read(Hex(c.hex));
    ASSERT_FALSE(e.ok()) << c.what;
    EXPECT_EQ(e.status().code(), Code::kMalformed) << c.what;
    EXPECT_NE(e.status().message().find(c.says), std::string::npos)
        << c.what << ": " << e.status().message();
    EXPECT_EQ(e.status().message().rfind("WasmCloudEntity", 0), 0u) << e.status().message();
  }
}

TEST(EntityMsgpack, TruncatedAtEveryOffsetIsMalformed) {
  Bytes full = Write(Entity::Capability(std::string(kProvider), "wasmcloud:keyvalue", "default"));
  for (size_t n = 0; n < full.size(); ++n) {
    auto e = Read(ByteView(full.data(), n));
    ASSERT_FALSE(e.ok()) << n;
    EXPECT_EQ(e.status().code(), Code::kMalformed) << n;
  }
}

}  // namespace
}  // namespace wasmcloud::lattice
