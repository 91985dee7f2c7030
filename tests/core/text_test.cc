#include "core/text.h"

#include <gtest/gtest.h>

namespace wasmcloud {
namespace {

TEST(TextTest, AsciiLowerChangesOnlyAsciiCapitals) {
  EXPECT_EQ(AsciiLower("Content-TYPE: X1"), "content-type: x1");
  EXPECT_EQ(AsciiLower("\xc3\x84pfel"), "\xc3\x84pfel");  // UTF-8 bytes are kept
  EXPECT_EQ(AsciiLower(""), "");
}

TEST(TextTest, TrimAsciiSpaceTakesWhitespaceOffBothEnds) {
  EXPECT_EQ(TrimAsciiSpace(" \t a b \r\n"), "a b");
  EXPECT_EQ(TrimAsciiSpace("\v\f"), "");
  EXPECT_EQ(TrimAsciiSpace("x"), "x");
  EXPECT_EQ(TrimAsciiSpace("\xa0x\xa0"), "\xa0x\xa0");  // not ASCII whitespace
}

}  // namespace
}  // namespace wasmcloud
