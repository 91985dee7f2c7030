// Reading a wasmcloud:messaging link's values (no server needed).
#include "messaging/link_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace wasmcloud::messaging {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Error(const std::map<std::string, std::string>& values) {
  auto c = ParseLinkConfig(values);
  return c.ok() ? "(ok)" : c.status().message();
}

TEST(LinkConfigTest, DefaultsToTheLocalServerAndNoSubjects) {
  auto c = ParseLinkConfig({{"__wasmcloud_name", "x"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_THAT(c->servers, ElementsAre("nats://127.0.0.1:4222"));
  EXPECT_TRUE(c->subscriptions.empty());
  EXPECT_TRUE(c->jwt.empty());
  auto blank = ParseLinkConfig({{"URL", "  "}});
  ASSERT_TRUE(blank.ok());
  EXPECT_THAT(blank->servers, ElementsAre("nats://127.0.0.1:4222"));
}

TEST(LinkConfigTest, ServerListsAndSubjectsAreTrimmedAndDeduplicated) {
  auto c = ParseLinkConfig({{"URL", " nats://a:4222 , tls://u:p@b:5222,c:4223,,[::1]:4222 "},
                            {"SUBSCRIPTION", " orders.* , events.> ,orders.*, x|workers ,"},
                            {"QUEUEGROUP", " pool "}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_THAT(c->servers, ElementsAre("nats://a:4222", "tls://u:p@b:5222", "c:4223", "[::1]:4222"));
  EXPECT_THAT(c->subscriptions,
              ElementsAre(SubscriptionSpec{"orders.*", "pool"},
                          SubscriptionSpec{"events.>", "pool"}, SubscriptionSpec{"x", "workers"}));
  EXPECT_EQ(ServerList(*c), "nats://a:4222,tls://u:***@b:5222,c:4223,[::1]:4222");
}

TEST(LinkConfigTest, EqualValuesGiveEqualConfigs) {
  EXPECT_EQ(*ParseLinkConfig({{"URL", "nats://a:1"}, {"SUBSCRIPTION", "x,y"}}),
            *ParseLinkConfig({{"URL", " nats://a:1 "}, {"SUBSCRIPTION", "x, y"}, {"__x", "1"}}));
  EXPECT_NE(*ParseLinkConfig({{"SUBSCRIPTION", "x,y"}}),
            *ParseLinkConfig({{"SUBSCRIPTION", "y,x"}}));
  EXPECT_NE(*ParseLinkConfig({{"SUBSCRIPTION", "x"}}),
            *ParseLinkConfig({{"SUBSCRIPTION", "x"}, {"QUEUEGROUP", "q"}}));
}

TEST(LinkConfigTest, BadUrlsSayWhatIsWrong) {
  EXPECT_EQ(Error({{"URL", "http://example.com:4222"}}),
            "bad NATS URL \"http://example.com:4222\": the scheme must be nats:// or tls://");
  EXPECT_EQ(Error({{"URL", "nats://localhost:99999"}}),
            "bad NATS URL \"nats://localhost:99999\": the port \"99999\" is not a number from 1 "
            "to 65535");
  EXPECT_EQ(Error({{"URL", "nats://localhost:"}}),
            "bad NATS URL \"nats://localhost:\": the port \"\" is not a number from 1 to 65535");
  EXPECT_EQ(Error({{"URL", "nats://:4222"}}), "bad NATS URL \"nats://:4222\": no host");
  EXPECT_EQ(Error({{"URL", "nats://a b:4222"}}),
            "bad NATS URL \"nats://a b:4222\": it contains a blank or a control character");
  EXPECT_EQ(Error({{"URL", "nats://host:4222/path"}}),
            "bad NATS URL \"nats://host:4222/path\": a server URL has no path");
  EXPECT_THAT(Error({{"URL", "nats://::1:4222"}}), HasSubstr("must be written in brackets"));
  EXPECT_THAT(Error({{"URL", "nats://ok:1,nats://bad:x"}}), HasSubstr("\"nats://bad:x\""));
  // The password never shows in an error.
  EXPECT_EQ(Error({{"URL", "nats://user:secret@host:0"}}),
            "bad NATS URL \"nats://user:***@host:0\": the port \"0\" is not a number from 1 to "
            "65535");
}

TEST(LinkConfigTest, BadSubjectsAndQueuesSayWhatIsWrong) {
  EXPECT_EQ(Error({{"SUBSCRIPTION", "a..b"}}),
            "SUBSCRIPTION \"a..b\": a subject has no empty tokens");
  EXPECT_EQ(Error({{"SUBSCRIPTION", "a.>.b"}}),
            "SUBSCRIPTION \"a.>.b\": > may only be the last token");
  EXPECT_EQ(Error({{"SUBSCRIPTION", "a.b*"}}),
            "SUBSCRIPTION \"a.b*\": * and > are wildcards only as a whole token");
  EXPECT_EQ(Error({{"SUBSCRIPTION", "a b"}}),
            "SUBSCRIPTION \"a b\": a subject has no blanks or control characters");
  EXPECT_EQ(Error({{"SUBSCRIPTION", "a|"}}),
            "SUBSCRIPTION \"a|\": the queue group after | must be a non-empty name without blanks");
  EXPECT_EQ(Error({{"SUBSCRIPTION", "|q"}}), "SUBSCRIPTION \"\": the subject is empty");
  EXPECT_EQ(Error({{"SUBSCRIPTION", "a"}, {"QUEUEGROUP", "two words"}}),
            "QUEUEGROUP \"two words\": a queue group has no blanks or control characters");
}

TEST(LinkConfigTest, CredentialsComeInPairs) {
  EXPECT_EQ(Error({{"CLIENT_JWT", "a.b.c"}}), "CLIENT_JWT is set but CLIENT_SEED is not");
  EXPECT_EQ(Error({{"CLIENT_SEED", "SUAAA"}}), "CLIENT_SEED is set but CLIENT_JWT is not");
  EXPECT_EQ(Error({{"CLIENT_JWT", "nope"}, {"CLIENT_SEED", "SUAAA"}}),
            "CLIENT_JWT is not a JWT (three dot-separated parts, no blanks)");
  EXPECT_EQ(Error({{"CLIENT_JWT", "a.b.c"}, {"CLIENT_SEED", "UAAA"}}),
            "CLIENT_SEED is not an nkey seed (one word starting with S)");
  auto c = ParseLinkConfig({{"CLIENT_JWT", " a.b.c "}, {"CLIENT_SEED", "SUAAA"}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->jwt, "a.b.c");
  EXPECT_EQ(c->seed, "SUAAA");
}

TEST(LinkConfigTest, TlsCaIsPemText) {
  EXPECT_EQ(Error({{"TLS_CA", "not a certificate"}}),
            "TLS_CA holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
  const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  auto c = ParseLinkConfig({{"TLS_CA", "  " + pem}});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->tls_ca, pem.substr(0, pem.size() - 1));  // trimmed as every value
}

TEST(SubjectTest, PublishSubjectsHaveNoWildcards) {
  EXPECT_TRUE(CheckSubject("a.b.c", false, "x").ok());
  EXPECT_TRUE(CheckSubject("_INBOX.abc", false, "x").ok());
  EXPECT_EQ(CheckSubject("a.*", false, "Publish: subject").message(),
            "Publish: subject \"a.*\": wildcards (* and >) are not allowed here");
  EXPECT_EQ(CheckSubject("", false, "Publish: subject").message(),
            "Publish: subject \"\": the subject is empty");
  EXPECT_EQ(CheckSubject("a\r\nPUB x 1", false, "s").code(), Code::kInvalidArgument);
  EXPECT_TRUE(CheckSubject(">", true, "x").ok());
  EXPECT_TRUE(CheckSubject("*.x.>", true, "x").ok());
}

TEST(RedactTest, PasswordsAndTokensAreHidden) {
  EXPECT_EQ(RedactUrl("nats://u:p@h:1"), "nats://u:***@h:1");
  EXPECT_EQ(RedactUrl("nats://token@h:1"), "nats://***@h:1");
  EXPECT_EQ(RedactUrl("u:p@h:1"), "u:***@h:1");
  EXPECT_EQ(RedactUrl("nats://h:1"), "nats://h:1");
}

}  // namespace
}  // namespace wasmcloud::messaging
