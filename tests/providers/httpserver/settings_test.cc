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

// A key in another case or one letter off is said (its value is ignored: the link would
// serve on the defaults); other keys (the host's __wasmcloud_*, 0.18's WORKERS, values
// meant for someone else) are not.
TEST(ListenerSettingsTest, MisspeltKeysAreFound) {
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(MisspeltLinkKeys({{"port", "8080"},
                              {"ADRESS", "0.0.0.0"},
                              {"MAX_BODY_BYTE", "10"},
                              {"READ_TIMEOUT_MSS", "5"},
                              {"Max_Connections", "5"}}),
            (Pairs{{"ADRESS", "ADDRESS"},
                   {"MAX_BODY_BYTE", "MAX_BODY_BYTES"},
                   {"Max_Connections", "MAX_CONNECTIONS"},
                   {"READ_TIMEOUT_MSS", "READ_TIMEOUT_MS"},
                   {"port", "PORT"}}));
  EXPECT_EQ(MisspeltLinkKeys({{"PORT", "8080"},
                              {"ADDRESS", "::1"},
                              {"__wasmcloud_name", "x"},
                              {"WORKERS", "4"},
                              {"URL", "redis://x"},
                              {"POST", "x"}}),
            (Pairs{{"POST", "PORT"}}))
      << "one letter off PORT: said; the rest are not";
}

}  // namespace
}  // namespace wasmcloud::httpserver
