// LinkDefinition: its id (lattice.md), the JSON value of the lattice bucket, and the 0.18
// msgpack of the links/remlinks subjects (spec §7.1, §7.4).
#include "lattice/link_definition.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "core/bytes.h"
#include "crypto/sha256.h"
#include "support/status_assert.h"

namespace wasmcloud::lattice {
namespace {

using wasmcloud::testing::Ok;

constexpr std::string_view kActor = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr std::string_view kProvider = "VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2";

LinkDefinition Redis() {
  return {std::string(kActor),
          std::string(kProvider),
          "wasmcloud:keyvalue",
          "default",
          {{"URL", "redis://127.0.0.1:6379"}, {"a", "b"}}};
}

// A msgpack fixstr (< 32 bytes), in hex.
std::string S(std::string_view s) {
  uint8_t header = static_cast<uint8_t>(0xa0 | s.size());
  return HexEncode(ByteView(&header, 1)) + HexEncode(AsBytes(s));
}
// A str8 (32..255 bytes), in hex.
std::string S8(std::string_view s) {
  uint8_t header[2] = {0xd9, static_cast<uint8_t>(s.size())};
  return HexEncode(ByteView(header, 2)) + HexEncode(AsBytes(s));
}

Bytes Hex(const std::string& h) {
  auto r = HexDecode(h);
  EXPECT_TRUE(Ok(r));
  return r.ok() ? *r : Bytes{};
}

TEST(LinkIdTest, HexUpperSha256OfTheConcatenation) {
  // Computed with Python's hashlib: sha256(actor ‖ contract ‖ link).hexdigest().upper().
  EXPECT_EQ(LinkId(kActor, "wasmcloud:keyvalue", "default"),
            "97CD2BF47D72E8C4588B92FBA68AA3AFCF5499F3DE5B4D89C049A7A2C90469BB");
  // And for other values, against SHA-256 of the joined bytes.
  using Triple = std::tuple<std::string, std::string, std::string>;
  const Triple triples[] = {
      {"MA", "x:y", "z"}, {"", "", ""}, {"M", "wasmcloud:httpserver", "with space"}};
  for (const auto& [a, c, l] : triples) {
    std::string joined = a + c + l;
    EXPECT_EQ(LinkId(a, c, l), HexEncode(crypto::Sha256(AsBytes(joined)), /*upper=*/true));
  }
  // No separator: the id is of the concatenation, as lattice.md says.
  EXPECT_EQ(LinkId("ab", "c", "d"), LinkId("a", "bc", "d"));
  EXPECT_NE(LinkId(kActor, "wasmcloud:keyvalue", "default"),
            LinkId(kActor, "wasmcloud:keyvalue", "Default"));
}

TEST(LinkJsonTest, CompactInKeyOrder) {
  EXPECT_EQ(LinkToJson(Redis()),
            R"({"id":"97CD2BF47D72E8C4588B92FBA68AA3AFCF5499F3DE5B4D89C049A7A2C90469BB",)"
            R"("actor_id":"MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5",)"
            R"("provider_id":"VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2",)"
            R"("contract_id":"wasmcloud:keyvalue","link_name":"default",)"
            R"("values":{"URL":"redis://127.0.0.1:6379","a":"b"}})");
  LinkDefinition empty{"MA", "", "c", "l", {}};
  EXPECT_EQ(LinkToJson(empty), R"({"id":")" + LinkId("MA", "c", "l") +
                                   R"(","actor_id":"MA","provider_id":"","contract_id":"c",)"
                                   R"("link_name":"l","values":{}})");
}

TEST(LinkJsonTest, RoundTripsWithEscapes) {
  LinkDefinition link = Redis();
  link.values["quote\"back\\slash"] = "new\nline \xc3\xa9 \x01";
  auto back = LinkFromJson(LinkToJson(link));
  ASSERT_TRUE(Ok(back));
  EXPECT_EQ(*back, link);
}

TEST(LinkJsonTest, IgnoresUnknownKeysAndTheId) {
  auto link =
      LinkFromJson(R"({"values":{"k":"v"},"link_name":"l","contract_id":"c","provider_id":"V",)"
                   R"("actor_id":"M","id":"whatever","extra":[1,{"x":null}]})");
  ASSERT_TRUE(Ok(link));
  EXPECT_EQ(*link, (LinkDefinition{"M", "V", "c", "l", {{"k", "v"}}}));
  auto no_values = LinkFromJson(R"({"actor_id":"M","provider_id":"V","contract_id":"c",)"
                                R"("link_name":"l"})");
  ASSERT_TRUE(Ok(no_values));
  EXPECT_TRUE(no_values->values.empty());
}

TEST(LinkJsonTest, RefusesNamingTheKey) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {"", "link definition JSON: not valid JSON"},
      {"{\"actor_id\":", "link definition JSON: not valid JSON"},
      {"[]", "link definition JSON: not a JSON object"},
      {R"({"provider_id":"V","contract_id":"c","link_name":"l"})",
       "link definition JSON: missing key \"actor_id\""},
      {R"({"actor_id":"M","contract_id":"c","link_name":"l"})",
       "link definition JSON: missing key \"provider_id\""},
      {R"({"actor_id":"M","provider_id":"V","link_name":"l"})",
       "link definition JSON: missing key \"contract_id\""},
      {R"({"actor_id":"M","provider_id":"V","contract_id":"c"})",
       "link definition JSON: missing key \"link_name\""},
      {R"({"actor_id":1,"provider_id":"V","contract_id":"c","link_name":"l"})",
       "link definition JSON: key \"actor_id\" is not a string"},
      {R"({"actor_id":"M","provider_id":null,"contract_id":"c","link_name":"l"})",
       "link definition JSON: key \"provider_id\" is not a string"},
      {R"({"actor_id":"M","provider_id":"V","contract_id":"c","link_name":"l","values":[]})",
       "link definition JSON: key \"values\" is not an object"},
      {R"({"actor_id":"M","provider_id":"V","contract_id":"c","link_name":"l","values":{"n":2}})",
       "link definition JSON: key \"values\": \"n\" is not a string"},
  };
  for (const Case& c : cases) {
    auto r = LinkFromJson(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().code(), Code::kMalformed) << c.json;
    EXPECT_EQ(r.status().message(), c.message) << c.json;
  }
}

