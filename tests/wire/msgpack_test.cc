// The msgpack writer uses the smallest forms rmp writes; the reader accepts what
// rmp-serde's default deserializer accepts. msgpack-cxx decodes our output as a check.
#include <msgpack.hpp>

#include <gtest/gtest.h>

#include "core/bytes.h"
#include "wire/core.h"
#include "wire/http.h"
#include "wire/keyvalue.h"
#include "wire/messaging.h"
#include "wire/msgpack.h"

namespace wasmcloud::wire {
namespace {

std::string U(uint64_t v) {
  Writer w;
  w.Uint(v);
  return HexEncode(w.Take());
}
std::string I(int64_t v) {
  Writer w;
  w.Int(v);
  return HexEncode(w.Take());
}
Bytes Hex(std::string_view h) { return *HexDecode(h); }

TEST(WireMsgpack, IntegerForms) {
  EXPECT_EQ(U(0), "00");
  EXPECT_EQ(U(127), "7f");
  EXPECT_EQ(U(128), "cc80");
  EXPECT_EQ(U(255), "ccff");
  EXPECT_EQ(U(256), "cd0100");
  EXPECT_EQ(U(65536), "ce00010000");
  EXPECT_EQ(U(0x100000000ULL), "cf0000000100000000");
  EXPECT_EQ(I(5), "05");
  EXPECT_EQ(I(200), "ccc8");  // non-negative signed values use the unsigned forms
  EXPECT_EQ(I(-1), "ff");
  EXPECT_EQ(I(-32), "e0");
  EXPECT_EQ(I(-33), "d0df");
  EXPECT_EQ(I(-129), "d1ff7f");
  EXPECT_EQ(I(-32769), "d2ffff7fff");
  EXPECT_EQ(I(-2147483649LL), "d3ffffffff7fffffff");
}

TEST(WireMsgpack, StrBinAndContainerForms) {
  Writer w;
  w.Str(std::string(31, 'a'));
  EXPECT_EQ(w.Take()[0], 0xbf);
  w.Str(std::string(32, 'a'));
  Bytes b = w.Take();
  EXPECT_EQ(b[0], 0xd9);
  EXPECT_EQ(b[1], 32);
  w.Str(std::string(256, 'a'));
  EXPECT_EQ(w.Take()[0], 0xda);
  w.Str(std::string(65536, 'a'));
  EXPECT_EQ(w.Take()[0], 0xdb);
  w.Bin(Bytes(0));
  EXPECT_EQ(HexEncode(w.Take()), "c400");
  w.Bin(Bytes(256));
  EXPECT_EQ(w.Take()[0], 0xc5);
  w.ArrayHeader(15);
  EXPECT_EQ(HexEncode(w.Take()), "9f");
  w.ArrayHeader(16);
  EXPECT_EQ(HexEncode(w.Take()), "dc0010");
  w.MapHeader(16);
  EXPECT_EQ(HexEncode(w.Take()), "de0010");
}

TEST(WireMsgpack, MsgpackCxxReadsOurHttpRequest) {
  HttpRequest req{"GET", "/x", "a=b", {{"h", "v"}}, ToBytes("body")};
  Bytes b = Encode(req);
  try {
    msgpack::object_handle oh = msgpack::unpack(reinterpret_cast<const char*>(b.data()), b.size());
    const msgpack::object& o = oh.get();
    ASSERT_EQ(o.type, msgpack::type::MAP);
    ASSERT_EQ(o.via.map.size, 5u);
    EXPECT_EQ(o.via.map.ptr[0].key.as<std::string>(), "method");
    EXPECT_EQ(o.via.map.ptr[2].key.as<std::string>(), "queryString");
    EXPECT_EQ(o.via.map.ptr[4].val.type, msgpack::type::BIN);
    EXPECT_EQ(o.via.map.ptr[4].val.via.bin.size, 4u);
  } catch (const std::exception& e) {
    FAIL() << e.what();
  }
}

TEST(WireMsgpack, MsgpackCxxEncodingDecodesWithUs) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_map(2);
  pk.pack(std::string("value"));
  pk.pack(std::string("1"));
  pk.pack(std::string("exists"));
  pk.pack(true);
  auto r = DecodeGetResponse(ByteView(reinterpret_cast<const uint8_t*>(buf.data()), buf.size()));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->value, "1");
  EXPECT_TRUE(r->exists);
}

TEST(WireDecode, ToleranceLikeRmpSerde) {
  // Unknown keys are skipped, whatever their value.
  auto a = DecodeAddArgs(Hex("83a17892c0cb3ff0000000000000a36b6579a16ba576616c7565ff"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->key, "k");
  EXPECT_EQ(a->value, -1);
  // Wider integer encodings than needed are accepted.
  a = DecodeAddArgs(Hex("82a36b6579a16ba576616c7565d200000007"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->value, 7);
  // Struct as an array, by position.
  a = DecodeAddArgs(Hex("92a16b05"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->value, 5);
  // Field index as key.
  a = DecodeAddArgs(Hex("8200a16b0103"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->value, 3);
  // A body as an array of ints (serde_bytes accepts sequences).
  auto m = DecodeBrokerMessage(Hex("83a77375626a656374a173a77265706c79546fa0a4626f647992cc8001"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(HexEncode(m->body), "8001");
  // values of CapabilityConfiguration default to empty.
  auto c = DecodeCapabilityConfiguration(Hex("81a66d6f64756c65a24d42"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->module, "MB");
  EXPECT_TRUE(c->values.empty());
}

}  // namespace
}  // namespace wasmcloud::wire
