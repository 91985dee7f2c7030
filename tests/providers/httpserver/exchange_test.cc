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
  HttpReply reply = ReplyFromActor(wire::Encode(r), nullptr);
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
  HttpReply reply = ReplyFromActor(wire::Encode(r), nullptr);
  ASSERT_EQ(reply.headers.size(), 1u);
  EXPECT_EQ(reply.headers[0].first, "X-Ok");
}

// A failure's body: `text`, then the request id that the log line names too.
void ExpectFailure(const HttpReply& reply, unsigned status, const std::string& text,
                   const std::string& log, const std::string& reason) {
  EXPECT_EQ(reply.status, status);
  std::string id;
  for (const auto& [name, value] : reply.headers) {
    if (name == "x-request-id") id = value;
  }
  ASSERT_EQ(id.size(), 16u) << Text(reply.body);
  EXPECT_EQ(Text(reply.body), text + " (request " + id + ")");
  EXPECT_EQ(log, "request " + id + ": " + std::to_string(status) + " " + text + ": " + reason);
  EXPECT_EQ(Text(reply.body).find(reason), std::string::npos) << "the reason reached the client";
}

TEST(ReplyFromActorTest, StatusCodesOutside100To999Are500) {
  for (uint32_t code : {0u, 99u, 1000u, 70000u}) {
    wire::HttpResponse r;
    r.status_code = code;
    std::string log;
    HttpReply reply = ReplyFromActor(wire::Encode(r), &log);
    ExpectFailure(reply, 500, "Malformed response from actor", log,
                  "status code " + std::to_string(code) + " is not from 100 to 999");
  }
  wire::HttpResponse r;
  r.status_code = 999;
  EXPECT_EQ(ReplyFromActor(wire::Encode(r), nullptr).status, 999u);
  r.status_code = 100;
  std::string log;
  EXPECT_EQ(ReplyFromActor(wire::Encode(r), &log).status, 100u);
  EXPECT_EQ(log, "");
}

TEST(ReplyFromActorTest, AReplyThatDoesNotDecodeIs500Malformed) {
  for (const Bytes& junk : {Bytes{}, Bytes{0xc0}, Bytes{0x81, 0xa1, 'x'}}) {
    std::string log;
    HttpReply reply = ReplyFromActor(junk, &log);
    EXPECT_EQ(reply.status, 500u);
    EXPECT_THAT(Text(reply.body), ::testing::StartsWith("Malformed response from actor (request "));
    EXPECT_EQ(reply.headers.at(0).second, "text/plain; charset=utf-8");
    EXPECT_THAT(log, ::testing::HasSubstr("the actor's reply is not a Response"));
  }
}

TEST(ReplyFromActorTest, AnErrorOfTheActorIs500AndItsReasonIsOnlyLogged) {
  std::string log;
  HttpReply reply = ReplyFromActor(
      GuestError("Guest call failed: Host error: cannot connect to Redis at 127.0.0.1:1"), &log);
  ExpectFailure(reply, 500, "Failed to handle request", log,
                "Guest call failed: Host error: cannot connect to Redis at 127.0.0.1:1");
  // A trap's text, with a forged log line in it: logged escaped, never sent.
  reply = ReplyFromActor(Trap("unreachable\n2026-01-01 ERROR [host] FORGED"), &log);
  ExpectFailure(reply, 500, "Failed to handle request", log,
                "unreachable\\n2026-01-01 ERROR [host] FORGED");
  ExpectFailure(ReplyFromActor(GuestError(""), &log), 500, "Failed to handle request", log,
                "guest error");
}

TEST(ReplyFromActorTest, ADeadlineIs504) {
  std::string log;
  HttpReply reply = ReplyFromActor(
      DeadlineExceeded("actor M… did not return within 10000 ms (call_timeout)"), &log);
  ExpectFailure(reply, 504, "Gateway Timeout: the actor did not answer in time", log,
                "actor M… did not return within 10000 ms (call_timeout)");
}

// The way to the actor is down for now (the lattice's NATS server unreachable): 503 with
// Retry-After, not the 500 of an actor's own failure.
TEST(ReplyFromActorTest, AnActorThatCannotBeReachedNowIs503WithRetryAfter) {
  std::string log;
  const std::string reason =
      "call to actor MBCF on the lattice: rpc request: not connected to NATS (reconnecting)";
  HttpReply reply = ReplyFromActor(Unavailable(reason), &log);
  ExpectFailure(reply, 503, "Service Unavailable: the actor cannot be reached; retry later", log,
                reason);
  EXPECT_THAT(reply.headers,
              ::testing::Contains(std::pair<std::string, std::string>("retry-after", "1")));
}

TEST(ReplyFromActorTest, AnActorThatIsNotThereIs503) {
  for (std::string m :
       {"actor MCFM is not running on this host (call from provider wasmcloud:httpserver)",
        "the host is not running", "the host is stopping",
        "call_actor: the host has stopped this provider",
        "call_actor: the host has not started this provider"}) {
    std::string log;
    HttpReply reply = ReplyFromActor(NotFound(m), &log);
    ExpectFailure(reply, 503, "Actor unavailable", log, m);
  }
  // An actor's own error that mentions another missing actor is the actor's failure.
  EXPECT_FALSE(IsActorUnavailable(
      "Guest call failed: Host error: actor MX is not running on this host (call from MY)"));
}

