// Encode gives the golden bytes of shared/fixtures/golden_invocations.json and spec §12
// exactly; decode of those bytes gives the fields.
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "wire/core.h"
#include "wire/extras.h"
#include "wire/http.h"
#include "wire/keyvalue.h"
#include "wire/messaging.h"

namespace wasmcloud::wire {
namespace {

Bytes Hex(std::string_view h) {
  auto r = HexDecode(h);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Bytes{};
}

nlohmann::json Golden() {
  std::ifstream in(std::string(WC_SHARED_DIR) + "/fixtures/golden_invocations.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

TEST(WireGolden, HealthRequestAndResponse) {
  EXPECT_EQ(HexEncode(Encode(HealthRequest{true})), "81ab706c616365686f6c646572c3");
  EXPECT_EQ(HexEncode(Encode(HealthResponse{true, ""})), "82a76865616c746879c3a76d657373616765a0");
  auto req = DecodeHealthRequest(Hex("81ab706c616365686f6c646572c3"));
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_TRUE(req->placeholder);
  auto resp = DecodeHealthResponse(Hex("82a76865616c746879c3a76d657373616765a0"));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_TRUE(resp->healthy);
  EXPECT_EQ(resp->message, "");
}

TEST(WireGolden, SpecSection12Examples) {
  GeneratorRequest guid;
  guid.guid = true;
  EXPECT_EQ(HexEncode(Encode(guid)),
            "85a467756964c3a873657175656e6365c2a672616e646f6dc2a36d696e00a36d617800");
  GeneratorResult seq;
  seq.sequence_number = 5;
  EXPECT_EQ(HexEncode(Encode(seq)),
            "83a467756964c0ae73657175656e63654e756d62657205ad72616e646f6d5f6e756d62657200");
  HttpRequest get{"GET", "/", "", {}, {}};
  EXPECT_EQ(HexEncode(Encode(get)),
            "85a66d6574686f64a3474554a470617468a12fab7175657279537472696e67a0a668656164657280a4"
            "626f6479c400");
  HttpResponse hi{200, "OK", {}, ToBytes("hi")};
  EXPECT_EQ(HexEncode(Encode(hi)),
            "84aa737461747573436f6465ccc8a6737461747573a24f4ba668656164657280a4626f6479c4026869");
  EXPECT_EQ(HexEncode(Encode(GetArgs{"counter"})), "81a36b6579a7636f756e746572");
}

TEST(WireGolden, EveryHttpRequestAndResponseOfTheFixtures) {
  nlohmann::json g = Golden();
  ASSERT_FALSE(g.is_discarded());
  int requests = 0, responses = 0;
  for (const auto& c : g["cases"]) {
    for (const auto& inv : c["invocations"]) {
      if (inv["operation"] != "HandleRequest") continue;
      std::string req_hex = inv["request_hex"];
      auto req = DecodeHttpRequest(Hex(req_hex));
      ASSERT_TRUE(req.ok()) << req.status().ToString();
      EXPECT_EQ(req->method, inv["request_decoded"]["method"]);
      EXPECT_EQ(req->path, inv["request_decoded"]["path"]);
      EXPECT_EQ(req->query_string, inv["request_decoded"]["queryString"]);
      EXPECT_EQ(AsChars(req->body), inv["request_decoded"]["body"]["bin_utf8"].get<std::string>());
      EXPECT_EQ(HexEncode(Encode(*req)), req_hex);
      ++requests;
      const auto& expect = inv["expect"];
      if (!expect.contains("response_hex")) continue;
      std::string resp_hex = expect["response_hex"];
      auto resp = DecodeHttpResponse(Hex(resp_hex));
      ASSERT_TRUE(resp.ok()) << resp.status().ToString();
      EXPECT_EQ(resp->status_code, expect["response_decoded"]["statusCode"].get<uint32_t>());
      EXPECT_EQ(resp->status, expect["response_decoded"]["status"]);
      EXPECT_EQ(AsChars(resp->body),
                expect["response_decoded"]["body"]["bin_utf8"].get<std::string>());
      EXPECT_EQ(HexEncode(Encode(*resp)), resp_hex);
      ++responses;
    }
  }
  EXPECT_GE(requests, 5);
  EXPECT_GE(responses, 5);
}

TEST(WireGolden, HostCallsOfTheFixtures) {
  nlohmann::json g = Golden();
  ASSERT_FALSE(g.is_discarded());
  int kv = 0, extras = 0;
  for (const auto& c : g["cases"]) {
    for (const auto& inv : c["invocations"]) {
      if (!inv.contains("host_calls")) continue;
      for (const auto& h : inv["host_calls"]) {
        std::string ns = h["namespace"];
        std::string payload = h["payload_hex"];
        bool has_reply = h.contains("stub_response_hex") && h["stub_response_hex"].is_string();
        std::string reply = has_reply ? h["stub_response_hex"].get<std::string>() : "";
        if (ns == "wasmcloud:keyvalue" && h["operation"] == "Add") {
          auto args = DecodeAddArgs(Hex(payload));
          ASSERT_TRUE(args.ok()) << args.status().ToString();
          EXPECT_EQ(args->key, h["payload_decoded"]["key"]);
          EXPECT_EQ(args->value, h["payload_decoded"]["value"].get<int>());
          EXPECT_EQ(HexEncode(Encode(*args)), payload);
          if (has_reply) {
            auto r = DecodeAddResponse(Hex(reply));
            ASSERT_TRUE(r.ok()) << r.status().ToString();
            EXPECT_EQ(r->value, h["stub_response_decoded"]["value"].get<int>());
            EXPECT_EQ(HexEncode(Encode(*r)), reply);
          }
          ++kv;
        } else if (ns == "wasmcloud:extras") {
          auto args = DecodeGeneratorRequest(Hex(payload));
          ASSERT_TRUE(args.ok()) << args.status().ToString();
          EXPECT_EQ(HexEncode(Encode(*args)), payload);
          if (has_reply) {
            auto r = DecodeGeneratorResult(Hex(reply));
            ASSERT_TRUE(r.ok()) << r.status().ToString();
            EXPECT_EQ(HexEncode(Encode(*r)), reply);
          }
          ++extras;
        }
      }
    }
  }
  EXPECT_GE(kv, 3);
  EXPECT_GE(extras, 3);
}

TEST(WireGolden, KvcounterAddExact) {
  EXPECT_EQ(HexEncode(Encode(AddArgs{":foo:bar", 1})),
            "82a36b6579a83a666f6f3a626172a576616c756501");
  EXPECT_EQ(HexEncode(Encode(AddResponse{1})), "81a576616c756501");
}

TEST(WireGolden, ExtrasResults) {
  auto r = DecodeGeneratorResult(
      Hex("83a467756964c0ae73657175656e63654e756d62657200ad72616e646f6d5f6e756d6265722a"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->guid.has_value());
  EXPECT_EQ(r->random_number, 42u);
  auto req = DecodeGeneratorRequest(
      Hex("85a467756964c2a873657175656e6365c2a672616e646f6dc3a36d696e00a36d617864"));
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_TRUE(req->random);
  EXPECT_EQ(req->max, 100u);
}

// Every payload type survives Encode → Decode unchanged.
template <typename T, typename D>
void RoundTrip(const T& v, D decode) {
  Bytes b = Encode(v);
  auto back = decode(b);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == v) << HexEncode(b);
}

TEST(WireRoundTrip, AllPayloads) {
  RoundTrip(HealthRequest{false}, DecodeHealthRequest);
  RoundTrip(HealthResponse{false, "down"}, DecodeHealthResponse);
  RoundTrip(CapabilityConfiguration{"MB", {{"PORT", "8080"}, {"__wasmcloud_name", "x"}}},
            DecodeCapabilityConfiguration);
  RoundTrip(GeneratorRequest{true, true, true, 1, 0xffffffffu}, DecodeGeneratorRequest);
  RoundTrip(GeneratorResult{"6e3d8a4c", 0xffffffffffffffffULL, 7}, DecodeGeneratorResult);
  RoundTrip(HttpRequest{"POST", "/a", "b=c", {{"content-type", "x"}}, Bytes(300, 0xab)},
            DecodeHttpRequest);
  RoundTrip(HttpResponse{404, "Not Found", {{"a", "b"}}, Bytes(70000, 1)}, DecodeHttpResponse);
  RoundTrip(KeyArgs{"k"}, DecodeKeyArgs);
  RoundTrip(KeyValueArgs{"k", std::string(40, 'v')}, DecodeKeyValueArgs);
  RoundTrip(KeysArgs{{"a", "b", "c"}}, DecodeKeysArgs);
  RoundTrip(AddArgs{"k", -1000000}, DecodeAddArgs);
  RoundTrip(SetArgs{"k", "v", -1}, DecodeSetArgs);
  RoundTrip(RangeArgs{"k", -5, 2147483647}, DecodeRangeArgs);
  RoundTrip(GetResponse{"1", true}, DecodeGetResponse);
  RoundTrip(AddResponse{-129}, DecodeAddResponse);
  RoundTrip(SetResponse{"v"}, DecodeSetResponse);
  RoundTrip(DelResponse{"k"}, DecodeDelResponse);
  RoundTrip(ListRangeResponse{{"x", ""}}, DecodeListRangeResponse);
  RoundTrip(ListResponse{3}, DecodeListResponse);
  RoundTrip(SetOperationResponse{-2}, DecodeSetOperationResponse);
  RoundTrip(SetQueryResponse{std::vector<std::string>(20, "m")}, DecodeSetQueryResponse);
  RoundTrip(PublishArgs{"s", "r", ToBytes("hi")}, DecodePublishArgs);
  RoundTrip(PublishResponse{true}, DecodePublishResponse);
  RoundTrip(RequestArgs{"s", ToBytes("q"), -9223372036854775807LL - 1}, DecodeRequestArgs);
  RoundTrip(BrokerMessage{"s", "", {}}, DecodeBrokerMessage);
  RoundTrip(WriteLog{"actor", "info", "hello"}, DecodeWriteLog);
}

TEST(WireEncode, KeyNamesOfKeyvalueReplies) {
  // The two list-count replies differ only in key casing.
  EXPECT_EQ(HexEncode(Encode(ListResponse{1})), "81a86e6577436f756e7401");
  EXPECT_EQ(HexEncode(Encode(SetOperationResponse{1})), "81a96e65775f636f756e7401");
  EXPECT_EQ(HexEncode(Encode(WriteLog{"t", "info", "x"})),
            "83a6746172676574a174a56c6576656ca4696e666fa474657874a178");
}

}  // namespace
}  // namespace wasmcloud::wire