TEST(LinkMsgpackTest, StructMapInHostOrderValuesSorted) {
  EXPECT_EQ(HexEncode(EncodeLinkDefinition(Redis())),
            "85" + S("actor_id") + S8(kActor) + S("provider_id") + S8(kProvider) +
                S("contract_id") + S("wasmcloud:keyvalue") + S("link_name") + S("default") +
                S("values") + "82" + S("URL") + S("redis://127.0.0.1:6379") + S("a") + S("b"));
}

TEST(LinkMsgpackTest, RoundTrips) {
  for (const LinkDefinition& link : {Redis(), LinkDefinition{"M", "", "c", "l", {}}}) {
    auto back = DecodeLinkDefinition(EncodeLinkDefinition(link));
    ASSERT_TRUE(Ok(back));
    EXPECT_EQ(*back, link);
  }
}

TEST(LinkMsgpackTest, DecodesTheControlInterfaceOrder) {
  // ctliface.rs LinkDefinition: actor_id, provider_id, link_name, contract_id, values.
  Bytes b = Hex("85" + S("actor_id") + S8(kActor) + S("provider_id") + S8(kProvider) +
                S("link_name") + S("default") + S("contract_id") + S("wasmcloud:keyvalue") +
                S("values") + "82" + S("a") + S("b") + S("URL") + S("redis://127.0.0.1:6379"));
  auto link = DecodeLinkDefinition(b);
  ASSERT_TRUE(Ok(link));
  EXPECT_EQ(*link, Redis());
}

TEST(LinkMsgpackTest, DecodesARemlinksMessageAndAnArray) {
  // remlinks: provider_id "" and values {}.
  Bytes rem = Hex("85" + S("actor_id") + S("MA") + S("provider_id") + S("") + S("contract_id") +
                  S("c") + S("link_name") + S("l") + S("values") + "80");
  auto link = DecodeLinkDefinition(rem);
  ASSERT_TRUE(Ok(link));
  EXPECT_EQ(*link, (LinkDefinition{"MA", "", "c", "l", {}}));
  // By position, in the host's field order.
  auto arr = DecodeLinkDefinition(
      Hex("95" + S("MA") + S("VP") + S("c") + S("l") + "81" + S("k") + S("v")));
  ASSERT_TRUE(Ok(arr));
  EXPECT_EQ(*arr, (LinkDefinition{"MA", "VP", "c", "l", {{"k", "v"}}}));
}

TEST(LinkMsgpackTest, RefusesBadInput) {
  struct Case {
    std::string hex;
    const char* says;
  };
  const Case cases[] = {
      {"", "LinkDefinition: expected map, found end of input at offset 0"},
      {"a3616263", "LinkDefinition: expected map, found str at offset 0"},
      {"84" + S("actor_id") + S("M") + S("provider_id") + S("V") + S("contract_id") + S("c") +
           S("link_name") + S("l"),
       "LinkDefinition: missing field `values`"},
      {"81" + S("values") + "81" + S("k") + "01",
       "LinkDefinition: field `values`: expected str, found int"},
      {"81" + S("actor_id") + "c0", "LinkDefinition: field `actor_id`: expected str, found nil"},
      {"81" + S("values") + "dfffffffff", "declares 4294967295 entries"},
      {"82" + S("link_name") + S("a") + S("link_name") + S("b"), "duplicate field `link_name`"},
  };
  for (const Case& c : cases) {
    auto r = DecodeLinkDefinition(Hex(c.hex));
    ASSERT_FALSE(r.ok()) << c.hex;
    EXPECT_EQ(r.status().code(), Code::kMalformed) << c.hex;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status().message();
  }
  Bytes full = EncodeLinkDefinition(Redis());
  for (size_t n = 0; n < full.size(); ++n) {
    auto r = DecodeLinkDefinition(ByteView(full.data(), n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), Code::kMalformed) << n;
  }
}

}  // namespace
}  // namespace wasmcloud::lattice
