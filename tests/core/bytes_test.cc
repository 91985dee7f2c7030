#include "core/bytes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>
#include <vector>

namespace wasmcloud {
namespace {

TEST(HexTest, RoundTrip) {
  Bytes b = {0x00, 0x7f, 0x80, 0xff, 0x0a};
  EXPECT_EQ(HexEncode(b), "007f80ff0a");
  EXPECT_EQ(HexEncode(b, true), "007F80FF0A");
  EXPECT_EQ(*HexDecode("007F80ff0A"), b);
  EXPECT_TRUE(HexDecode("")->empty());
}

TEST(HexTest, RejectsBadText) {
  EXPECT_EQ(HexDecode("abc").status().message(), "hex text has an odd number of digits (3)");
  EXPECT_EQ(HexDecode("0g").status().message(), "not a hex digit at offset 1");
}

TEST(FileTest, WriteThenReadWithMode) {
  char tmpl[] = "/tmp/wc_bytes_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  std::string path = std::string(tmpl) + "/f";
  ASSERT_TRUE(WriteFile(path, AsBytes("secret"), 0600).ok());
  EXPECT_EQ(*ReadFile(path), ToBytes("secret"));
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  Result<Bytes> missing = ReadFile(std::string(tmpl) + "/nope");
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(ReadFile(tmpl).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(*ReadFile(path, 6), ToBytes("secret"));
  EXPECT_EQ(ReadFile(path, 5).status().message(), path + " holds more than 5 bytes");
  Result<Bytes> endless = ReadFile("/dev/zero", 100000);
  EXPECT_EQ(endless.status().code(), Code::kResourceExhausted);
  std::system(("rm -rf " + std::string(tmpl)).c_str());
}

TEST(FileTest, ConcurrentWritersOfOnePathEachLeaveAWholeFile) {
  char tmpl[] = "/tmp/wc_bytes_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string path = std::string(tmpl) + "/f";
  // Four threads of one process write the same path with contents of their own; every
  // write succeeds and the file always holds exactly one writer's bytes.
  constexpr int kThreads = 4, kWrites = 200;
  std::vector<Bytes> contents;
  for (int t = 0; t < kThreads; ++t) contents.emplace_back(4096 + t, static_cast<uint8_t>('a' + t));
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        if (!WriteFile(path, contents[t], 0644).ok()) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  Result<Bytes> last = ReadFile(path);
  ASSERT_TRUE(last.ok());
  EXPECT_NE(std::find(contents.begin(), contents.end(), *last), contents.end());
  // No temporary file is left behind.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmpl)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  std::system(("rm -rf " + std::string(tmpl)).c_str());
}

}  // namespace
}  // namespace wasmcloud
