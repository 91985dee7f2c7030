#include "core/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wasmcloud {
namespace {

TEST(LogTest, SinkReceivesLinesAtOrAboveTheLevel) {
  std::vector<std::string> lines;
  SetLogSink([&](LogLevel level, std::string_view component, std::string_view msg) {
    lines.push_back(std::string(LogLevelName(level)) + " " + std::string(component) + " " +
                    std::string(msg));
  });
  SetLogLevel(LogLevel::kInfo);
  Log(LogLevel::kDebug, "wapc", "hidden");
  Log(LogLevel::kInfo, "wapc", "shown");
  Log(LogLevel::kError, "host", "bad");
  SetLogSink(nullptr);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "INFO wapc shown");
  EXPECT_EQ(lines[1], "ERROR host bad");
}

TEST(LogTest, ParsesLevels) {
  LogLevel l{};
  EXPECT_TRUE(ParseLogLevel("DEBUG", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("loud", &l));
}

}  // namespace
}  // namespace wasmcloud
