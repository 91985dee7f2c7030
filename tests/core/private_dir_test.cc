// EnsurePrivateDirectory: the caches the host trusts are its user's alone.
#include "core/private_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace wasmcloud {
namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/wc_private_dir_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

TEST(PrivateDirTest, AMissingDirectoryIsMadeForThisUserAlone) {
  TempDir tmp;
  const std::string dir = tmp.path + "/wasmcloud_ocicache";
  ASSERT_TRUE(EnsurePrivateDirectory(dir, "OCI cache").ok());
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_TRUE(EnsurePrivateDirectory(dir, "OCI cache").ok());  // again: fine
}

TEST(PrivateDirTest, OneOfOursThatOthersCouldOnlyReadIsTightened) {
  TempDir tmp;
  const std::string dir = tmp.path + "/c";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0755), 0);
  ASSERT_TRUE(EnsurePrivateDirectory(dir, "OCI cache").ok());
  EXPECT_EQ(Mode(dir), 0700u);
}

TEST(PrivateDirTest, ADirectoryOthersCanWriteIsRefused) {
  TempDir tmp;
  const std::string dir = tmp.path + "/c";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  Status s = EnsurePrivateDirectory(dir, "OCI cache");
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_EQ(s.message().rfind("the OCI cache " + dir +
                                  " is writable by others (mode 0777); the "
                                  "host refuses to use it",
                              0),
            0u)
      << s.message();
  EXPECT_EQ(Mode(dir), 0777u);  // left as it was
}

TEST(PrivateDirTest, ADirectoryOfAnotherUserIsRefused) {
  TempDir tmp;
  std::string dir = tmp.path + "/c";
  std::string owner = "65534";
  if (geteuid() == 0) {
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(chown(dir.c_str(), 65534, 65534), 0);
  } else {
    dir = "/usr";  // root's
    owner = "0";
  }
  Status s = EnsurePrivateDirectory(dir, "provider cache");
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_EQ(s.message().rfind("the provider cache " + dir + " is owned by uid " + owner +
                                  ", not this user (uid " + std::to_string(geteuid()) + ")",
                              0),
            0u)
      << s.message();
}

TEST(PrivateDirTest, ASymbolicLinkOrAFileIsRefused) {
  TempDir tmp;
  const std::string target = tmp.path + "/elsewhere";
  ASSERT_EQ(mkdir(target.c_str(), 0700), 0);
  const std::string link = tmp.path + "/link";
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  Status s = EnsurePrivateDirectory(link, "OCI cache");
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find("is a symbolic link"), std::string::npos) << s.message();

  const std::string file = tmp.path + "/file";
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  s = EnsurePrivateDirectory(file, "OCI cache");
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find("is not a directory"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace wasmcloud
