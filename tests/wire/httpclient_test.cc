// wasmcloud:httpclient payloads (wire/httpclient.h) against the upstream shapes of
// wasmCloud/actor-interfaces http-client v0.1.0..v0.2.1 rust/src/generated.rs:
// RequestArgs {method, url, headers, body: serde_bytes} and Response {statusCode: u32,
// status, header, body: serde_bytes}, written by rmp-serde with_struct_map. The golden
// bytes were written out by hand from those declarations (msgpack fixmap, fixstr, bin8).
#include <gtest/gtest.h>

#include "core/bytes.h"
#include "wire/httpclient.h"

namespace wasmcloud::wire {
namespace {

Bytes Hex(std::string_view h) { return *HexDecode(h); }

// {"method":"POST","url":"http://127.0.0.1:8080/echo?a=1",
//  "headers":{"accept":"text/plain","x-id":"7"},"body":bin[00 01 ff]}
constexpr std::string_view kRequestHex =
    "84a66d6574686f64a4504f5354a375726cbe687474703a2f2f3132372e302e302e313a383038302f6563686f"
    "3f613d31a76865616465727382a6616363657074aa746578742f706c61696ea4782d6964a137a4626f6479c4"
    "030001ff";
// {"statusCode":404,"status":"Not Found","header":{"content-type":"text/plain"},"body":"no"}
constexpr std::string_view kResponseHex =
    "84aa737461747573436f6465cd0194a6737461747573a94e6f7420466f756e64a668656164657281ac636f6e"
    "74656e742d74797065aa746578742f706c61696ea4626f6479c4026e6f";

HttpClientRequest SampleRequest() {
  return {"POST",
          "http://127.0.0.1:8080/echo?a=1",
          {{"x-id", "7"}, {"accept", "text/plain"}},
          Bytes{0x00, 0x01, 0xff}};
}

TEST(WireHttpClient, OperationNameIsRequest) { EXPECT_EQ(kHttpClientRequestOperation, "Request"); }

TEST(WireHttpClient, RequestArgsBytesAreTheUpstreamOnes) {
  EXPECT_EQ(HexEncode(Encode(SampleRequest())), kRequestHex);
  auto r = DecodeHttpClientRequest(Hex(kRequestHex));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, SampleRequest());
}

TEST(WireHttpClient, ResponseBytesAreTheUpstreamOnes) {
  HttpClientResponse resp{404, "Not Found", {{"content-type", "text/plain"}}, ToBytes("no")};
  EXPECT_EQ(HexEncode(Encode(resp)), kResponseHex);
  auto r = DecodeHttpResponse(Hex(kResponseHex));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, resp);
}

TEST(WireHttpClient, EmptyRequest) {
  // {"method":"","url":"","headers":{},"body":bin[]}
  EXPECT_EQ(HexEncode(Encode(HttpClientRequest{})),
            "84a66d6574686f64a0a375726ca0a76865616465727380a4626f6479c400");
}

TEST(WireHttpClient, DecodesWhatRmpSerdeAccepts) {
  // Fields in another order (a Rust HashMap has none), an unknown key skipped, the body
  // as an array of byte integers.
  auto r = DecodeHttpClientRequest(
      Hex("85a4626f647992cc8001a3787878c0a375726ca168a76865616465727380a66d6574686f64a3474554"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->url, "h");
  EXPECT_TRUE(r->headers.empty());
  EXPECT_EQ(HexEncode(r->body), "8001");
  // By position, as an array.
  r = DecodeHttpClientRequest(Hex("94a3474554a16880c400"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->url, "h");
}

TEST(WireHttpClient, MalformedRequestsSayWhat) {
  Bytes full = Encode(SampleRequest());
  for (size_t n = 0; n < full.size(); ++n) {
    auto r = DecodeHttpClientRequest(ByteView(full.data(), n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.status().code(), Code::kMalformed);
  }
  // No url.
  auto r = DecodeHttpClientRequest(Hex("83a66d6574686f64a3474554a76865616465727380a4626f6479c400"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("RequestArgs"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("missing field `url`"), std::string::npos)
      << r.status().message();
  // A header value that is not a string.
  r = DecodeHttpClientRequest(
      Hex("84a66d6574686f64a3474554a375726ca168a76865616465727381a16101a4626f6479c400"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMalformed);
}

}  // namespace
}  // namespace wasmcloud::wire
