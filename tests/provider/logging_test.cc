#include "provider/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "core/log.h"
#include "wire/core.h"
#include "wire/messaging.h"

namespace wasmcloud::provider {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr std::string_view kActor = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";

// A ProviderHost that records the lines and actor calls a provider makes; with
// `forward_to_log` it also passes lines on to the process log (core/log.h) under the
// provider's name, as the host does.
class RecordingHost : public ProviderHost {
 public:
  struct Line {
    LogLevel level;
    std::string message;
  };

  explicit RecordingHost(bool forward_to_log = false) : forward_to_log_(forward_to_log) {}

  Result<Bytes> CallActor(std::string_view actor, std::string_view, ByteView) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++actor_calls_;
    return NotFound("no actor " + std::string(actor));
  }
  void Log(LogLevel level, std::string_view message) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      lines_.push_back({level, std::string(message)});
    }
    if (forward_to_log_) wasmcloud::Log(level, "wasmcloud:logging", message);
  }

  std::vector<Line> lines() const {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
  }
  int actor_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return actor_calls_;
  }

 private:
  const bool forward_to_log_;
  mutable std::mutex mu_;
  std::vector<Line> lines_;
  int actor_calls_ = 0;
};

Bytes WriteLogPayload(std::string target, std::string level, std::string text) {
  return wire::Encode(wire::WriteLog{std::move(target), std::move(level), std::move(text)});
}

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(logging_->Start(&host_).ok()); }
  void TearDown() override {
    logging_->Stop();
    EXPECT_EQ(host_.actor_calls(), 0);
  }

  Result<Bytes> WriteLog(std::string target, std::string level, std::string text) {
    return logging_->HandleCall(kActor, "WriteLog", WriteLogPayload(target, level, text));
  }
  // The single line logged so far ("" when there is not exactly one).
  std::string OnlyLine() {
    auto lines = host_.lines();
    EXPECT_EQ(lines.size(), 1u);
    return lines.size() == 1 ? lines[0].message : "";
  }

  RecordingHost host_;
  std::shared_ptr<Provider> logging_ = NewLoggingProvider();
};

TEST_F(LoggingTest, DescribesItself) {
  EXPECT_EQ(logging_->Describe().contract_id, "wasmcloud:logging");
  EXPECT_TRUE(logging_->BindActor(kActor, {}).ok());
  EXPECT_TRUE(logging_->RemoveActor(kActor).ok());
  EXPECT_TRUE(logging_->Health().ok());
}

TEST_F(LoggingTest, WriteLogWritesOneLineWithActorTargetAndText) {
  auto r = WriteLog("kvcounter", "info", "counter is 3");
  ASSERT_TRUE(r.ok()) << r.status().message();
  // wasmcloud-logging 0.9.3 replied with no bytes at all.
  EXPECT_TRUE(r->empty());
  auto lines = host_.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].level, LogLevel::kInfo);
  EXPECT_EQ(lines[0].message, "[" + std::string(kActor) + "] kvcounter: counter is 3");
}

TEST_F(LoggingTest, EmptyTargetIsLeftOut) {
  ASSERT_TRUE(WriteLog("", "info", "hello").ok());
  EXPECT_EQ(OnlyLine(), "[" + std::string(kActor) + "] hello");
}

TEST_F(LoggingTest, EveryLevelInAnyCase) {
  const std::vector<std::pair<std::string, LogLevel>> cases = {
      {"error", LogLevel::kError}, {"warn", LogLevel::kWarn},   {"info", LogLevel::kInfo},
      {"debug", LogLevel::kDebug}, {"trace", LogLevel::kTrace}, {"ERROR", LogLevel::kError},
      {"Warn", LogLevel::kWarn},   {"dEbUg", LogLevel::kDebug}};
  for (const auto& [name, level] : cases) {
    ASSERT_TRUE(WriteLog("t", name, name).ok()) << name;
  }
  auto lines = host_.lines();
  ASSERT_EQ(lines.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(lines[i].level, cases[i].second) << cases[i].first;
    EXPECT_THAT(lines[i].message, HasSubstr("t: " + cases[i].first));
  }
}

