// The SDK's interface payload helpers against the host's codecs (src/wire): the same bytes
// for the same values, each side decoding what the other wrote, and, for thousands of
// corrupted payloads, the same verdict and the same error text.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "sdk_test_util.h"
#include "wasmcloud/core.h"
#include "wasmcloud/httpserver.h"
#include "wasmcloud/keyvalue.h"
#include "wasmcloud/messaging.h"
#include "wire/core.h"
#include "wire/http.h"
#include "wire/keyvalue.h"
#include "wire/messaging.h"

namespace wasmcloud::sdk_test {
namespace {

class SdkPayloadTest : public ::testing::Test {
 protected:
  void SetUp() override { wc_arena_reset(); }
};

// Parallel arrays for a wc_str_map, kept alive by the caller.
struct CMap {
  std::vector<wc_str> keys, values;
  wc_str_map map;
  explicit CMap(const wire::StringMap& m) {
    for (const auto& [k, v] : m) {
      keys.push_back(Str(k));
      values.push_back(Str(v));
    }
    map.len = static_cast<uint32_t>(keys.size());
    map.keys = keys.data();
    map.values = values.data();
  }
};

wire::StringMap FromC(const wc_str_map& m) {
  wire::StringMap out;
  for (uint32_t i = 0; i < m.len; ++i) out[ToString(m.keys[i])] = ToString(m.values[i]);
  return out;
}

std::string Hex(const wc_buf& b) { return HexEncode(ToBytes(b)); }

const std::vector<std::string> kTexts = {"",
                                         "/foo/bar",
                                         std::string(31, 'a'),
                                         std::string(32, 'b'),
                                         std::string(300, 'c'),
                                         "J\xc3\xbcrgen"};

TEST_F(SdkPayloadTest, HttpRequestAndResponse) {
  for (const std::string& text : kTexts) {
    wire::HttpRequest req{
        "GET", text, "name=" + text, {{"a", "1"}, {"host", text}}, wasmcloud::ToBytes(text)};
    CMap header(req.header);
    wc_http_request c;
    c.method = Str(req.method);
    c.path = Str(req.path);
    c.query_string = Str(req.query_string);
    c.header = header.map;
    c.body = View(req.body);
    wc_buf b = wc_buf_new();
    wc_http_request_encode(&b, &c);
    Bytes want = wire::Encode(req);
    EXPECT_EQ(Hex(b), HexEncode(want));

    wc_http_request back;
    ASSERT_EQ(wc_http_request_decode(View(want), &back), nullptr);
    EXPECT_EQ(ToString(back.method), "GET");
    EXPECT_EQ(ToString(back.path), text);
    EXPECT_EQ(ToString(back.query_string), req.query_string);
    EXPECT_EQ(FromC(back.header), req.header);
    EXPECT_EQ(ToBytes(back.body), req.body);

    for (uint32_t status : {0u, 200u, 404u, 70000u}) {
      wire::HttpResponse resp{
          status, "OK", {{"content-type", "text/plain"}}, wasmcloud::ToBytes(text)};
      CMap rh(resp.header);
      wc_http_response cr;
      cr.status_code = status;
      cr.status = WC_LIT("OK");
      cr.header = rh.map;
      cr.body = View(resp.body);
      wc_buf rb = wc_buf_new();
      wc_http_response_encode(&rb, &cr);
      EXPECT_EQ(Hex(rb), HexEncode(wire::Encode(resp)));
      auto decoded = wire::DecodeHttpResponse(ToBytes(rb));
      ASSERT_TRUE(decoded.ok());
      EXPECT_EQ(*decoded, resp);
      wc_http_response cback;
      ASSERT_EQ(wc_http_response_decode(View(ToBytes(rb)), &cback), nullptr);
      EXPECT_EQ(cback.status_code, status);
    }
  }
}

TEST_F(SdkPayloadTest, TheReplyHelperWritesWhatUpstreamKvcounterAnswers) {
  // golden_invocations.json: kvcounter's reply to its first HandleRequest.
  wc_result r = wc_http_reply(200, WC_LIT("OK"), wc_str_bytes(WC_LIT("{\"counter\":1}")));
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(HexEncode(ToBytes(r.value)),
            "84aa737461747573436f6465ccc8a6737461747573a24f4ba668656164657280a4626f6479c40d7b22"
            "636f756e746572223a317d");
}

TEST_F(SdkPayloadTest, QueryParameters) {
  struct Case {
    std::string query, name;
    bool found;
    std::string value;
  };
  const std::vector<Case> cases = {
      {"name=Ada", "name", true, "Ada"},
      {"a=1&name=J%C3%BCrgen+X&b", "name", true, "J\xc3\xbcrgen X"},
      {"names=x&name", "name", true, ""},
      {"x=1", "name", false, ""},
      {"", "name", false, ""},
      {"name=%zz%4", "name", true, "%zz%4"},
      {"&&name=last%21&", "name", true, "last!"},
  };
  for (const Case& c : cases) {
    wc_str v = WC_LIT("unset");
    EXPECT_EQ(wc_http_query_param(Str(c.query), c.name.c_str(), &v), c.found) << c.query;
    if (c.found) {
      EXPECT_EQ(ToString(v), c.value) << c.query;
    }
  }
}

TEST_F(SdkPayloadTest, KeyValueArgsAndReplies) {
  for (const std::string& key : kTexts) {
    for (int32_t n : {0, 1, -1, 127, 128, -33, 65536, INT32_MIN, INT32_MAX}) {
      wc_buf b = wc_buf_new();
      wc_kv_add_args_encode(&b, Str(key), n);
      EXPECT_EQ(Hex(b), HexEncode(wire::Encode(wire::AddArgs{key, n})));
      b = wc_buf_new();
      wc_kv_set_args_encode(&b, Str(key), Str(key), n);
      EXPECT_EQ(Hex(b), HexEncode(wire::Encode(wire::SetArgs{key, key, n})));

      wc_kv_add_response add;
      Bytes reply = wire::Encode(wire::AddResponse{n});
      ASSERT_EQ(wc_kv_add_response_decode(View(reply), &add), nullptr);
      EXPECT_EQ(add.value, n);
      b = wc_buf_new();
      wc_kv_add_response_encode(&b, &add);
      EXPECT_EQ(ToBytes(b), reply);
    }
    wc_buf b = wc_buf_new();
    wc_kv_key_args_encode(&b, Str(key));
    EXPECT_EQ(Hex(b), HexEncode(wire::Encode(wire::KeyArgs{key})));
    b = wc_buf_new();
    wc_kv_key_value_args_encode(&b, Str(key), WC_LIT("v"));
    EXPECT_EQ(Hex(b), HexEncode(wire::Encode(wire::KeyValueArgs{key, "v"})));

    for (bool exists : {false, true}) {
      Bytes reply = wire::Encode(wire::GetResponse{key, exists});
      wc_kv_get_response get;
      ASSERT_EQ(wc_kv_get_response_decode(View(reply), &get), nullptr);
      EXPECT_EQ(ToString(get.value), key);
      EXPECT_EQ(get.exists, exists);
      b = wc_buf_new();
      wc_kv_get_response_encode(&b, &get);
      EXPECT_EQ(ToBytes(b), reply);
    }
    Bytes set_reply = wire::Encode(wire::SetResponse{key});
    wc_kv_set_response set;
    ASSERT_EQ(wc_kv_set_response_decode(View(set_reply), &set), nullptr);
    EXPECT_EQ(ToString(set.value), key);
    Bytes del_reply = wire::Encode(wire::DelResponse{key});
    wc_kv_del_response del;
    ASSERT_EQ(wc_kv_del_response_decode(View(del_reply), &del), nullptr);
    EXPECT_EQ(ToString(del.key), key);
    b = wc_buf_new();
    wc_kv_del_response_encode(&b, &del);
    EXPECT_EQ(ToBytes(b), del_reply);
  }
  // The fixture's host call of kvcounter for /foo/bar.
  wc_buf b = wc_buf_new();
  wc_kv_add_args_encode(&b, WC_LIT(":foo:bar"), 1);
  EXPECT_EQ(Hex(b), "82a36b6579a83a666f6f3a626172a576616c756501");
}

TEST_F(SdkPayloadTest, MessagingAndHealth) {
  for (const std::string& text : kTexts) {
    wire::BrokerMessage m{text, "reply." + text, wasmcloud::ToBytes(text)};
    Bytes want = wire::Encode(m);
    wc_broker_message c;
    ASSERT_EQ(wc_broker_message_decode(View(want), &c), nullptr);
    EXPECT_EQ(ToString(c.subject), m.subject);
    EXPECT_EQ(ToString(c.reply_to), m.reply_to);
    EXPECT_EQ(ToBytes(c.body), m.body);
    wc_buf b = wc_buf_new();
    wc_broker_message_encode(&b, &c);
    EXPECT_EQ(ToBytes(b), want);

    b = wc_buf_new();
    wc_publish_args_encode(&b, Str(text), WC_LIT(""), View(m.body));
    EXPECT_EQ(Hex(b), HexEncode(wire::Encode(wire::PublishArgs{text, "", m.body})));
    for (int64_t timeout : {int64_t{0}, int64_t{1000}, int64_t{-1}, int64_t{1} << 40}) {
      b = wc_buf_new();
      wc_request_args_encode(&b, Str(text), View(m.body), timeout);
      EXPECT_EQ(Hex(b), HexEncode(wire::Encode(wire::RequestArgs{text, m.body, timeout})));
    }
  }
  for (bool published : {false, true}) {
    Bytes reply = wire::Encode(wire::PublishResponse{published});
    wc_publish_response p;
    ASSERT_EQ(wc_publish_response_decode(View(reply), &p), nullptr);
    EXPECT_EQ(p.published, published);
    wc_buf b = wc_buf_new();
    wc_publish_response_encode(&b, &p);
    EXPECT_EQ(ToBytes(b), reply);
  }

  wc_health_request hr;
  hr.placeholder = true;
  wc_buf b = wc_buf_new();
  wc_health_request_encode(&b, &hr);
  EXPECT_EQ(Hex(b), "81ab706c616365686f6c646572c3");
  EXPECT_EQ(ToBytes(b), wire::Encode(wire::HealthRequest{}));
  wc_health_response h;
  h.healthy = true;
  h.message = WC_LIT("");
  b = wc_buf_new();
  wc_health_response_encode(&b, &h);
  EXPECT_EQ(Hex(b), "82a76865616c746879c3a76d657373616765a0");
  Bytes sick = wire::Encode(wire::HealthResponse{false, "disk full"});
  ASSERT_EQ(wc_health_response_decode(View(sick), &h), nullptr);
  EXPECT_FALSE(h.healthy);
  EXPECT_EQ(ToString(h.message), "disk full");
}

TEST_F(SdkPayloadTest, StructsDecodeAsRmpSerdeDoes) {
  // Unknown keys skipped, fields in any order, the array form, a field index as key.
  // (The decoded views point into the input, so each input is kept in a local.)
  Bytes unknown_key = *HexDecode("82a1789101a576616c7565d0f0");
  wc_kv_add_response add;
  ASSERT_EQ(wc_kv_add_response_decode(View(unknown_key), &add), nullptr);
  EXPECT_EQ(add.value, -16);
  Bytes array_form = *HexDecode("93a173a0c40162");
  wc_broker_message m;
  ASSERT_EQ(wc_broker_message_decode(View(array_form), &m), nullptr);
  EXPECT_EQ(ToString(m.subject), "s");
  EXPECT_EQ(ToString(m.body), "b");
  Bytes index_key = *HexDecode("810005");
  ASSERT_EQ(wc_kv_add_response_decode(View(index_key), &add), nullptr);
  EXPECT_EQ(add.value, 5);
  // A body written as an array of numbers (serde_bytes takes it).
  Bytes number_body = *HexDecode("83a77375626a656374a0a77265706c79546fa0a4626f647992cc8001");
  ASSERT_EQ(wc_broker_message_decode(View(number_body), &m), nullptr);
  EXPECT_EQ(HexEncode(ToBytes(m.body)), "8001");
}

// --- the same verdicts as the host's codecs on corrupted input ------------------------

// Decodes with the SDK (from an exact-size heap copy, so that ASan sees any overread):
// the error, or "" and a re-encoding of what was decoded.
using SdkDecode = std::function<std::string(wc_bytes, Bytes*)>;
// The host's decode: the error, or "" and its re-encoding.
using HostDecode = std::function<std::string(ByteView, Bytes*)>;

template <typename T, typename F>
HostDecode Host(F decode) {
  return [decode](ByteView data, Bytes* out) -> std::string {
    auto r = decode(data);
    if (!r.ok()) return r.status().message();
    *out = wire::Encode(*r);
    return "";
  };
}

struct PayloadCodec {
  std::string name;
  Bytes sample;
  SdkDecode sdk;
  HostDecode host;
};

wire::StringMap MapOf(const wc_str_map& m) { return FromC(m); }

// Each SDK decoder's result is turned into the host's struct and encoded by the host, so
// that the comparison is of decoded values (a header map is a std::map there).
std::vector<PayloadCodec> Codecs() {
  std::vector<PayloadCodec> v;
  v.push_back({"HttpRequest",
               wire::Encode(wire::HttpRequest{
                   "POST", "/a/b", "q=1", {{"k", "v"}, {"x", ""}}, wasmcloud::ToBytes("body")}),
               [](wc_bytes in, Bytes* out) -> std::string {
                 wc_http_request r;
                 if (const char* e = wc_http_request_decode(in, &r)) return e;
                 *out = wire::Encode(wire::HttpRequest{ToString(r.method), ToString(r.path),
                                                       ToString(r.query_string), MapOf(r.header),
                                                       ToBytes(r.body)});
                 return "";
               },
               Host<wire::HttpRequest>(wire::DecodeHttpRequest)});
  v.push_back(
      {"HttpResponse",
       wire::Encode(wire::HttpResponse{404, "Not Found", {{"a", "b"}}, wasmcloud::ToBytes("no")}),
       [](wc_bytes in, Bytes* out) -> std::string {
         wc_http_response r;
         if (const char* e = wc_http_response_decode(in, &r)) return e;
         *out = wire::Encode(wire::HttpResponse{r.status_code, ToString(r.status), MapOf(r.header),
                                                ToBytes(r.body)});
         return "";
       },
       Host<wire::HttpResponse>(wire::DecodeHttpResponse)});
  v.push_back({"BrokerMessage",
               wire::Encode(wire::BrokerMessage{"in", "reply.1", wasmcloud::ToBytes("hi")}),
               [](wc_bytes in, Bytes* out) -> std::string {
                 wc_broker_message r;
                 if (const char* e = wc_broker_message_decode(in, &r)) return e;
                 *out = wire::Encode(wire::BrokerMessage{ToString(r.subject), ToString(r.reply_to),
                                                         ToBytes(r.body)});
                 return "";
               },
               Host<wire::BrokerMessage>(wire::DecodeBrokerMessage)});
  v.push_back({"AddResponse", wire::Encode(wire::AddResponse{-300}),
               [](wc_bytes in, Bytes* out) -> std::string {
                 wc_kv_add_response r;
                 if (const char* e = wc_kv_add_response_decode(in, &r)) return e;
                 *out = wire::Encode(wire::AddResponse{r.value});
                 return "";
               },
               Host<wire::AddResponse>(wire::DecodeAddResponse)});
  v.push_back({"GetResponse", wire::Encode(wire::GetResponse{"12", true}),
               [](wc_bytes in, Bytes* out) -> std::string {
                 wc_kv_get_response r;
                 if (const char* e = wc_kv_get_response_decode(in, &r)) return e;
                 *out = wire::Encode(wire::GetResponse{ToString(r.value), r.exists});
                 return "";
               },
               Host<wire::GetResponse>(wire::DecodeGetResponse)});
  v.push_back({"PublishResponse", wire::Encode(wire::PublishResponse{true}),
               [](wc_bytes in, Bytes* out) -> std::string {
                 wc_publish_response r;
                 if (const char* e = wc_publish_response_decode(in, &r)) return e;
                 *out = wire::Encode(wire::PublishResponse{r.published});
                 return "";
               },
               Host<wire::PublishResponse>(wire::DecodePublishResponse)});
  v.push_back({"HealthResponse", wire::Encode(wire::HealthResponse{false, "sick"}),
               [](wc_bytes in, Bytes* out) -> std::string {
                 wc_health_response r;
                 if (const char* e = wc_health_response_decode(in, &r)) return e;
                 *out = wire::Encode(wire::HealthResponse{r.healthy, ToString(r.message)});
                 return "";
               },
               Host<wire::HealthResponse>(wire::DecodeHealthResponse)});
  return v;
}

// Runs both decoders on `data`; they must agree on the verdict, the error text, and on
// what a successful decode re-encodes to.
void ExpectSameVerdict(const PayloadCodec& c, const Bytes& data) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[data.size()]);
  std::copy(data.begin(), data.end(), copy.get());
  wc_arena_reset();
  Bytes sdk_out, host_out;
  std::string sdk_error =
      c.sdk(wc_bytes_of(copy.get(), static_cast<uint32_t>(data.size())), &sdk_out);
  std::string host_error = c.host(data, &host_out);
  ASSERT_EQ(sdk_error, host_error) << c.name << " " << HexEncode(data);
  ASSERT_EQ(HexEncode(sdk_out), HexEncode(host_out)) << c.name << " " << HexEncode(data);
}

