#include "core/encoding.h"

#include <gtest/gtest.h>

namespace wasmcloud {
namespace {

TEST(Base32Test, Rfc4648Vectors) {
  // RFC 4648 §10, without the padding.
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},
      {"f", "MY"},
      {"fo", "MZXQ"},
      {"foo", "MZXW6"},
      {"foob", "MZXW6YQ"},
      {"fooba", "MZXW6YTB"},
      {"foobar", "MZXW6YTBOI"},
  };
  for (const auto& [plain, enc] : cases) {
    EXPECT_EQ(Base32Encode(AsBytes(plain)), enc);
    auto dec = Base32Decode(enc);
    ASSERT_TRUE(dec.ok()) << enc;
    EXPECT_EQ(AsChars(*dec), plain);
  }
}

TEST(Base32Test, RejectsBadText) {
  EXPECT_EQ(Base32Decode("MZ!W6").status().message(), "not a base32 character '!' at offset 2");
  EXPECT_EQ(Base32Decode("mzxw6").status().message(), "not a base32 character 'm' at offset 0");
  EXPECT_EQ(Base32Decode("MZX").status().code(), Code::kMalformed);  // 3 mod 8
  EXPECT_EQ(Base32Decode("M").status().code(), Code::kMalformed);
  EXPECT_EQ(Base32Decode("MZ").status().ok(), false);  // 'f' is "MY": 'Z' sets an unused bit
  EXPECT_EQ(Base32Decode("MZ").status().message(),
            "base32 text has non-zero trailing bits in its last character");
}

TEST(Base64UrlTest, Rfc4648VectorsAndUrlAlphabet) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, enc] : cases) {
    EXPECT_EQ(Base64UrlEncode(AsBytes(plain)), enc);
    EXPECT_EQ(AsChars(*Base64UrlDecode(enc)), plain);
  }
  Bytes b = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64UrlEncode(b), "-_-_");
  EXPECT_EQ(Base64Encode(b), "+/+/");
  EXPECT_EQ(*Base64UrlDecode("-_-_"), b);
  EXPECT_EQ(Base64UrlEncode(AsBytes(R"({"typ":"jwt","alg":"Ed25519"})")),
            "eyJ0eXAiOiJqd3QiLCJhbGciOiJFZDI1NTE5In0");
}

TEST(Base64UrlTest, IsStrict) {
  EXPECT_FALSE(Base64UrlDecode("Zg==").ok());   // padding
  EXPECT_FALSE(Base64UrlDecode("+/+/").ok());   // standard alphabet
  EXPECT_FALSE(Base64UrlDecode("Zm9vY").ok());  // 1 mod 4
  EXPECT_FALSE(Base64UrlDecode("Zh").ok());     // non-zero unused bits ("Zg" is canonical)
  EXPECT_EQ(Base64UrlDecode("Zm 9").status().message(),
            "not a base64url character ' ' at offset 2");
}

TEST(Base64Test, Padded) {
  EXPECT_EQ(Base64Encode(AsBytes("fo")), "Zm8=");
  EXPECT_EQ(AsChars(*Base64Decode("Zm8=")), "fo");
  EXPECT_EQ(AsChars(*Base64Decode("Zg==")), "f");
  EXPECT_FALSE(Base64Decode("Zm8").ok());
  EXPECT_FALSE(Base64Decode("Z===").ok());
}

}  // namespace
}  // namespace wasmcloud