TEST_F(LoggingTest, UnknownLevelIsAnErrorAndLogsNothing) {
  for (std::string level : {"fatal", "", "off", "OFF", "information", "warning", " info"}) {
    auto r = WriteLog("t", level, "text");
    ASSERT_FALSE(r.ok()) << level;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message(),
              "WriteLog: level must be error, warn, info, debug or trace, got \"" + level + "\"");
  }
  EXPECT_TRUE(host_.lines().empty());
}

TEST_F(LoggingTest, LevelInTheErrorIsEscapedAndShort) {
  auto r = WriteLog("t", "bad\nlevel" + std::string(200, 'x'), "text");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("got \"bad\\nlevel"));
  EXPECT_LT(r.status().message().size(), 150u);
}

TEST_F(LoggingTest, ReachesTheProcessLogThroughTheHost) {
  RecordingHost forwarding(/*forward_to_log=*/true);
  auto logging = NewLoggingProvider();
  ASSERT_TRUE(logging->Start(&forwarding).ok());

  struct Captured {
    LogLevel level;
    std::string component;
    std::string msg;
  };
  std::vector<Captured> captured;
  LogLevel saved = GetLogLevel();
  SetLogLevel(LogLevel::kInfo);
  SetLogSink([&](LogLevel level, std::string_view component, std::string_view msg) {
    captured.push_back({level, std::string(component), std::string(msg)});
  });
  auto warn = logging->HandleCall(kActor, "WriteLog", WriteLogPayload("app", "warn", "disk low"));
  auto debug = logging->HandleCall(kActor, "WriteLog", WriteLogPayload("app", "debug", "hidden"));
  SetLogSink(nullptr);
  SetLogLevel(saved);
  logging->Stop();

  ASSERT_TRUE(warn.ok());
  ASSERT_TRUE(debug.ok());
  // The debug line is below the host's level: the host filters it, not the provider.
  ASSERT_EQ(captured.size(), 1u);
  EXPECT_EQ(captured[0].level, LogLevel::kWarn);
  EXPECT_EQ(captured[0].component, "wasmcloud:logging");
  EXPECT_EQ(captured[0].msg, "[" + std::string(kActor) + "] app: disk low");
  EXPECT_EQ(forwarding.lines().size(), 2u);
}

TEST_F(LoggingTest, ControlCharactersCannotForgeLines) {
  ASSERT_TRUE(WriteLog("a\nb", "info", "one\r\nINFO [host] forged\ttab\x1b[31mred\x7f").ok());
  EXPECT_EQ(OnlyLine(), "[" + std::string(kActor) +
                            "] a\\nb: one\\r\\nINFO [host] forged\\ttab\\x1b[31mred\\x7f");
}

TEST_F(LoggingTest, Utf8IsKeptAndInvalidBytesAreEscaped) {
  // "é", "€", "😀" stay; a lone continuation byte, a truncated sequence, an overlong
  // "/" and the C1 control CSI (U+009B) are escaped.
  ASSERT_TRUE(
      WriteLog("", "info", "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \x80 \xe2\x82 \xc0\xaf \xc2\x9b")
          .ok());
  EXPECT_EQ(OnlyLine(), "[" + std::string(kActor) +
                            "] \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \\x80 \\xe2\\x82 "
                            "\\xc0\\xaf \\u009b");
}

TEST_F(LoggingTest, LongTextIsCut) {
  ASSERT_TRUE(WriteLog("", "info", std::string(16 * 1024 + 10, 'z')).ok());
  std::string line = OnlyLine();
  EXPECT_THAT(line, HasSubstr(std::string(16 * 1024, 'z') + " [10 more bytes cut]"));
  EXPECT_THAT(line, Not(HasSubstr(std::string(16 * 1024 + 1, 'z'))));
}

