#include "core/text.h"

#include <gtest/gtest.h>

namespace wasmcloud {
namespace {

TEST(TextTest, AsciiEqualsIgnoreCaseComparesWithoutCopies) {
  EXPECT_TRUE(AsciiEqualsIgnoreCase("Transfer-Encoding", "transfer-encoding"));
  EXPECT_TRUE(AsciiEqualsIgnoreCase("", ""));
  EXPECT_FALSE(AsciiEqualsIgnoreCase("chunked", "chunked "));
  EXPECT_FALSE(AsciiEqualsIgnoreCase("\xc3\x84", "\xc3\xa4"));  // only A-Z fold
}

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

TEST(EscapeLogTextTest, ControlCharactersAndBadUtf8CannotFormAnotherLine) {
  EXPECT_EQ(EscapeLogText("plain text, ünïcode ✓"), "plain text, ünïcode ✓");
  EXPECT_EQ(EscapeLogText("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(EscapeLogText("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(EscapeLogText(std::string_view("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(EscapeLogText("del\x7f"), "del\\x7f");
  EXPECT_EQ(EscapeLogText("\xc2\x9b"
                          "csi"),
            "\\u009bcsi");  // C1 control
  EXPECT_EQ(EscapeLogText("bad \xff\xfe utf8 \xe2\x82"), "bad \\xff\\xfe utf8 \\xe2\\x82");
  EXPECT_EQ(EscapeLogText("abcdefgh", 3), "abc [5 more bytes cut]");
  EXPECT_EQ(EscapeLogText("abc", 3), "abc");
}

}  // namespace
}  // namespace wasmcloud
