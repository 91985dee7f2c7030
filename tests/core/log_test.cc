#include "core/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.h"

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

// What the default sink writes to stderr while `body` runs.
template <typename F>
std::string CaptureStderr(F body) {
  char path[] = "/tmp/wc_log_test_XXXXXX";
  const int fd = mkstemp(path);
  std::fflush(stderr);
  const int saved = dup(2);
  dup2(fd, 2);
  body();
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  unlink(path);
  return text.str();
}

std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));  // throws if not
  return out;
}

TEST(LogTest, JsonLinesCarryTheProcessAndScopeFields) {
  SetLogLevel(LogLevel::kInfo);
  SetLogFormat(LogFormat::kJson);
  SetLogField("host_id", "NHOST");
  const std::string text = CaptureStderr([] {
    LogContext call("actor", "MA", "operation", "HandleRequest");
    {
      LogContext nested("actor", "MB");  // an actor called by MA: its key wins
      Log(LogLevel::kWarn, "host", "a \"quote\", a \\, a line\nbreak, \x01 and \xff bytes, é");
    }
    Log(LogLevel::kInfo, "wapc", "back in MA");
  });
  const std::string after = CaptureStderr([] { Log(LogLevel::kError, "host", "outside"); });
  SetLogField("host_id", "");
  SetLogFormat(LogFormat::kText);

  auto lines = JsonLines(text);
  ASSERT_EQ(lines.size(), 2u) << text;
  EXPECT_EQ(lines[0]["level"], "warn");
  EXPECT_EQ(lines[0]["component"], "host");
  EXPECT_EQ(lines[0]["message"],
            "a \"quote\", a \\, a line\nbreak, \x01 and \xef\xbf\xbd bytes, \xc3\xa9");
  EXPECT_EQ(lines[0]["host_id"], "NHOST");
  EXPECT_EQ(lines[0]["actor"], "MB");
  EXPECT_EQ(lines[0]["operation"], "HandleRequest");
  EXPECT_EQ(lines[0]["time"].get<std::string>().size(), 24u);  // 2026-12-05T09:26:21.469Z
  EXPECT_EQ(lines[1]["actor"], "MA");
  EXPECT_EQ(lines[1]["message"], "back in MA");
  // One line per object: the line break in the message did not end the line.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);

  auto outside = JsonLines(after);
  ASSERT_EQ(outside.size(), 1u);
  EXPECT_FALSE(outside[0].contains("actor"));
  EXPECT_EQ(outside[0]["host_id"], "NHOST");  // set before: still there
}

TEST(LogTest, TextLinesAreUnchangedByFields) {
  SetLogLevel(LogLevel::kInfo);
  SetLogField("host_id", "NHOST");
  const std::string text = CaptureStderr([] {
    LogContext call("actor", "MA");
    Log(LogLevel::kInfo, "host", "plain");
  });
  SetLogField("host_id", "");
  ASSERT_EQ(text.size(), 24u + std::string(" INFO [host] plain\n").size()) << text;
  EXPECT_EQ(text.substr(24), " INFO [host] plain\n");
}

TEST(LogTest, ParsesFormats) {
  LogFormat f{};
  EXPECT_TRUE(ParseLogFormat("JSON", &f));
  EXPECT_EQ(f, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("text", &f));
  EXPECT_EQ(f, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("yaml", &f));
}

TEST(LogTest, ParsesLevels) {
  LogLevel l{};
  EXPECT_TRUE(ParseLogLevel("DEBUG", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_FALSE(ParseLogLevel("loud", &l));
}

}  // namespace
}  // namespace wasmcloud
