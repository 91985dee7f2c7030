#include "cli/claims_keys.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/bytes.h"

namespace wasmcloud::cli {
namespace {

bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// mkdir -p with mode 0700 for the directories it creates.
Status MakeDirs(const std::string& dir) {
  std::string path;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    path = dir.substr(0, pos);
    if (path.empty()) continue;
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) {
      return Unavailable("cannot create " + path + ": " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

}  // namespace

std::string DefaultKeysDir() {
  if (const char* d = std::getenv("WASMCLOUD_KEYS_DIR"); d != nullptr && *d != '\0') return d;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.wash/keys";
}

Result<std::string> ReadKeyText(const std::string& seed_or_file) {
  if (IsRegularFile(seed_or_file)) {
    auto bytes = ReadFile(seed_or_file);
    if (!bytes.ok()) return InvalidArgument(bytes.status().message());
    std::string text = Trim(AsChars(*bytes));
    std::fill(bytes->begin(), bytes->end(), 0);
    return text;
  }
  return Trim(seed_or_file);
}

std::string KeyFileStem(std::string_view module_name) {
  std::string stem;
  for (char c : module_name) {
    auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '/' || c == '\\' || u < 0x20 || u == 0x7f) {
      stem += '_';
    } else {
      stem += static_cast<char>(std::tolower(u));
    }
  }
  if (stem.empty() || stem == "." || stem == "..") stem = "module" + stem;
  return stem;
}

Result<StoredKey> LoadOrCreateKey(const std::string& dir, const std::string& file_name,
                                  crypto::KeyType type) {
  std::string path = dir + "/" + file_name;
  if (IsRegularFile(path)) {
    WC_ASSIGN_OR_RETURN(std::string text, ReadKeyText(path));
    auto key = crypto::KeyPair::FromSeed(text);
    if (!key.ok()) return InvalidArgument(path + ": " + key.status().message());
    if (key->type() != type) {
      return InvalidArgument(path + " holds a " + std::string(crypto::KeyTypeName(key->type())) +
                             " key, expected " + std::string(crypto::KeyTypeName(type)));
    }
    return StoredKey{std::move(key).value(), path, false};
  }
  WC_RETURN_IF_ERROR(MakeDirs(dir));
  crypto::KeyPair key = crypto::KeyPair::Generate(type);
  std::string seed = key.EncodedSeed() + "\n";
  Status written = WriteFile(path, AsBytes(seed), 0600);
  std::fill(seed.begin(), seed.end(), '\0');
  WC_RETURN_IF_ERROR(written);
  return StoredKey{std::move(key), path, true};
}

}  // namespace wasmcloud::cli
