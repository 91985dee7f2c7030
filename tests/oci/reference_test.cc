#include "oci/reference.h"

#include <gtest/gtest.h>

#include <vector>

namespace wasmcloud::oci {
namespace {

Reference Parse(std::string_view text) {
  auto r = ParseReference(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().message();
  return r.ok() ? *r : Reference{};
}

std::string Error(std::string_view text) {
  auto r = ParseReference(text);
  EXPECT_FALSE(r.ok()) << text << " parsed as " << (r.ok() ? r->ToString() : "");
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

const std::string kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(ReferenceTest, RegistryPortRepositoryTag) {
  Reference r = Parse("localhost:5000/echo:0.2.0");
  EXPECT_EQ(r.registry, "localhost:5000");
  EXPECT_EQ(r.repository, "echo");
  EXPECT_EQ(r.tag, "0.2.0");
  EXPECT_FALSE(r.implicit_tag);
  EXPECT_EQ(r.digest, "");
  EXPECT_EQ(r.ToString(), "localhost:5000/echo:0.2.0");
  EXPECT_EQ(r.ApiHost(), "localhost:5000");
  EXPECT_EQ(r.TagOrDigest(), "0.2.0");
}

TEST(ReferenceTest, UpstreamReferences) {
  Reference r = Parse("wasmcloud.azurecr.io/echo:0.2.0");
  EXPECT_EQ(r.registry, "wasmcloud.azurecr.io");
  EXPECT_EQ(r.repository, "echo");
  r = Parse("wasmcloud.azurecr.io/wasmcloud/examples/http_hello:0.1.1");
  EXPECT_EQ(r.repository, "wasmcloud/examples/http_hello");
  r = Parse("127.0.0.1:43123/a-b/c__d/e.f_g:v1.2-rc_3");
  EXPECT_EQ(r.registry, "127.0.0.1:43123");
  EXPECT_EQ(r.repository, "a-b/c__d/e.f_g");
  EXPECT_EQ(r.tag, "v1.2-rc_3");
}

TEST(ReferenceTest, DockerHubDefaults) {
  Reference r = Parse("redis:6");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "library/redis");
  EXPECT_EQ(r.ApiHost(), "registry-1.docker.io");
  EXPECT_EQ(r.ToString(), "docker.io/library/redis:6");
  r = Parse("wasmcloud/echo:1");
  EXPECT_EQ(r.registry, "docker.io");
  EXPECT_EQ(r.repository, "wasmcloud/echo");
  // Only docker.io gets the library/ prefix.
  EXPECT_EQ(Parse("localhost/echo:1").repository, "echo");
  EXPECT_EQ(Parse("localhost/echo:1").registry, "localhost");
}

TEST(ReferenceTest, NoTagMeansLatest) {
  Reference r = Parse("localhost:5000/echo");
  EXPECT_EQ(r.tag, "latest");
  EXPECT_TRUE(r.implicit_tag);
  EXPECT_EQ(r.ToString(), "localhost:5000/echo:latest");
}

TEST(ReferenceTest, Digests) {
  Reference r = Parse("localhost:5000/echo@" + kDigest);
  EXPECT_EQ(r.tag, "");
  EXPECT_FALSE(r.implicit_tag);
  EXPECT_EQ(r.digest, kDigest);
  EXPECT_EQ(r.TagOrDigest(), kDigest);
  EXPECT_EQ(r.ToString(), "localhost:5000/echo@" + kDigest);
  r = Parse("localhost:5000/echo:0.1@" + kDigest);
  EXPECT_EQ(r.tag, "0.1");
  EXPECT_EQ(r.TagOrDigest(), kDigest);
  EXPECT_TRUE(IsSha256Digest(kDigest));
  EXPECT_FALSE(IsSha256Digest(kDigest.substr(0, 70)));
}

TEST(ReferenceTest, Ipv6Registry) {
  Reference r = Parse("[::1]:5000/echo:1");
  EXPECT_EQ(r.registry, "[::1]:5000");
  EXPECT_EQ(r.repository, "echo");
}

TEST(ReferenceTest, Refusals) {
  EXPECT_NE(Error("").find("it is empty"), std::string::npos);
  EXPECT_NE(Error("localhost:5000/Echo:1").find("must be lowercase"), std::string::npos);
  EXPECT_NE(Error("https://localhost:5000/echo:1").find("no scheme"), std::string::npos);
  EXPECT_NE(Error("localhost:5000/echo:").find("tag after ':' is empty"), std::string::npos);
  EXPECT_NE(Error("localhost:5000/echo:-x").find("tag must start"), std::string::npos);
  EXPECT_NE(Error("localhost:5000/echo:a+b").find("'+' is not allowed in a tag"),
            std::string::npos);
  EXPECT_NE(Error("localhost:5000/echo:" + std::string(129, 'a')).find("longer than 128"),
            std::string::npos);
  EXPECT_NE(Error("localhost:5000/echo@md5:abc").find("only sha256 digests are supported"),
            std::string::npos);
  EXPECT_NE(Error("localhost:5000/echo@sha256:ABC").find("64 lowercase hex"), std::string::npos);
  EXPECT_NE(Error("localhost:5000/echo@" + kDigest.substr(0, 60)).find("64 lowercase hex"),
            std::string::npos);
  EXPECT_NE(Error("localhost:5000/echo@").find("sha256:<64 hex digits>"), std::string::npos);
  EXPECT_NE(Error("localhost:5000//echo:1").find("empty path component"), std::string::npos);
  EXPECT_NE(Error("localhost:5000/echo/:1").find("empty path component"), std::string::npos);
  EXPECT_NE(Error("localhost:5000/:1").find("no repository"), std::string::npos);
  EXPECT_NE(Error("localhost:5000/e..cho:1").find("separators"), std::string::npos);
  EXPECT_NE(Error("localhost:5000/-echo:1").find("must start and end"), std::string::npos);
  EXPECT_NE(Error("localhost:0/echo:1").find("not a number 1-65535"), std::string::npos);
  EXPECT_NE(Error("localhost:99999/echo:1").find("not a number 1-65535"), std::string::npos);
  EXPECT_NE(Error("localhost:/echo:1").find("port is empty"), std::string::npos);
  EXPECT_NE(Error("bad_host.io/echo:1").find("'_' is not allowed in a registry host"),
            std::string::npos);
  EXPECT_NE(Error("-a.io/echo:1").find("does not start and end"), std::string::npos);
  EXPECT_NE(Error("[::1/echo:1").find("no closing ']'"), std::string::npos);
  EXPECT_NE(Error("local host:5000/echo").find("whitespace"), std::string::npos);
  EXPECT_NE(Error(std::string("a\0b", 3)).find("control character"), std::string::npos);
  EXPECT_NE(Error("localhost:5000/" + std::string(256, 'a') + ":1").find("longer than 255"),
            std::string::npos);
  EXPECT_NE(Error(std::string(5000, 'a')).find("longer than 4096"), std::string::npos);
  // Every message names the reference.
  EXPECT_NE(Error("localhost:5000/Echo:1").find("invalid OCI reference \"localhost:5000/Echo:1\""),
            std::string::npos);
}

TEST(ReferenceTest, CanonicalTextParsesBackTheSame) {
  const std::vector<std::string> texts = {"redis", "a/b/c:1", "localhost:5000/x@" + kDigest,
                                          "127.0.0.1:1/x:y@" + kDigest, "[::1]/q:r"};
  for (const std::string& text : texts) {
    Reference a = Parse(text);
    Reference b = Parse(a.ToString());
    EXPECT_EQ(a.registry, b.registry) << text;
    EXPECT_EQ(a.repository, b.repository) << text;
    EXPECT_EQ(a.tag, b.tag) << text;
    EXPECT_EQ(a.digest, b.digest) << text;
  }
}

}  // namespace
}  // namespace wasmcloud::oci
