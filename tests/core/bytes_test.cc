#include "core/bytes.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

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
  std::system(("rm -rf " + std::string(tmpl)).c_str());
}

}  // namespace
}  // namespace wasmcloud
