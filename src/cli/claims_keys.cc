#include "cli/claims_keys.h"
#include "core/text.h"

#include <sys/stat.h>
#include <algorithm>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "core/bytes.h"
#include "provider/par.h"

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

void WarnIfExpiredAtOnce(const std::optional<int64_t>& days, const char* what) {
  if (!days || *days > 0) return;
  std::cerr << "warning: --expires-in-days " << *days
            << ": the claims are expired from the start, and a host refuses " << what << "\n";
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

Status CheckContractId(std::string_view id, const char* flag) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument(std::string(flag) + " \"" + std::string(id) +
                           "\" is not a contract id (" + why +
                           "): write namespace:name, such as wasmcloud:httpserver");
  };
  size_t segments = 0;
  size_t start = 0;
  for (;;) {
    const size_t colon = id.find(':', start);
    const std::string_view segment =
        id.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start);
    if (segment.empty()) return bad(id.empty() ? "it is empty" : "an empty part");
    for (char c : segment) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || c == '.';
      if (!ok) return bad("it holds '" + std::string(1, c) + "'");
    }
    ++segments;
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (segments < 2) return bad("no namespace");
  return Status::Ok();
}

namespace {

uint64_t ReadLe(ByteView b, size_t at, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[at + i]) << (8 * i);
  return v;
}

// Whether the dynamic symbol table of the ELF64 little-endian file `b` defines the
// function `name`. Every offset is checked against the file's size.
bool ExportsFunction(ByteView b, std::string_view name) {
  constexpr size_t kHeader = 64, kSection = 64, kSymbol = 24;
  constexpr uint32_t kDynSym = 11;
  if (b.size() < kHeader) return false;
  const uint64_t shoff = ReadLe(b, 0x28, 8);
  const uint64_t shentsize = ReadLe(b, 0x3a, 2);
  const uint64_t shnum = ReadLe(b, 0x3c, 2);
  if (shentsize != kSection || shoff > b.size() || shnum > (b.size() - shoff) / kSection) {
    return false;
  }
  auto section = [&](uint64_t i) { return static_cast<size_t>(shoff + i * kSection); };
  for (uint64_t i = 0; i < shnum; ++i) {
    const size_t sh = section(i);
    if (ReadLe(b, sh + 4, 4) != kDynSym) continue;
    const uint64_t off = ReadLe(b, sh + 24, 8), size = ReadLe(b, sh + 32, 8);
    const uint64_t link = ReadLe(b, sh + 40, 4);
    if (off > b.size() || size > b.size() - off || link >= shnum) return false;
    const size_t strtab = section(link);
    const uint64_t str_off = ReadLe(b, strtab + 24, 8), str_size = ReadLe(b, strtab + 32, 8);
    if (str_off > b.size() || str_size > b.size() - str_off) return false;
    const std::string_view strings(reinterpret_cast<const char*>(b.data() + str_off), str_size);
    for (uint64_t sym = off; sym + kSymbol <= off + size; sym += kSymbol) {
      const uint64_t name_at = ReadLe(b, sym, 4);
      const unsigned type = b[sym + 4] & 0xf;
      const uint64_t shndx = ReadLe(b, sym + 6, 2);
      if (name_at >= strings.size() || shndx == 0 || type != 2 /* STT_FUNC */) continue;
      const size_t end = strings.find('\0', name_at);
      if (end != std::string_view::npos && strings.substr(name_at, end - name_at) == name) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

Status CheckSharedLibrary(ByteView bytes, const std::string& path, std::string_view target) {
  constexpr uint8_t kMagic[4] = {0x7f, 'E', 'L', 'F'};
  if (bytes.size() < 20 || !std::equal(kMagic, kMagic + 4, bytes.begin())) {
    return InvalidArgument(path + " is not a provider library: not an ELF file");
  }
  // e_type, 16 bits at offset 16, in the file's byte order (EI_DATA: 1 little, 2 big).
  const bool little = bytes[5] == 1;
  const unsigned type = little ? bytes[16] | (bytes[17] << 8) : (bytes[16] << 8) | bytes[17];
  constexpr unsigned kSharedObject = 3;  // ET_DYN
  if (type != kSharedObject) {
    return InvalidArgument(path + " is not a provider library: an ELF file of type " +
                           std::to_string(type) + ", not a shared object (build it with -shared)");
  }
  if (bytes[4] != 2 || !little) {
    return InvalidArgument(path +
                           " is not a provider library for this host: not a 64-bit "
                           "little-endian ELF file");
  }
  // e_machine, 16 bits at offset 18, against the target's architecture: a library for
  // another CPU fails to load with glibc's "cannot open shared object file: No such file
  // or directory", which says nothing about why.
  const unsigned machine = bytes[18] | (bytes[19] << 8);
  if (auto want = provider::ElfMachineOfTarget(target); want && *want != machine) {
    return InvalidArgument(path + " is built for " + provider::ElfMachineName(machine) +
                           ", not for the target " + std::string(target) + " (--arch)");
  }
  if (!ExportsFunction(bytes, "wasmcloud_provider_create")) {
    return InvalidArgument(path +
                           " is not a provider library: it does not export "
                           "wasmcloud_provider_create (include/wasmcloud/provider.h)");
  }
  return Status::Ok();
}

}  // namespace wasmcloud::cli
