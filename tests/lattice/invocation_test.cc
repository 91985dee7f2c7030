// Invocation and InvocationResponse: the §12 bytes exactly, the other forms rmp-serde
// accepts, hostile input, and the anti-forgery token NewInvocation signs.
#include "lattice/invocation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/encoding.h"
#include "crypto/jwt.h"
#include "crypto/verify.h"
#include "spec_vectors.h"
#include "support/status_assert.h"
#include "support/uuid.h"
#include "wire/msgpack.h"

namespace wasmcloud::lattice {
namespace {

using spec::Hex;
using wasmcloud::testing::Ok;

Invocation SpecInvocation() {
  SignOptions o;
  o.id = std::string(spec::kId);
  o.jti = std::string(spec::kJti);
  o.iat = spec::kIat;
  auto inv = NewInvocation(spec::HostKey(), spec::Origin(), spec::Target(),
                           std::string(spec::kOperation), Hex(spec::kMsgHex), o);
  EXPECT_TRUE(Ok(inv));
  return inv.ok() ? *inv : Invocation{};
}

// The claims JSON inside a token, for checking what was signed.
std::string ClaimsJson(const std::string& token) {
  auto jwt = crypto::SplitJwt(token);
  EXPECT_TRUE(Ok(jwt));
  return jwt.ok() ? jwt->claims_json : "";
}

TEST(InvocationGolden, Section12BytesExactly) {
  Invocation inv = SpecInvocation();
  EXPECT_EQ(inv.encoded_claims, spec::kEncodedClaims);
  EXPECT_EQ(inv.host_id, spec::kHostKey);
  Bytes bytes = Encode(inv);
  EXPECT_EQ(bytes.size(), 1061u);
  EXPECT_EQ(HexEncode(bytes), spec::kInvocationHex);
  // The token is a str16 of 713 bytes (da 02c9) after its key (whose text starts at offset
  // 265), and host_id a str8 of 56 (d9 38) at the end.
  std::string key_and_token = "ae" + HexEncode(AsBytes("encoded_claims")) + "da02c9" +
                              HexEncode(AsBytes(spec::kEncodedClaims));
  EXPECT_EQ(HexEncode(bytes).find(key_and_token), 264u * 2);
  EXPECT_EQ(spec::kEncodedClaims.size(), 713u);
  EXPECT_EQ(HexEncode(ByteView(bytes.data() + bytes.size() - 58, 2)), "d938");
}

TEST(InvocationGolden, Section12Decodes) {
  auto inv = DecodeInvocation(Hex(spec::kInvocationHex));
  ASSERT_TRUE(Ok(inv));
  EXPECT_EQ(inv->origin, spec::Origin());
  EXPECT_EQ(inv->target, spec::Target());
  EXPECT_EQ(inv->operation, "Get");
  EXPECT_EQ(HexEncode(inv->msg), spec::kMsgHex);
  EXPECT_EQ(inv->id, spec::kId);
  EXPECT_EQ(inv->encoded_claims, spec::kEncodedClaims);
  EXPECT_EQ(inv->host_id, spec::kHostKey);
  EXPECT_EQ(*inv, SpecInvocation());
}

TEST(InvocationGolden, TokenClaimsAsSection73) {
  Invocation inv = SpecInvocation();
  EXPECT_EQ(ClaimsJson(inv.encoded_claims),
            std::string(R"({"jti":"Zr6b4wq2kJ8h1Qm0aX9cD3","iat":1620000000,"iss":")") +
                std::string(spec::kHostKey) + R"(","sub":")" + std::string(spec::kId) +
                R"(","wascap":{"target_url":")" + std::string(spec::kTargetUrl) +
                R"(","origin_url":")" + std::string(spec::kOriginUrl) + R"(","hash":")" +
                std::string(spec::kHash) + R"("}})");
  auto verified =
      crypto::VerifyInvocationToken(inv.encoded_claims, crypto::VerifyOptions::ForInvocation());
  ASSERT_TRUE(Ok(verified));
}

TEST(InvocationGolden, ResponseSection12Prefix) {
  Invocation inv = SpecInvocation();
  InvocationResponse resp = SuccessResponse(inv, Hex(spec::kGetResponseHex));
  EXPECT_EQ(resp.invocation_id, spec::kId);
  EXPECT_FALSE(resp.error.has_value());
  // The prefix ends with str8 of 36 (d9 24); the id's bytes follow.
  EXPECT_EQ(HexEncode(Encode(resp)),
            std::string(spec::kResponsePrefixHex) + HexEncode(AsBytes(spec::kId)));
  auto back = DecodeInvocationResponse(Encode(resp));
  ASSERT_TRUE(Ok(back));
  EXPECT_EQ(*back, resp);
}

TEST(InvocationResponseTest, ErrorResponse) {
  InvocationResponse resp = ErrorResponse("id-1", "Invocation refused: replayed");
  EXPECT_TRUE(resp.msg.empty());
  EXPECT_EQ(resp.error, "Invocation refused: replayed");
  // {msg: [], error: "...", invocation_id: "id-1"}
  EXPECT_EQ(HexEncode(Encode(resp)),
            "83a36d736790a56572726f72bc" + HexEncode(AsBytes("Invocation refused: replayed")) +
                "ad696e766f636174696f6e5f6964a4" + HexEncode(AsBytes("id-1")));
  auto back = DecodeInvocationResponse(Encode(resp));
  ASSERT_TRUE(Ok(back));
  EXPECT_EQ(*back, resp);
}

TEST(InvocationResponseTest, DecodesOtherForms) {
  // error left out (serde reads a missing Option as None), msg as bin, keys reordered.
  auto r = DecodeInvocationResponse(Hex("82ad696e766f636174696f6e5f6964a178a36d7367c4020102"));
  ASSERT_TRUE(Ok(r));
  EXPECT_EQ(*r, (InvocationResponse{{1, 2}, std::nullopt, "x"}));
  // As an array by position.
  auto a = DecodeInvocationResponse(Hex("939101a165a178"));
  ASSERT_TRUE(Ok(a));
  EXPECT_EQ(*a, (InvocationResponse{{1}, "e", "x"}));
  // invocation_id is required.
  auto missing = DecodeInvocationResponse(Hex("81a36d736790"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kMalformed);
  EXPECT_NE(missing.status().message().find("missing field `invocation_id`"), std::string::npos);
}

// The §12 invocation written in the other forms rmp-serde reads.
struct Form {
  bool as_array = false;
  bool reversed = false;
  bool msg_as_bin = false;
  bool variant_names = false;
};

void WriteEntityAs(wire::Writer& w, const Entity& e, bool names) {
  w.MapHeader(1);
  if (e.is_actor()) {
    if (names) {
      w.Str("Actor");
    } else {
      w.Uint(0);
    }
    w.Str(e.id);
    return;
  }
  if (names) {
    w.Str("Capability");
  } else {
    w.Uint(1);
  }
  w.MapHeader(3);
  w.Str("link_name");
  w.Str(e.link_name);
  w.Str("contract_id");
  w.Str(e.contract_id);
  w.Str("id");
  w.Str(e.id);
}

Bytes WriteAs(const Invocation& inv, const Form& f) {
  std::vector<std::pair<std::string, std::function<void(wire::Writer&)>>> fields = {
      {"origin", [&](wire::Writer& w) { WriteEntityAs(w, inv.origin, f.variant_names); }},
      {"target", [&](wire::Writer& w) { WriteEntityAs(w, inv.target, f.variant_names); }},
      {"operation", [&](wire::Writer& w) { w.Str(inv.operation); }},
      {"msg",
       [&](wire::Writer& w) {
         if (f.msg_as_bin) {
           w.Bin(inv.msg);
         } else {
           w.ArrayHeader(static_cast<uint32_t>(inv.msg.size()));
           for (uint8_t b : inv.msg) w.Uint(b);
         }
       }},
      {"id", [&](wire::Writer& w) { w.Str(inv.id); }},
      {"encoded_claims", [&](wire::Writer& w) { w.Str(inv.encoded_claims); }},
      {"host_id", [&](wire::Writer& w) { w.Str(inv.host_id); }},
  };
  if (f.reversed) std::reverse(fields.begin(), fields.end());
  wire::Writer w;
  if (f.as_array) {
    w.ArrayHeader(7);
  } else {
    w.MapHeader(7);
  }
  for (auto& [name, write] : fields) {
    if (!f.as_array) w.Str(name);
    write(w);
  }
  return w.Take();
}

TEST(InvocationDecode, RoundTrip) {
  Invocation inv = SpecInvocation();
  auto back = DecodeInvocation(Encode(inv));
  ASSERT_TRUE(Ok(back));
  EXPECT_EQ(*back, inv);
  // A large msg (array16 / array32 of integers, bytes >= 0x80 as cc nn).
  Invocation big = inv;
  big.msg.resize(70000);
  for (size_t i = 0; i < big.msg.size(); ++i) big.msg[i] = static_cast<uint8_t>(i * 7);
  auto big_back = DecodeInvocation(Encode(big));
  ASSERT_TRUE(Ok(big_back));
  EXPECT_EQ(*big_back, big);
}

TEST(InvocationDecode, AcceptsEveryFormRmpSerdeReads) {
  Invocation inv = SpecInvocation();
  const Form forms[] = {
      {.msg_as_bin = true},
      {.as_array = true},
      {.reversed = true},
      {.variant_names = true},
      {.reversed = true, .msg_as_bin = true, .variant_names = true},
  };
  for (const Form& f : forms) {
    Bytes b = WriteAs(inv, f);
    EXPECT_NE(b, Encode(inv));
    auto back = DecodeInvocation(b);
    ASSERT_TRUE(Ok(back)) << HexEncode(b);
    EXPECT_EQ(*back, inv);
  }
}

TEST(InvocationDecode, UnknownKeysSkippedTrailingBytesIgnored) {
  Bytes b = Encode(SpecInvocation());
  b[0] = 0x88;  // a map of 8: one more key at the end
  wire::Writer w;
  w.Str("trace");
  w.MapHeader(1);
  w.Str("a");
  w.ArrayHeader(2);
  w.Nil();
  w.Bool(true);
  Bytes extra = w.Take();
  b.insert(b.end(), extra.begin(), extra.end());
  b.push_back(0xc0);  // after the value: ignored, as rmp_serde::from_slice does
  auto back = DecodeInvocation(b);
  ASSERT_TRUE(Ok(back));
  EXPECT_EQ(*back, SpecInvocation());
}

void ExpectMalformed(ByteView b, std::string_view says) {
  auto r = DecodeInvocation(b);
  ASSERT_FALSE(r.ok()) << says;
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  EXPECT_NE(r.status().message().find(says), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().rfind("Invocation: ", 0), 0u) << r.status().message();
}

TEST(InvocationDecode, TruncatedAtEveryOffset) {
  Bytes full = Hex(spec::kInvocationHex);
  for (size_t n = 0; n < full.size(); ++n) {
    auto r = DecodeInvocation(ByteView(full.data(), n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes decoded";
    EXPECT_EQ(r.status().code(), Code::kMalformed) << n << ": " << r.status().message();
  }
  ExpectMalformed(ByteView(full.data(), 0), "expected map, found end of input at offset 0");
}

TEST(InvocationDecode, OversizedLengths) {
  // A map of 2^32-1 entries in 5 bytes.
  ExpectMalformed(Hex("dfffffffff"), "declares 4294967295 entries");
  // msg as an array32 of 2^31 elements.
  ExpectMalformed(Hex("81a36d7367dd80000000"), "declares 2147483648 elements");
  // msg as a bin32 of 2^32-1 bytes.
  ExpectMalformed(Hex("81a36d7367c6ffffffff00"), "declares 4294967295 bytes");
  // operation as a str32 of 2^32-1 bytes.
  ExpectMalformed(Hex("81a96f7065726174696f6edbffffffff"), "declares 4294967295 bytes");
  // encoded_claims as str16 longer than what is left.
  ExpectMalformed(Hex("81ae656e636f6465645f636c61696d73da0100616263"), "declares 256 bytes");
}

TEST(InvocationDecode, WrongTypes) {
  ExpectMalformed(Hex("a3616263"), "expected map, found str at offset 0");
  ExpectMalformed(Hex("81a96f7065726174696f6e01"), "field `operation`: expected str, found int");
  ExpectMalformed(Hex("81a36d7367a3616263"), "field `msg`: expected bin, found str");
  ExpectMalformed(Hex("81a36d736791cd0100"), "field `msg`: byte array element 256 > 255");
  ExpectMalformed(Hex("81a36d736791ff"), "field `msg`: negative integer -1");
  ExpectMalformed(Hex("81a66f726967696ea24d41"), "field `origin`: WasmCloudEntity: expected map");
  ExpectMalformed(Hex("81a6746172676574820000a14d01a14e"), "field `target`: WasmCloudEntity");
  ExpectMalformed(Hex("81c0c0"), "expected a field name, found nil");
  ExpectMalformed(Hex("9801020304050607c0"), "array of 8 elements, the struct has 7 fields");
}

TEST(InvocationDecode, MissingAndDuplicateFields) {
  Invocation inv = SpecInvocation();
  Bytes no_host = Encode(inv);
  // Drop the last key/value (host_id) and say the map has 6.
  size_t host_at = no_host.size() - (1 + 7) - (2 + 56);
  no_host.resize(host_at);
  no_host[0] = 0x86;
  ExpectMalformed(no_host, "missing field `host_id`");

  Bytes dup = Encode(inv);
  dup[0] = 0x88;
  wire::Writer w;
  w.Str("id");
  w.Str("again");
  Bytes extra = w.Take();
  dup.insert(dup.end(), extra.begin(), extra.end());
  ExpectMalformed(dup, "duplicate field `id`");
}

TEST(InvocationDecode, DeepNestingInAnUnknownKey) {
  Bytes b = {0x81, 0xa1, 'x'};
  b.insert(b.end(), 100000, 0x91);  // [[[[...]]]]
  b.push_back(0xc0);
  ExpectMalformed(b, "nesting deeper than 64");
}

TEST(NewInvocationTest, FillsIdJtiIatAndSigns) {
  auto kp = crypto::KeyPair::Generate(crypto::KeyType::kServer);
  int64_t before = crypto::SystemUnixSeconds();
  auto inv =
      NewInvocation(kp, Entity::System(), Entity::Actor("MA"), "HandleRequest", ToBytes("hi"));
  int64_t after = crypto::SystemUnixSeconds();
  ASSERT_TRUE(Ok(inv));
  EXPECT_TRUE(wasmcloud::testing::IsUuidV4(inv->id)) << inv->id;
  EXPECT_EQ(inv->host_id, kp.public_key_text());
  auto claims =
      crypto::VerifyInvocationToken(inv->encoded_claims, crypto::VerifyOptions::ForInvocation());
  ASSERT_TRUE(Ok(claims));
  EXPECT_EQ(claims->jti.size(), 22u);
  EXPECT_GE(claims->iat, static_cast<uint64_t>(before));
  EXPECT_LE(claims->iat, static_cast<uint64_t>(after));
  EXPECT_FALSE(claims->exp.has_value());
  EXPECT_EQ(claims->iss, kp.public_key_text());
  EXPECT_EQ(claims->sub, inv->id);
  EXPECT_EQ(claims->wascap->origin_url, "wasmbus://system");
  EXPECT_EQ(claims->wascap->target_url, "wasmbus://MA/HandleRequest");
  EXPECT_EQ(
      claims->wascap->hash,
      crypto::InvocationHash("wasmbus://system", "wasmbus://MA/HandleRequest", ToBytes("hi")));

  auto other = NewInvocation(kp, Entity::System(), Entity::Actor("MA"), "HandleRequest", {});
  ASSERT_TRUE(Ok(other));
  EXPECT_NE(other->id, inv->id);
  EXPECT_NE(ClaimsJson(other->encoded_claims), ClaimsJson(inv->encoded_claims));
}

TEST(NewInvocationTest, ExpComesFirstInWascapOrder) {
  SignOptions o;
  o.id = std::string(spec::kId);
  o.jti = std::string(spec::kJti);
  o.iat = spec::kIat;
  o.exp = spec::kIat + 2;
  auto inv =
      NewInvocation(spec::HostKey(), spec::Origin(), spec::Target(), "Get", Hex(spec::kMsgHex), o);
  ASSERT_TRUE(Ok(inv));
  std::string json = ClaimsJson(inv->encoded_claims);
  EXPECT_EQ(
      json.rfind(R"({"exp":1620000002,"jti":"Zr6b4wq2kJ8h1Qm0aX9cD3","iat":1620000000,"iss":")", 0),
      0u)
      << json;
  // Everything after exp is the §12 claims.
  auto spec_jwt = crypto::SplitJwt(spec::kEncodedClaims);
  ASSERT_TRUE(Ok(spec_jwt));
  EXPECT_EQ(json, R"({"exp":1620000002,)" + spec_jwt->claims_json.substr(1));
}

TEST(NewInvocationTest, OnlyAHostKeySigns) {
  for (auto type : {crypto::KeyType::kAccount, crypto::KeyType::kModule, crypto::KeyType::kService,
                    crypto::KeyType::kUser}) {
    auto kp = crypto::KeyPair::Generate(type);
    auto inv = NewInvocation(kp, Entity::System(), Entity::Actor("MA"), "Op", {});
    ASSERT_FALSE(inv.ok());
    EXPECT_EQ(inv.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(inv.status().message(),
              "the key that signs invocations must be a host (server, N...) key; " +
                  kp.public_key_text() + " is of type " + std::string(crypto::KeyTypeName(type)));
  }
}

}  // namespace
}  // namespace wasmcloud::lattice
