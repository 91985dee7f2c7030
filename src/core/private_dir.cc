#include "core/private_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace wasmcloud {

Status EnsurePrivateDirectory(const std::string& dir, std::string_view what) {
  const std::string named = std::string(what) + " " + dir;
  const std::string advice =
      "; the host refuses to use it, since what it holds may have been planted (remove it, "
      "or point TMPDIR or the cache option elsewhere)";
  // Its parents as usual (a cache under a folder that does not exist yet), itself 0700.
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Unavailable("cannot create the " + named + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) {
    return Unavailable("cannot read the " + named + ": " + std::strerror(errno));
  }
  if (S_ISLNK(st.st_mode)) return PermissionDenied("the " + named + " is a symbolic link" + advice);
  if (!S_ISDIR(st.st_mode))
    return PermissionDenied("the " + named + " is not a directory" + advice);
  if (st.st_uid != ::geteuid()) {
    return PermissionDenied("the " + named + " is owned by uid " + std::to_string(st.st_uid) +
                            ", not this user (uid " + std::to_string(::geteuid()) + ")" + advice);
  }
  const mode_t mode = st.st_mode & 07777;
  if ((mode & 022) != 0) {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    return PermissionDenied("the " + named + " is writable by others (mode " + octal + ")" +
                            advice);
  }
  if ((mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
    return Unavailable("cannot make the " + named +
                       " private (chmod 0700): " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace wasmcloud
