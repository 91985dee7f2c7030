#include "cli/claims_keys.h"
#include "core/text.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "core/bytes.h"

namespace wasmcloud::cli {
namespace {

bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
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
    std::string text(TrimAsciiSpace(AsChars(*bytes)));
    std::fill(bytes->begin(), bytes->end(), 0);
    return text;
  }
  return std::string(TrimAsciiSpace(seed_or_file));
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

Result<crypto::KeyPair> ResolveIssuer(const SigningKeyOptions& o) {
  if (o.issuer) {
    WC_ASSIGN_OR_RETURN(std::string text, ReadKeyText(*o.issuer));
    auto kp = crypto::KeyPair::FromSeed(text);
    if (!kp.ok()) return InvalidArgument("--issuer: " + kp.status().message());
    if (kp->type() != crypto::KeyType::kAccount) {
      return InvalidArgument("--issuer must be an account seed (SA...), this is a " +
                             std::string(crypto::KeyTypeName(kp->type())) + " key");
    }
    return kp;
  }
  std::string dir = o.keys_dir.value_or(DefaultKeysDir());
  WC_ASSIGN_OR_RETURN(StoredKey k, LoadOrCreateKey(dir, KeyFileStem(o.name) + "_account.nk",
                                                   crypto::KeyType::kAccount));
  if (k.created) {
    std::cerr << "No issuer key was given or found; generated one in " << k.path
              << " (it will be reused for this name)" << std::endl;
  }
  return std::move(k.key);
}

Result<std::string> ResolveSubject(const SigningKeyOptions& o, crypto::KeyType type) {
  const std::string type_name(crypto::KeyTypeName(type));
  if (o.subject) {
    WC_ASSIGN_OR_RETURN(std::string text, ReadKeyText(*o.subject));
    crypto::KeyType got;
    std::string public_key;
    if (text.size() == crypto::kSeedLength ||
        (text.size() != crypto::kPublicKeyLength && !text.empty() && text[0] == 'S')) {
      auto kp = crypto::KeyPair::FromSeed(text);
      if (!kp.ok()) return InvalidArgument("--subject: " + kp.status().message());
      got = kp->type();
      public_key = kp->public_key_text();
    } else {
      auto pk = crypto::ParsePublicKey(text);
      if (!pk.ok()) return InvalidArgument("--subject: " + pk.status().message());
      got = pk->type;
      public_key = pk->encoded;
    }
    if (got != type) {
      const char letter = crypto::PrefixChar(type);
      return InvalidArgument("--subject must be a " + type_name + " key (S" +
                             std::string(1, letter) + "... or " + std::string(1, letter) +
                             "...), this is a " + std::string(crypto::KeyTypeName(got)) + " key");
    }
    return public_key;
  }
  std::string dir = o.keys_dir.value_or(DefaultKeysDir());
  WC_ASSIGN_OR_RETURN(StoredKey k,
                      LoadOrCreateKey(dir, KeyFileStem(o.name) + "_" + type_name + ".nk", type));
  if (k.created) {
    std::cerr << "No subject key was given or found; generated one in " << k.path
              << " (it will be reused for this name)" << std::endl;
  }
  return k.key.public_key_text();
}

Result<std::optional<uint64_t>> DaysFromNow(const std::optional<int64_t>& days, int64_t now,
                                            const char* flag) {
  constexpr int64_t kDay = 86400;
  if (!days) return std::optional<uint64_t>();
  if (*days > 1'000'000 || *days < -1'000'000) {
    return InvalidArgument(std::string(flag) + " is out of range");
  }
  int64_t t = now + *days * kDay;
  if (t < 0) return InvalidArgument(std::string(flag) + " points before 1970");
  return std::optional<uint64_t>(static_cast<uint64_t>(t));
}

}  // namespace wasmcloud::cli
