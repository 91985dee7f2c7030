// The SDK's msgpack writer and reader, compiled natively, against the host's own codec
// (src/wire/msgpack.h): the same bytes for the same values, the same values read back,
// and errors (never out-of-bounds reads) on truncated, mistyped and oversized input.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "sdk_test_util.h"
#include "wasmcloud/msgpack.h"
#include "wire/msgpack.h"

namespace wasmcloud::sdk_test {
namespace {

class SdkMsgpackTest : public ::testing::Test {
 protected:
  void SetUp() override { wc_arena_reset(); }
};

const std::vector<uint64_t> kUints = {
    0, 1, 127, 128, 255, 256, 65535, 65536, 0xffffffff, 0x100000000, UINT64_MAX - 1, UINT64_MAX};
const std::vector<int64_t> kInts = {0,
                                    1,
                                    127,
                                    128,
                                    200,
                                    65536,
                                    -1,
                                    -32,
                                    -33,
                                    -128,
                                    -129,
                                    -32768,
                                    -32769,
                                    std::numeric_limits<int32_t>::min(),
                                    int64_t{std::numeric_limits<int32_t>::min()} - 1,
                                    std::numeric_limits<int32_t>::max(),
                                    std::numeric_limits<int64_t>::min(),
                                    std::numeric_limits<int64_t>::max()};
const std::vector<size_t> kLengths = {0, 1, 15, 16, 31, 32, 255, 256, 65535, 65536, 70000};

TEST_F(SdkMsgpackTest, ScalarsAreWrittenAsTheHostWritesThem) {
  for (uint64_t v : kUints) {
    wc_buf b = wc_buf_new();
    wc_mp_write_uint(&b, v);
    wire::Writer w;
    w.Uint(v);
    EXPECT_EQ(HexEncode(ToBytes(b)), HexEncode(w.Take())) << v;
  }
  for (int64_t v : kInts) {
    wc_buf b = wc_buf_new();
    wc_mp_write_int(&b, v);
    wire::Writer w;
    w.Int(v);
    EXPECT_EQ(HexEncode(ToBytes(b)), HexEncode(w.Take())) << v;
  }
  wc_buf b = wc_buf_new();
  wc_mp_write_nil(&b);
  wc_mp_write_bool(&b, true);
  wc_mp_write_bool(&b, false);
  EXPECT_EQ(HexEncode(ToBytes(b)), "c0c3c2");
  // The upstream examples: 200 as i32 is cc c8, -1 is ff.
  b = wc_buf_new();
  wc_mp_write_int(&b, 200);
  wc_mp_write_int(&b, -1);
  EXPECT_EQ(HexEncode(ToBytes(b)), "ccc8ff");
}

TEST_F(SdkMsgpackTest, StringsBinsAndHeadersAtEveryLengthBoundary) {
  for (size_t n : kLengths) {
    std::string s(n, 'x');
    Bytes bytes(n, 0xab);
    wc_buf b = wc_buf_new();
    wc_mp_write_str(&b, Str(s));
    wc_mp_write_bin(&b, View(bytes));
    wc_mp_write_map(&b, static_cast<uint32_t>(n));
    wc_mp_write_array(&b, static_cast<uint32_t>(n));
    wire::Writer w;
    w.Str(s);
    w.Bin(bytes);
    w.MapHeader(static_cast<uint32_t>(n));
    w.ArrayHeader(static_cast<uint32_t>(n));
    Bytes want = w.Take();
    ASSERT_EQ(ToBytes(b), want) << n;

    // And back: the reader takes what the host wrote.
    wc_mp_reader r;
    wc_mp_reader_init(&r, View(want));
    wc_str got_s;
    wc_bytes got_b;
    uint32_t map_n = 0, array_n = 0;
    ASSERT_TRUE(wc_mp_read_str(&r, &got_s)) << r.error;
    ASSERT_TRUE(wc_mp_read_bin(&r, &got_b)) << r.error;
    EXPECT_EQ(ToString(got_s), s);
    EXPECT_EQ(ToBytes(got_b), bytes);
    // The headers promise more entries than there are bytes left, unless n is 0.
    EXPECT_EQ(wc_mp_read_map(&r, &map_n), n == 0) << r.error;
    if (n == 0) {
      ASSERT_TRUE(wc_mp_read_array(&r, &array_n));
      EXPECT_TRUE(wc_mp_at_end(&r));
    }
  }
}

TEST_F(SdkMsgpackTest, IntegersReadBackFromEveryEncoding) {
  for (int64_t v : kInts) {
    wire::Writer w;
    w.Int(v);
    Bytes data = w.Take();
    wc_mp_reader r;
    wc_mp_reader_init(&r, View(data));
    int64_t got = 0;
    ASSERT_TRUE(wc_mp_read_int(&r, &got)) << r.error;
    EXPECT_EQ(got, v);
    EXPECT_TRUE(wc_mp_at_end(&r));
  }
  for (uint64_t v : kUints) {
    wire::Writer w;
    w.Uint(v);
    Bytes data = w.Take();
    wc_mp_reader r;
    wc_mp_reader_init(&r, View(data));
    uint64_t got = 0;
    ASSERT_TRUE(wc_mp_read_uint(&r, &got)) << r.error;
    EXPECT_EQ(got, v);
  }
  // Wider encodings than needed are accepted (other writers use them).
  Bytes wide = *HexDecode("cd0001d2ffffffffd300000000000000053f");
  wc_mp_reader r;
  wc_mp_reader_init(&r, View(wide));
  int64_t a = 0, b = 0, c = 0, d = 0;
  ASSERT_TRUE(wc_mp_read_int(&r, &a) && wc_mp_read_int(&r, &b) && wc_mp_read_int(&r, &c) &&
              wc_mp_read_int(&r, &d))
      << r.error;
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, -1);
  EXPECT_EQ(c, 5);
  EXPECT_EQ(d, 63);
}

// The reader's verdict and message on `hex`, next to the host reader's, for one read.
struct Verdicts {
  bool sdk_ok;
  std::string sdk_error;
  bool host_ok;
  std::string host_error;
};

template <typename SdkRead, typename HostRead>
Verdicts Both(const std::string& hex, SdkRead sdk_read, HostRead host_read) {
  Bytes data = *HexDecode(hex);
  // An exact-size heap copy: a read past the end is a heap overflow under ASan.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[data.size()]);
  std::copy(data.begin(), data.end(), copy.get());
  wc_mp_reader r;
  wc_mp_reader_init(&r, wc_bytes_of(copy.get(), static_cast<uint32_t>(data.size())));
  Verdicts v;
  v.sdk_ok = sdk_read(&r);
  v.sdk_error = r.error;
  wire::Reader hr(data);
  Status s = host_read(hr);
  v.host_ok = s.ok();
  v.host_error = s.message();
  return v;
}

Status HostSkip(wire::Reader& r) { return r.Skip(); }
Status HostStr(wire::Reader& r) { return r.ReadStr().status(); }
Status HostBin(wire::Reader& r) { return r.ReadBin().status(); }
Status HostI32(wire::Reader& r) { return wire::ReadI32(r).status(); }
Status HostU32(wire::Reader& r) { return wire::ReadU32(r).status(); }
Status HostMap(wire::Reader& r) { return r.ReadMapHeader().status(); }
bool SdkSkip(wc_mp_reader* r) { return wc_mp_skip(r); }
bool SdkStr(wc_mp_reader* r) {
  wc_str s;
  return wc_mp_read_str(r, &s);
}
bool SdkBin(wc_mp_reader* r) {
  wc_bytes b;
  return wc_mp_read_bin(r, &b);
}
bool SdkI32(wc_mp_reader* r) {
  int32_t v;
  return wc_mp_read_i32(r, &v);
}
bool SdkU32(wc_mp_reader* r) {
  uint32_t v;
  return wc_mp_read_u32(r, &v);
}
bool SdkMap(wc_mp_reader* r) {
  uint32_t n;
  return wc_mp_read_map(r, &n);
}

// A declared length that does not fit is reported with the bytes left from the value's
// start, as the host's reader does.
TEST_F(SdkMsgpackTest, MalformedInputIsAnErrorWithTheHostsWording) {
  struct Case {
    std::string hex;
    bool (*sdk)(wc_mp_reader*);
    Status (*host)(wire::Reader&);
    std::string error;
  };
  const std::vector<Case> cases = {
      {"", SdkStr, HostStr, "expected str, found end of input at offset 0"},
      {"01", SdkStr, HostStr, "expected str, found int at offset 0"},
      {"a5616263", SdkStr, HostStr, "str at offset 0 declares 5 bytes, only 4 left"},
      {"d9", SdkStr, HostStr, "truncated: need 1 bytes at offset 1, have 0"},
      {"dbffffffff41", SdkStr, HostStr, "str at offset 0 declares 4294967295 bytes, only 6 left"},
      {"c6ffffffff", SdkBin, HostBin, "bin at offset 0 declares 4294967295 bytes, only 5 left"},
      {"c5ff", SdkBin, HostBin, "truncated: need 2 bytes at offset 1, have 1"},
      {"a3616263", SdkBin, HostBin, "expected bin, found str at offset 0"},
      {"92cd0100", SdkBin, HostBin, "byte array element 256 > 255"},
      {"dfffffffff", SdkMap, HostMap,
       "map at offset 0 declares 4294967295 entries, only 5 bytes left"},
      {"83a161", SdkMap, HostMap, "map at offset 0 declares 3 entries, only 3 bytes left"},
      {"ce80000000", SdkI32, HostI32, "integer 2147483648 at offset 0 does not fit i32"},
      {"d3fffffffeffffffff", SdkI32, HostI32, "integer -4294967297 at offset 0 does not fit i32"},
      {"cf8000000000000000", SdkI32, HostI32, "integer at offset 0 is out of range"},
      {"ff", SdkU32, HostU32, "negative integer -1 at offset 0 where an unsigned one is expected"},
      {"cf0000000100000000", SdkU32, HostU32, "integer 4294967296 at offset 0 does not fit u32"},
      {"c3", SdkI32, HostI32, "expected integer, found bool at offset 0"},
      {"c1", SdkSkip, HostSkip, "expected a value, found reserved byte 0xc1 at offset 0"},
      {"c7ff01", SdkSkip, HostSkip, "value at offset 2 needs 256 bytes, only 1 left"},
      {"dd0000000a01", SdkSkip, HostSkip,
       "array at offset 0 declares 10 elements, only 6 bytes left"},
      {"cb0000", SdkSkip, HostSkip, "value at offset 1 needs 8 bytes, only 2 left"},
  };
  for (const Case& c : cases) {
    Verdicts v = Both(c.hex, c.sdk, c.host);
    EXPECT_FALSE(v.sdk_ok) << c.hex;
    EXPECT_FALSE(v.host_ok) << c.hex;
    EXPECT_EQ(v.sdk_error, c.error) << c.hex;
    EXPECT_EQ(v.sdk_error, v.host_error) << c.hex;
  }
}

TEST_F(SdkMsgpackTest, SkipHandlesEveryTypeAndLimitsNesting) {
  // nil, bools, ints, float32/64, str8, bin8, fixext1, ext8, a nested map and array.
  const std::string every =
      "c0c2c3"
      "7fe0cc01cd0001ce00000001cf0000000000000001d0ffd1ffffd2ffffffffd3ffffffffffffffff"
      "ca00000000cb0000000000000000"
      "d90161"
      "c40162"
      "d40100"
      "c7010100"
      "81a1619201c0";
  Verdicts all = Both(
      every,
      [](wc_mp_reader* r) {
        while (!wc_mp_at_end(r)) {
          if (!wc_mp_skip(r)) return false;
        }
        return true;
      },
      [](wire::Reader& r) {
        while (!r.AtEnd()) {
          Status s = r.Skip();
          if (!s.ok()) return s;
        }
        return Status::Ok();
      });
  EXPECT_TRUE(all.sdk_ok) << all.sdk_error;
  EXPECT_TRUE(all.host_ok);

  // 64 levels of arrays are fine, 65 are not.
  std::string deep64 = std::string(64 * 2, '9');
  for (size_t i = 0; i < deep64.size(); i += 2) deep64[i + 1] = '1';
  Verdicts ok = Both(deep64 + "90", SdkSkip, HostSkip);
  EXPECT_TRUE(ok.sdk_ok) << ok.sdk_error;
  Verdicts too_deep = Both(deep64 + "9190", SdkSkip, HostSkip);
  EXPECT_FALSE(too_deep.sdk_ok);
  EXPECT_EQ(too_deep.sdk_error, "nesting deeper than 64 at offset 65");
  EXPECT_EQ(too_deep.sdk_error, too_deep.host_error);
}

TEST_F(SdkMsgpackTest, TheFirstErrorSticks) {
  Bytes data = *HexDecode("01a161");
  wc_mp_reader r;
  wc_mp_reader_init(&r, View(data));
  wc_str s;
  EXPECT_FALSE(wc_mp_read_str(&r, &s));
  int64_t v = 0;
  EXPECT_FALSE(wc_mp_read_int(&r, &v));  // would succeed on its own
  EXPECT_STREQ(r.error, "expected str, found int at offset 0");
}

TEST_F(SdkMsgpackTest, EveryPrefixOfAValueFailsWithoutReadingPastIt) {
  wire::Writer w;
  w.MapHeader(3);
  w.Str("a");
  w.Bin(Bytes(300, 1));
  w.Str(std::string(40, 'k'));
  w.ArrayHeader(2);
  w.Int(-70000);
  w.Uint(1ULL << 40);
  w.Str("z");
  w.Nil();
  Bytes full = w.Take();
  for (size_t n = 0; n < full.size(); ++n) {
    Verdicts v = Both(HexEncode(ByteView(full.data(), n)), SdkSkip, HostSkip);
    EXPECT_FALSE(v.sdk_ok) << n;
    EXPECT_EQ(v.sdk_error, v.host_error) << n;
  }
  EXPECT_TRUE(Both(HexEncode(full), SdkSkip, HostSkip).sdk_ok);
}

TEST_F(SdkMsgpackTest, BufferAndArena) {
  wc_buf b = wc_buf_new();
  wc_buf_append_cstr(&b, "n=");
  wc_buf_append_int(&b, -2147483647 - 1);
  wc_buf_push(&b, ' ');
  wc_buf_append_uint(&b, UINT64_MAX);
  wc_buf_push(&b, ' ');
  wc_buf_append_int(&b, 0);
  EXPECT_EQ(ToString(wc_buf_str(&b)), "n=-2147483648 18446744073709551615 0");

  // A buffer that is the last block grows in place.
  wc_arena_reset();
  wc_buf big = wc_buf_new();
  for (int i = 0; i < 100000; ++i) wc_buf_push(&big, static_cast<uint8_t>(i));
  EXPECT_FALSE(big.failed);
  EXPECT_LT(wc_arena_used(), 2u * 131072u);

  // More than the arena holds: NULL, and a buffer says it failed.
  EXPECT_EQ(wc_alloc(size_t{WC_NATIVE_HEAP_SIZE} + 1), nullptr);
  wc_buf huge = wc_buf_new();
  EXPECT_FALSE(wc_buf_reserve(&huge, 0xffffffffu));
  EXPECT_TRUE(huge.failed);
  wc_buf_append_cstr(&huge, "x");
  EXPECT_EQ(huge.len, 0u);
  EXPECT_FALSE(wc_ok_buf(&huge).ok);
  EXPECT_EQ(ToString(wc_ok_buf(&huge).error), "out of memory");

  // Blocks are 8-aligned; a reset hands out the same memory again.
  wc_arena_reset();
  void* p = wc_alloc(3);
  void* q = wc_alloc(1);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 8, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(q), reinterpret_cast<uintptr_t>(p) + 8);
  wc_arena_reset();
  EXPECT_EQ(wc_alloc(3), p);
}

}  // namespace
}  // namespace wasmcloud::sdk_test
