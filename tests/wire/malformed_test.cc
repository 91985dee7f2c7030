// Hostile input gives kMalformed errors that say what is wrong; never a crash, a throw
// or an allocation larger than the input.
#include <gtest/gtest.h>

#include "core/bytes.h"
#include "wire/core.h"
#include "wire/extras.h"
#include "wire/http.h"
#include "wire/keyvalue.h"
#include "wire/messaging.h"

namespace wasmcloud::wire {
namespace {

Bytes Hex(std::string_view h) { return *HexDecode(h); }

template <typename D>
void EveryPrefixFails(const Bytes& full, D decode) {
  for (size_t n = 0; n < full.size(); ++n) {
    auto r = decode(ByteView(full.data(), n));
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes of " << HexEncode(full);
    EXPECT_EQ(r.status().code(), Code::kMalformed) << r.status().ToString();
  }
  EXPECT_TRUE(decode(full).ok());
}

TEST(WireMalformed, TruncatedAtEveryPrefix) {
  EveryPrefixFails(Encode(HttpRequest{"GET", "/foo", "a=b", {{"x", "y"}}, ToBytes("body")}),
                   DecodeHttpRequest);
  EveryPrefixFails(Encode(HttpResponse{200, "OK", {{"x", "y"}}, ToBytes("hi")}),
                   DecodeHttpResponse);
  EveryPrefixFails(Encode(HealthResponse{true, "m"}), DecodeHealthResponse);
  EveryPrefixFails(Encode(HealthRequest{true}), DecodeHealthRequest);
  EveryPrefixFails(Encode(CapabilityConfiguration{"M", {{"a", "b"}}}),
                   DecodeCapabilityConfiguration);
  EveryPrefixFails(Encode(GeneratorRequest{true, false, true, 1, 100000}), DecodeGeneratorRequest);
  EveryPrefixFails(Encode(GeneratorResult{"g", 1ULL << 40, 9}), DecodeGeneratorResult);
  EveryPrefixFails(Encode(AddArgs{":foo:bar", 1}), DecodeAddArgs);
  EveryPrefixFails(Encode(SetArgs{"k", "v", 60}), DecodeSetArgs);
  EveryPrefixFails(Encode(RangeArgs{"k", 0, -1}), DecodeRangeArgs);
  EveryPrefixFails(Encode(KeysArgs{{"a", "b"}}), DecodeKeysArgs);
  EveryPrefixFails(Encode(GetResponse{"1", true}), DecodeGetResponse);
  EveryPrefixFails(Encode(SetQueryResponse{{"a"}}), DecodeSetQueryResponse);
  EveryPrefixFails(Encode(RequestArgs{"s", ToBytes("b"), 1000}), DecodeRequestArgs);
  EveryPrefixFails(Encode(BrokerMessage{"s", "r", ToBytes("b")}), DecodeBrokerMessage);
  EveryPrefixFails(Encode(WriteLog{"t", "info", "x"}), DecodeWriteLog);
}

TEST(WireMalformed, MissingFieldIsNamed) {
  auto r = DecodeAddArgs(Hex("81a36b6579a16b"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  EXPECT_NE(r.status().message().find("missing field `value`"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("AddArgs"), std::string::npos);
  auto e = DecodeHealthRequest(Hex("80"));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("placeholder"), std::string::npos);
}

TEST(WireMalformed, WrongTypes) {
  // value as a string
  auto r = DecodeAddArgs(Hex("82a36b6579a16ba576616c7565a131"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("field `value`"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("expected integer, found str"), std::string::npos);
  // i32 out of range
  EXPECT_FALSE(DecodeAddArgs(Hex("82a36b6579a16ba576616c7565ce80000000")).ok());
  // negative u32
  EXPECT_FALSE(DecodeHttpResponse(Hex("84aa737461747573436f6465ffa6737461747573a0a668656164"
                                      "657280a4626f6479c400"))
                   .ok());
  // body as a string is not bin
  EXPECT_FALSE(DecodeHttpRequest(Hex("85a66d6574686f64a3474554a470617468a12fab71756572795374"
                                     "72696e67a0a668656164657280a4626f6479a0"))
                   .ok());
  // top level is not a map
  auto t = DecodeHealthRequest(Hex("c3"));
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("expected map, found bool"), std::string::npos);
  // key of a map is neither str nor int
  EXPECT_FALSE(DecodeHealthRequest(Hex("81c0c3")).ok());
  // duplicate field
  auto d = DecodeHealthRequest(Hex("82ab706c616365686f6c646572c3ab706c616365686f6c646572c2"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("duplicate field"), std::string::npos);
  // too many array elements for the struct
  EXPECT_FALSE(DecodeHealthRequest(Hex("92c3c3")).ok());
  // 0xc1 is never valid
  EXPECT_FALSE(DecodeHealthRequest(Hex("81a178c1")).ok());
  // byte array element > 255
  EXPECT_FALSE(
      DecodeBrokerMessage(Hex("83a77375626a656374a173a77265706c79546fa0a4626f647991cd0100")).ok());
}

TEST(WireMalformed, HugeDeclaredLengths) {
  // str32 / bin32 / array32 / map32 declaring 4 GiB in a few bytes.
  for (std::string_view hex :
       {"81a36b6579dbffffffff", "83a77375626a656374a0a77265706c79546fa0a4626f6479c6ffffffff",
        "81a46b657973ddffffffff", "dfffffffff", "ddffffffff", "81a178dfffffffff",
        "81a178ddffffffff", "81a178c9ffffffff01", "81a6726573756c74dbfffffff0"}) {
    auto kv = DecodeKeyArgs(Hex(hex));
    EXPECT_FALSE(kv.ok()) << hex;
    auto ks = DecodeKeysArgs(Hex(hex));
    EXPECT_FALSE(ks.ok()) << hex;
    auto b = DecodeBrokerMessage(Hex(hex));
    EXPECT_FALSE(b.ok()) << hex;
  }
  auto r = DecodeKeyArgs(Hex("81a36b6579dbffffffff"));
  EXPECT_NE(r.status().message().find("declares 4294967295 bytes"), std::string::npos)
      << r.status().message();
}

TEST(WireMalformed, DeepNestingInAnUnknownField) {
  Bytes b = Hex("82a36b6579a16ba178");
  for (int i = 0; i < 100000; ++i) b.push_back(0x91);
  b.push_back(0xc0);
  auto r = DecodeKeyArgs(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nesting deeper"), std::string::npos) << r.status().message();
  // within the limit it is skipped fine
  Bytes ok = Hex("82a36b6579a16ba178");
  for (int i = 0; i < 10; ++i) ok.push_back(0x91);
  ok.push_back(0xc0);
  EXPECT_TRUE(DecodeKeyArgs(ok).ok());
}

TEST(WireMalformed, EmptyInput) {
  auto r = DecodeGeneratorRequest(ByteView());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  EXPECT_NE(r.status().message().find("end of input"), std::string::npos);
}

}  // namespace
}  // namespace wasmcloud::wire
