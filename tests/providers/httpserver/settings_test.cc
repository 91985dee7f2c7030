// Link values of the httpserver provider: defaults, every key, and the errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "httpserver/settings.h"

namespace wasmcloud::httpserver {
namespace {

using ::testing::HasSubstr;

// 0.18's defaults, but for the address: loopback, not 0.0.0.0.
TEST(ListenerSettingsTest, DefaultsAreThoseOf018ButLoopback) {
  auto s = ParseLinkValues({{"__wasmcloud_issuer", "A..."}, {"WORKERS", "4"}});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->address, "127.0.0.1");
  EXPECT_EQ(s->port, 8080);
  EXPECT_EQ(s->max_body_bytes, 1u << 20);
  EXPECT_EQ(s->max_header_bytes, 16u << 10);
  EXPECT_EQ(s->read_timeout, std::chrono::seconds(30));
  EXPECT_EQ(s->Endpoint(), "127.0.0.1:8080");
  EXPECT_EQ(*ParseLinkValues({{"PORT", ""}, {"ADDRESS", ""}}), ListenerSettings{});
}

TEST(ListenerSettingsTest, EveryKeyIsRead) {
  auto s = ParseLinkValues({{"PORT", "9090"},
                            {"ADDRESS", "::1"},
                            {"MAX_BODY_BYTES", "0"},
                            {"MAX_HEADER_BYTES", "4096"},
                            {"READ_TIMEOUT_MS", "250"},
                            {"MAX_CONNECTIONS", "100"}});
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->max_connections, 100u);
  EXPECT_EQ(s->port, 9090);
  EXPECT_EQ(s->address, "::1");
  EXPECT_EQ(s->max_body_bytes, 0u);
  EXPECT_EQ(s->max_header_bytes, 4096u);
  EXPECT_EQ(s->read_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(s->Endpoint(), "[::1]:9090");
  EXPECT_EQ(ParseLinkValues({{"ADDRESS", "127.0.0.1"}})->address, "127.0.0.1");
}

TEST(ListenerSettingsTest, BadValuesSayWhichAndWhy) {
  struct Case {
    std::string key, value, message;
  };
  for (const Case& c : std::vector<Case>{
           {"PORT", "http", "link value PORT=\"http\": expected a whole number from 1 to 65535"},
           {"PORT", "0", "from 1 to 65535"},
           {"PORT", "65536", "from 1 to 65535"},
           {"PORT", "-1", "from 1 to 65535"},
           {"PORT", "80 ", "from 1 to 65535"},
           {"ADDRESS", "localhost",
            "link value ADDRESS=\"localhost\": expected an IPv4 or IPv6 address"},
           {"ADDRESS", "1.2.3.4.5", "expected an IPv4 or IPv6 address"},
           {"MAX_BODY_BYTES", "1k", "MAX_BODY_BYTES=\"1k\": expected a whole number from 0 to"},
           {"MAX_HEADER_BYTES", "10", "from 1024 to 1048576"},
           {"READ_TIMEOUT_MS", "0", "from 1 to 3600000"},
           {"MAX_CONNECTIONS", "0",
            "MAX_CONNECTIONS=\"0\": expected a whole number from 1 to 1000000"},
           {"BIND", "0.0.0.0:8080",
            "BIND=\"0.0.0.0:8080\" is not supported by this provider: "
            "use PORT and ADDRESS"},
       }) {
    auto s = ParseLinkValues({{c.key, c.value}});
    ASSERT_FALSE(s.ok()) << c.key << "=" << c.value;
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(s.status().message(), HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace wasmcloud::httpserver