TEST_F(LoggingTest, AFloodFromOneActorIsLimitedAndCounted) {
  // 1000 lines at once: the burst of 200 gets through, the rest is dropped (the actor's
  // calls still succeed), and another actor is not affected.
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(WriteLog("", "info", "line").ok());
  const size_t logged = host_.lines().size();
  EXPECT_GE(logged, 200u);
  EXPECT_LT(logged, 260u);  // plus what 100 a second refilled while the loop ran
  constexpr std::string_view kOther = "MDFD7XZ5KBOPLPHQKHJEMPR54XIW6RAG5D7NNKN22NP7NE3Y6ZZ6JNBF";
  ASSERT_TRUE(logging_->HandleCall(kOther, "WriteLog", WriteLogPayload("", "info", "other")).ok());
  EXPECT_THAT(host_.lines().back().message, HasSubstr("other"));
  // Once tokens come back, the next line is preceded by the count of those dropped.
  std::vector<RecordingHost::Line> lines;
  for (int i = 0; i < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(WriteLog("", "info", "after").ok());
    lines = host_.lines();
    if (lines.back().message.find("after") != std::string::npos) break;
  }
  ASSERT_GE(lines.size(), 2u);
  EXPECT_THAT(lines.back().message, HasSubstr("after"));
  const RecordingHost::Line& note = lines[lines.size() - 2];
  EXPECT_EQ(note.level, LogLevel::kWarn);
  EXPECT_THAT(note.message, HasSubstr("[" + std::string(kActor) + "] suppressed "));
  EXPECT_THAT(note.message, HasSubstr("WriteLog line(s) of this actor (more than 100 a second)"));
}

TEST_F(LoggingTest, PayloadThatDoesNotDecodeIsAnError) {
  const std::vector<Bytes> bad = {
      {},
      {0xc1},
      wire::Encode(wire::HealthRequest{}),
      *HexDecode("82a6746172676574a0a56c6576656ca4696e666f"),  // no text
  };
  for (const Bytes& payload : bad) {
    auto r = logging_->HandleCall(kActor, "WriteLog", payload);
    ASSERT_FALSE(r.ok()) << HexEncode(payload);
    EXPECT_EQ(r.status().code(), Code::kMalformed);
    EXPECT_THAT(r.status().message(), StartsWith("WriteLog: the payload is not a WriteLog: "));
  }
  EXPECT_TRUE(host_.lines().empty());
}

TEST_F(LoggingTest, UnknownOperationIsBadDispatch) {
  for (std::string_view op : {"Log", "writelog", ""}) {
    auto r = logging_->HandleCall(kActor, op, WriteLogPayload("", "info", "x"));
    ASSERT_FALSE(r.ok()) << op;
    EXPECT_EQ(r.status().code(), Code::kNotFound);
    EXPECT_THAT(r.status().message(), StartsWith("bad dispatch"));
    EXPECT_THAT(r.status().message(), HasSubstr("\"" + std::string(op) + "\""));
  }
  EXPECT_TRUE(host_.lines().empty());
}

TEST_F(LoggingTest, HealthRequestIsHealthy) {
  auto r = logging_->HandleCall("system", "HealthRequest", wire::Encode(wire::HealthRequest{}));
  ASSERT_TRUE(r.ok()) << r.status().message();
  auto health = wire::DecodeHealthResponse(*r);
  ASSERT_TRUE(health.ok());
  EXPECT_TRUE(health->healthy);
  EXPECT_EQ(health->message, "");
}

TEST_F(LoggingTest, ConcurrentWritesAllLand) {
  // One actor per thread, each within its burst of 200 lines.
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string actor = "actor-" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        auto r = logging_->HandleCall(
            actor, "WriteLog", WriteLogPayload("t" + std::to_string(t), "info", std::to_string(i)));
        EXPECT_TRUE(r.ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(host_.lines().size(), size_t{kThreads * kPerThread});
}

TEST(LoggingLifecycleTest, WriteLogOutsideStartAndStopFails) {
  auto logging = NewLoggingProvider();
  auto payload = WriteLogPayload("", "info", "x");
  auto before = logging->HandleCall(kActor, "WriteLog", payload);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.status().code(), Code::kFailedPrecondition);

  RecordingHost host;
  ASSERT_TRUE(logging->Start(&host).ok());
  ASSERT_TRUE(logging->HandleCall(kActor, "WriteLog", payload).ok());
  logging->Stop();
  auto after = logging->HandleCall(kActor, "WriteLog", payload);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(host.lines().size(), 1u);

  EXPECT_FALSE(NewLoggingProvider()->Start(nullptr).ok());
}

}  // namespace
}  // namespace wasmcloud::provider
