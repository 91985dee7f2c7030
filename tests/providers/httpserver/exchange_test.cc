// What the actor is given for a request target, and what the client gets for the actor's
// reply or error (spec §4.4, docs/httpserver.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/text.h"
#include "httpserver/exchange.h"
#include "wire/http.h"

namespace wasmcloud::httpserver {
namespace {

std::string Text(const Bytes& b) { return std::string(b.begin(), b.end()); }

TEST(SplitTargetTest, PathAndQueryAsActorsSawThem) {
  auto t = SplitTarget("/a/b?x=1&y=%20");
  EXPECT_EQ(t.path, "/a/b");
  EXPECT_EQ(t.query, "x=1&y=%20");
  EXPECT_EQ(SplitTarget("/").path, "/");
  EXPECT_EQ(SplitTarget("/").query, "");
  EXPECT_EQ(SplitTarget("/p?").query, "");
  EXPECT_EQ(SplitTarget("/p?a?b").query, "a?b");
  EXPECT_EQ(SplitTarget("/%2F?x").path, "/%2F");  // not decoded, as hyper's path()
  EXPECT_EQ(SplitTarget("http://example.com:80/q/r?s=1").path, "/q/r");
  EXPECT_EQ(SplitTarget("http://example.com:80/q/r?s=1").query, "s=1");
  EXPECT_EQ(SplitTarget("http://example.com").path, "/");
  EXPECT_EQ(SplitTarget("http://example.com?z").query, "z");
  EXPECT_EQ(SplitTarget("/x://y").path, "/x://y");
  EXPECT_EQ(SplitTarget("*").path, "*");
}

TEST(ReplyFromActorTest, TheActorsResponseIsSentAsIs) {
  wire::HttpResponse r;
  r.status_code = 201;
  r.status = "Created";
  r.header = {{"Content-Type", "application/json"}, {"X-Id", "7"}};
  r.body = {'{', '}'};
  HttpReply reply = ReplyFromActor(wire::Encode(r));
  EXPECT_EQ(reply.status, 201u);
  EXPECT_THAT(reply.headers,
              ::testing::UnorderedElementsAre(
                  std::pair<std::string, std::string>("Content-Type", "application/json"),
                  std::pair<std::string, std::string>("X-Id", "7")));
  EXPECT_EQ(Text(reply.body), "{}");
}

TEST(ReplyFromActorTest, FramingAndForgedHeadersAreDropped) {
  wire::HttpResponse r;
  r.header = {{"Content-Length", "999"}, {"transfer-encoding", "chunked"},
              {"Connection", "close"},   {"X-Split", "a\r\nSet-Cookie: evil=1"},
              {"Bad Name", "x"},         {"", "x"},
              {"X-Ok", "fine"}};
  HttpReply reply = ReplyFromActor(wire::Encode(r));
  ASSERT_EQ(reply.headers.size(), 1u);
  EXPECT_EQ(reply.headers[0].first, "X-Ok");
}

TEST(ReplyFromActorTest, StatusCodesOutside100To999Are500) {
  for (uint32_t code : {0u, 99u, 1000u, 70000u}) {
    wire::HttpResponse r;
    r.status_code = code;
    HttpReply reply = ReplyFromActor(wire::Encode(r));
    EXPECT_EQ(reply.status, 500u) << code;
    EXPECT_EQ(Text(reply.body), "Malformed response from actor: status code " +
                                    std::to_string(code) + " is not from 100 to 999");
  }
  wire::HttpResponse r;
  r.status_code = 999;
  EXPECT_EQ(ReplyFromActor(wire::Encode(r)).status, 999u);
  r.status_code = 100;
  EXPECT_EQ(ReplyFromActor(wire::Encode(r)).status, 100u);
}

TEST(ReplyFromActorTest, AReplyThatDoesNotDecodeIs500Malformed) {
  for (const Bytes& junk : {Bytes{}, Bytes{0xc0}, Bytes{0x81, 0xa1, 'x'}}) {
    HttpReply reply = ReplyFromActor(junk);
    EXPECT_EQ(reply.status, 500u);
    EXPECT_EQ(Text(reply.body), "Malformed response from actor");
    EXPECT_EQ(reply.headers.at(0).second, "text/plain; charset=utf-8");
  }
}

TEST(ReplyFromActorTest, AnErrorOfTheActorIs500WithTheReason) {
  HttpReply reply = ReplyFromActor(GuestError("Guest call failed: Host error: Redis is down"));
  EXPECT_EQ(reply.status, 500u);
  EXPECT_EQ(Text(reply.body),
            "Failed to handle request: Guest call failed: Host error: Redis is down");
  EXPECT_EQ(Text(ReplyFromActor(GuestError("")).body), "Failed to handle request");
}

TEST(ReplyFromActorTest, AnActorThatIsNotThereIs503) {
  for (std::string m :
       {"actor MCFM is not running on this host (call from provider wasmcloud:httpserver)",
        "the host is not running", "the host is stopping",
        "call_actor: the host has stopped this provider",
        "call_actor: the host has not started this provider"}) {
    HttpReply reply = ReplyFromActor(NotFound(m));
    EXPECT_EQ(reply.status, 503u) << m;
    EXPECT_EQ(Text(reply.body), "Actor unavailable: " + m);
  }
  // An actor's own error that mentions another missing actor is the actor's failure.
  EXPECT_FALSE(IsActorUnavailable(
      "Guest call failed: Host error: actor MX is not running on this host (call from MY)"));
}

TEST(HeaderRulesTest, TokensAndSafeValues) {
  EXPECT_TRUE(IsValidHeaderName("X-My_Header.1!"));
  EXPECT_FALSE(IsValidHeaderName("X:Y"));
  EXPECT_FALSE(IsValidHeaderName("X Y"));
  EXPECT_TRUE(IsValidHeaderValue("a b\tc"));
  EXPECT_FALSE(IsValidHeaderValue(std::string("a\0b", 3)));
  EXPECT_FALSE(IsValidHeaderValue("a\nb"));
  EXPECT_EQ(AsciiLower("Content-TYPE"), "content-type");
}

}  // namespace
}  // namespace wasmcloud::httpserver