TEST_F(SdkPayloadTest, TruncatedPayloadsFailLikeTheHosts) {
  for (const PayloadCodec& c : Codecs()) {
    for (size_t n = 0; n <= c.sample.size(); ++n) {
      ExpectSameVerdict(c, Bytes(c.sample.begin(), c.sample.begin() + n));
    }
  }
}

TEST_F(SdkPayloadTest, HostileCasesFailLikeTheHosts) {
  const std::vector<std::string> hostile = {
      "80",                                  // empty map: missing field
      "c0",                                  // nil: not a struct
      "dfffffffff",                          // map of 4G entries
      "ddffffffff",                          // array of 4G elements
      "81a6737461747573c0",                  // wrong type (nil)
      "82a6737461747573a0a6737461747573a0",  // duplicate field
      "81c3c3",                              // a bool key
      "81ce0000000101",                      // index key beyond the fields: skipped
      "94a0a0a0a0a0",                        // array longer than the struct
  };
  for (const PayloadCodec& c : Codecs()) {
    for (const std::string& h : hostile) ExpectSameVerdict(c, *HexDecode(h));
  }
}

TEST_F(SdkPayloadTest, ThousandsOfCorruptedPayloadsGetTheSameVerdict) {
  std::mt19937 rng(20210408);  // fixed: a failure is reproducible
  for (const PayloadCodec& c : Codecs()) {
    for (int i = 0; i < 3000; ++i) {
      Bytes data = c.sample;
      int edits = 1 + static_cast<int>(rng() % 3);
      for (int e = 0; e < edits; ++e) {
        switch (rng() % 4) {
          case 0:  // overwrite a byte with anything
            if (!data.empty()) data[rng() % data.size()] = static_cast<uint8_t>(rng());
            break;
          case 1:  // overwrite with a marker byte
            if (!data.empty()) {
              static const uint8_t kMarkers[] = {0xc0, 0xc1, 0xc4, 0xc6, 0xd9, 0xdb, 0xdc,
                                                 0xdd, 0xde, 0xdf, 0xcf, 0xd3, 0x9f, 0x8f,
                                                 0xbf, 0xff, 0x00, 0x7f, 0xc7, 0xd8};
              data[rng() % data.size()] = kMarkers[rng() % sizeof kMarkers];
            }
            break;
          case 2:  // cut
            data.resize(rng() % (data.size() + 1));
            break;
          default:  // duplicate a slice
            if (!data.empty()) {
              size_t at = rng() % data.size();
              size_t n = 1 + rng() % (data.size() - at);
              Bytes slice(data.begin() + at, data.begin() + at + n);
              data.insert(data.begin() + rng() % data.size(), slice.begin(), slice.end());
            }
        }
      }
      ExpectSameVerdict(c, data);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

}  // namespace
}  // namespace wasmcloud::sdk_test