TEST(ReplyFromActorTest, AnOverloadedHostIs503WithRetryAfter) {
  std::string log;
  HttpReply reply = ReplyFromActor(
      ResourceExhausted("host overloaded: no worker was free within 20000 ms"), &log);
  ExpectFailure(reply, 503, "Service Unavailable: the host is overloaded; retry later", log,
                "host overloaded: no worker was free within 20000 ms");
  EXPECT_THAT(reply.headers,
              ::testing::Contains(std::pair<std::string, std::string>("retry-after", "1")));
}

TEST(ReplyFromActorTest, RequestIdsDiffer) { EXPECT_NE(NewRequestId(), NewRequestId()); }

TEST(RefuseRequestHeadTest, AmbiguousFramingIsRefusedWithTheReason) {
  using F = std::vector<HeadField>;
  EXPECT_EQ(RefuseRequestHead(11, "/", F{{"Host", "x"}, {"Transfer-Encoding", " Chunked "}}),
            std::nullopt);
  EXPECT_EQ(RefuseRequestHead(11, "/", F{{"Host", "x"}, {"Content-Length", "3"}}), std::nullopt);
  EXPECT_EQ(RefuseRequestHead(11, "/", F{{"Host", "x"}, {"Transfer-Encoding", "xchunked"}}),
            "Bad Request: Transfer-Encoding \"xchunked\" is not supported: only chunked");
  EXPECT_EQ(RefuseRequestHead(11, "/", F{{"Host", "x"}, {"transfer-encoding", "chunked, gzip"}}),
            "Bad Request: Transfer-Encoding \"chunked, gzip\" is not supported: only chunked");
  EXPECT_EQ(
      RefuseRequestHead(
          11, "/",
          F{{"Host", "x"}, {"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}),
      "Bad Request: Transfer-Encoding \"chunked,chunked\" is not supported: only chunked");
  EXPECT_EQ(
      RefuseRequestHead(
          11, "/", F{{"Host", "x"}, {"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}),
      "Bad Request: both Content-Length and Transfer-Encoding");
  EXPECT_EQ(RefuseRequestHead(11, "/", F{{"Host", "x"}, {"X-A", "one\r\n two"}}),
            "Bad Request: the value of header X-A is folded over lines (obs-fold)");
  EXPECT_EQ(RefuseRequestHead(11, "/", F{{"Host", "x"}, {"X-A", std::string_view("a\0b", 3)}}),
            "Bad Request: the value of header X-A holds a control character");
  EXPECT_EQ(RefuseRequestHead(11, "/", F{{"Host", "x"}, {"X-A", "tab\tok"}}), std::nullopt);
  // HTTP/1.0 has no chunked framing: a Transfer-Encoding there is faulty framing.
  EXPECT_EQ(RefuseRequestHead(10, "/", F{{"Transfer-Encoding", "chunked"}}),
            "Bad Request: Transfer-Encoding in an HTTP/1.0 request");
}

TEST(RefuseRequestHeadTest, HostIsThereOnceAndValuesAreUtf8) {
  using F = std::vector<HeadField>;
  EXPECT_EQ(RefuseRequestHead(11, "/", F{}), "Bad Request: an HTTP/1.1 request without Host");
  EXPECT_EQ(RefuseRequestHead(10, "/", F{}), std::nullopt);
  EXPECT_EQ(RefuseRequestHead(11, "/", F{{"Host", "a"}, {"host", "b"}}),
            "Bad Request: more than one Host header");
  EXPECT_EQ(RefuseRequestHead(10, "/", F{{"Host", "a"}, {"Host", "a"}}),
            "Bad Request: more than one Host header");
  EXPECT_EQ(RefuseRequestHead(11, "/", F{{"Host", "x"}, {"X-Name", "caf\xe9"}}),
            "Bad Request: the value of header X-Name is not valid UTF-8");
  EXPECT_EQ(RefuseRequestHead(11, "/", F{{"Host", "x"}, {"X-Name", "caf\xc3\xa9"}}), std::nullopt);
}

TEST(RefuseRequestHeadTest, TargetsMustBeUtf8WithWellFormedPercentEncoding) {
  const std::vector<HeadField> host{{"Host", "x"}};
  for (std::string_view good :
       {"/", "/caf%C3%A9", "/\xc3\xa9t\xc3\xa9?q=%20&x=%ff", "*", "http://example.com/a?b"}) {
    EXPECT_EQ(RefuseRequestHead(11, good, host), std::nullopt) << good;
  }
  EXPECT_EQ(RefuseRequestHead(11, "/caf\xff", host), "Bad Request: the target is not valid UTF-8");
  EXPECT_EQ(RefuseRequestHead(11, "/\xc3", host), "Bad Request: the target is not valid UTF-8");
  for (std::string_view bad : {"/a%", "/a%4", "/a%zz", "/a%g0?x"}) {
    EXPECT_EQ(RefuseRequestHead(11, bad, host),
              "Bad Request: the target has a '%' that is not followed by two hex digits")
        << bad;
  }
  EXPECT_EQ(RefuseRequestHead(11, "/a b", host),
            "Bad Request: the target holds a control character or a space");
  EXPECT_EQ(RefuseRequestHead(11, std::string_view("/a\0", 3), host),
            "Bad Request: the target holds a control character or a space");
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
