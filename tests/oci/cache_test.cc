#include "oci/cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "support/run_command.h"

namespace wasmcloud::oci {
namespace {

TEST(CacheTest, BlobsAreStoredByDigestAndHashedAgainWhenRead) {
  std::string dir = testing::MakeTempDir();
  Cache cache(dir + "/c");
  Bytes data = ToBytes("hello wasm");
  std::string digest = Sha256Digest(data);
  EXPECT_FALSE(cache.ReadBlob(digest).has_value());
  ASSERT_TRUE(cache.WriteBlob(digest, data).ok());
  EXPECT_EQ(cache.BlobPath(digest), dir + "/c/sha256/" + digest.substr(7));
  auto back = cache.ReadBlob(digest);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, data);
  // A file that no longer matches its name is removed and counts as absent.
  ASSERT_TRUE(WriteFile(cache.BlobPath(digest), ToBytes("hello wasM")).ok());
  EXPECT_FALSE(cache.ReadBlob(digest).has_value());
  EXPECT_FALSE(std::filesystem::exists(cache.BlobPath(digest)));
  EXPECT_FALSE(cache.WriteBlob("md5:00", data).ok());
  std::filesystem::remove_all(dir);
}

TEST(CacheTest, KnownDigest) {
  EXPECT_EQ(Sha256Digest(AsBytes("{}")),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}

TEST(CacheTest, ReferenceIndex) {
  std::string dir = testing::MakeTempDir();
  Cache cache(dir);
  const std::string d1 = Sha256Digest(AsBytes("1"));
  const std::string d2 = Sha256Digest(AsBytes("2"));
  EXPECT_FALSE(cache.LookupReference("127.0.0.1:5000/echo:1").has_value());
  ASSERT_TRUE(cache.RecordReference("127.0.0.1:5000/echo:1", d1).ok());
  ASSERT_TRUE(cache.RecordReference("127.0.0.1:5000/echo:2", d2).ok());
  EXPECT_EQ(cache.LookupReference("127.0.0.1:5000/echo:1"), d1);
  EXPECT_EQ(cache.LookupReference("127.0.0.1:5000/echo:2"), d2);
  EXPECT_FALSE(cache.LookupReference("127.0.0.1:5001/echo:1").has_value());
  // Names that do not fit a file name are hashed.
  std::string long_ref = "127.0.0.1:5000/" + std::string(250, 'a') + ":1";
  ASSERT_TRUE(cache.RecordReference(long_ref, d2).ok());
  EXPECT_EQ(cache.LookupReference(long_ref), d2);
  ASSERT_TRUE(cache.RecordReference("127.0.0.1:5000/echo:1", d2).ok());
  EXPECT_EQ(cache.LookupReference("127.0.0.1:5000/echo:1"), d2);
  std::filesystem::remove_all(dir);
}

TEST(CacheTest, AReferenceRecordSaysWhenItWasResolved) {
  std::string dir = testing::MakeTempDir();
  Cache cache(dir);
  const std::string d1 = Sha256Digest(AsBytes("1"));
  const auto at = std::chrono::system_clock::time_point(std::chrono::milliseconds(1733390781469));
  ASSERT_TRUE(cache.RecordReference("127.0.0.1:5000/echo:1", d1, at).ok());
  auto record = cache.LookupReferenceRecord("127.0.0.1:5000/echo:1");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->digest, d1);
  EXPECT_EQ(record->resolved_at, at);
  const std::string file = dir + "/refs/127.0.0.1%3A5000%2Fecho%3A1";
  auto text = ReadFile(file);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(AsChars(*text), d1 + "\nresolved_unix_ms 1733390781469\n");
  // Without a time (as older versions wrote it), or with one that does not parse: the
  // digest, and no time.
  for (std::string body :
       {d1 + "\n", d1, d1 + "\r\n", d1 + "\nresolved_unix_ms x\n", d1 + "\nresolved_unix_ms \n",
        d1 + "\nresolved_unix_ms 12345678901234567890\n", d1 + "\nsomething else\n"}) {
    ASSERT_TRUE(WriteFile(file, AsBytes(body)).ok());
    record = cache.LookupReferenceRecord("127.0.0.1:5000/echo:1");
    ASSERT_TRUE(record.has_value()) << body;
    EXPECT_EQ(record->digest, d1) << body;
    EXPECT_FALSE(record->resolved_at.has_value()) << body;
  }
  // A digest that is not one: no record.
  ASSERT_TRUE(WriteFile(file, AsBytes("sha256:xyz\nresolved_unix_ms 1\n")).ok());
  EXPECT_FALSE(cache.LookupReferenceRecord("127.0.0.1:5000/echo:1").has_value());
  std::filesystem::remove_all(dir);
}

TEST(CacheTest, ConcurrentWritersLeaveWholeFilesAndNoTemporaries) {
  std::string dir = testing::MakeTempDir();
  Cache cache(dir);
  Bytes data(1 << 20, 7);
  std::string digest = Sha256Digest(data);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 5; ++j) {
        EXPECT_TRUE(cache.WriteBlob(digest, data).ok());
        auto got = cache.ReadBlob(digest);
        EXPECT_TRUE(got.has_value() && *got == data);
      }
    });
  }
  for (auto& t : threads) t.join();
  int files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) ++files;
  }
  EXPECT_EQ(files, 1);
  std::filesystem::remove_all(dir);
}

TEST(CacheTest, RemoveDirectoryCountsAndDoesNotFollowLinks) {
  std::string dir = testing::MakeTempDir();
  std::string outside = testing::MakeTempDir();
  ASSERT_TRUE(WriteFile(outside + "/keep", ToBytes("keep")).ok());
  Cache cache(dir + "/cache");
  ASSERT_TRUE(cache.WriteBlob(Sha256Digest(AsBytes("abc")), AsBytes("abc")).ok());
  ASSERT_TRUE(cache.RecordReference("r/x:1", Sha256Digest(AsBytes("abc"))).ok());
  std::filesystem::create_directory_symlink(outside, dir + "/cache/link");
  auto removed = RemoveDirectory(dir + "/cache");
  ASSERT_TRUE(removed.ok()) << removed.status().message();
  EXPECT_TRUE(removed->existed);
  EXPECT_EQ(removed->files, 2u);
  EXPECT_FALSE(std::filesystem::exists(dir + "/cache"));
  EXPECT_TRUE(std::filesystem::exists(outside + "/keep"));
  auto again = RemoveDirectory(dir + "/cache");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->existed);
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(outside);
}

}  // namespace
}  // namespace wasmcloud::oci
