#include "provider/par.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>

#include "crypto/identity_error.h"
#include "crypto/sha256.h"

namespace wasmcloud::provider {
namespace {

constexpr std::string_view kClaimsMember = "claims.jwt";
constexpr std::string_view kLibrarySuffix = ".bin";
constexpr size_t kMaxTargetLength = 64;
// Room for tar headers, padding and the end-of-archive blocks on top of the members.
constexpr uint64_t kTarOverhead = 1ull << 20;

struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct WriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using ArchiveReader = std::unique_ptr<archive, ReadDeleter>;
using ArchiveWriter = std::unique_ptr<archive, WriteDeleter>;
using ArchiveEntry = std::unique_ptr<archive_entry, EntryDeleter>;

// A member name as it may appear in a message: printable ASCII kept, the rest escaped.
std::string Quote(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string q = "\"";
  for (char c : name.substr(0, 200)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
      q += "\\x";
      q += kHex[u >> 4];
      q += kHex[u & 15];
    } else {
      q += c;
    }
  }
  if (name.size() > 200) q += "...";
  return q + "\"";
}

std::string LibarchiveError(archive* a, std::string_view fallback) {
  const char* e = archive_error_string(a);
  return e != nullptr && *e != '\0' ? std::string(e) : std::string(fallback);
}

// A target is one file name component: "x86_64-linux", "arm-linux", "aarch64-macos".
bool IsTargetName(std::string_view t) {
  if (t.empty() || t.size() > kMaxTargetLength || t[0] == '.') return false;
  for (char c : t) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string_view TrimAscii(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view FileTypeName(mode_t type) {
  switch (type) {
    case AE_IFDIR:
      return "a directory";
    case AE_IFLNK:
      return "a symbolic link";
    case AE_IFCHR:
    case AE_IFBLK:
      return "a device";
    case AE_IFIFO:
      return "a FIFO";
    case AE_IFSOCK:
      return "a socket";
    default:
      return "not a regular file";
  }
}

bool IsGzip(ByteView data) { return data.size() >= 2 && data[0] == 0x1f && data[1] == 0x8b; }

// Decompresses the whole gzip stream once, keeping nothing, to refuse an archive that
// unpacks to more than `limit` bytes before the tar reader skips through it (a small
// gzip of zeros can stand for gigabytes), and to report truncated or corrupt gzip data
// as such rather than as a broken tar. Returns the unpacked size.
Result<uint64_t> CheckGzipStream(ByteView data, uint64_t limit) {
  ArchiveReader a(archive_read_new());
  if (!a) return Internal("libarchive: out of memory");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_raw(a.get());
  archive_entry* entry = nullptr;
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK ||
      archive_read_next_header(a.get(), &entry) != ARCHIVE_OK) {
    return Malformed("corrupt gzip data: " + LibarchiveError(a.get(), "cannot be read"));
  }
  uint64_t total = 0;
  std::unique_ptr<uint8_t[]> buffer(new uint8_t[1 << 16]);
  for (;;) {
    la_ssize_t n = archive_read_data(a.get(), buffer.get(), 1 << 16);
    if (n == 0) break;
    if (n < 0) {
      return Malformed("corrupt gzip data: " + LibarchiveError(a.get(), "truncated gzip input") +
                       " (after " + std::to_string(total) + " bytes unpacked)");
    }
    total += static_cast<uint64_t>(n);
    if (total > limit) {
      return ResourceExhausted("the archive unpacks to more than " + std::to_string(limit) +
                               " bytes, over the limit");
    }
  }
  return total;
}

// Reads the data of the current member into `out`, at most `limit` bytes.
Status ReadMemberData(archive* a, std::string_view name, int64_t declared, uint64_t limit,
                      Bytes* out) {
  if (declared >= 0) {
    out->resize(static_cast<size_t>(declared));
    size_t off = 0;
    while (off < out->size()) {
      la_ssize_t n = archive_read_data(a, out->data() + off, out->size() - off);
      if (n <= 0) {
        return Malformed("member " + Quote(name) + ": " + LibarchiveError(a, "truncated archive") +
                         " (read " + std::to_string(off) + " of " + std::to_string(declared) +
                         " bytes)");
      }
      off += static_cast<size_t>(n);
    }
    return Status::Ok();
  }
  // Size not recorded in the header: read in chunks and stop at the limit.
  uint8_t chunk[1 << 14];
  for (;;) {
    la_ssize_t n = archive_read_data(a, chunk, sizeof chunk);
    if (n == 0) return Status::Ok();
    if (n < 0) return Malformed("member " + Quote(name) + ": " + LibarchiveError(a, "unreadable"));
    if (out->size() + static_cast<size_t>(n) > limit) {
      return ResourceExhausted("member " + Quote(name) + " is over the limit of " +
                               std::to_string(limit) + " bytes");
    }
    out->insert(out->end(), chunk, chunk + n);
  }
}

Status CheckHashes(const crypto::ProviderMetadata& m, const std::map<std::string, Bytes>& bins) {
  auto hash_of = [&m](const std::string& target) -> const std::string* {
    for (const auto& [t, h] : m.target_hashes) {
      if (t == target) return &h;
    }
    return nullptr;
  };
  for (const auto& [target, bytes] : bins) {
    const std::string* want = hash_of(target);
    if (want == nullptr) {
      return crypto::IdentityStatus(crypto::IdentityError::kHashMismatch,
                                    target +
                                        ".bin has no hash in the claims (target_hashes "
                                        "lists no " +
                                        target + ")");
    }
    std::string got = crypto::Sha256HexUpper(bytes);
    if (got != *want) {
      return crypto::IdentityStatus(
          crypto::IdentityError::kHashMismatch,
          target + ".bin has SHA-256 " + got + ", the claims say " + *want);
    }
  }
  for (const auto& [target, hash] : m.target_hashes) {
    if (!bins.contains(target)) {
      return crypto::IdentityStatus(crypto::IdentityError::kHashMismatch,
                                    "the claims list a hash for target " + target +
                                        " but the archive has no " + target + ".bin");
    }
  }
  return Status::Ok();
}

// mkdir -p, each directory it creates with mode 0755.
Status MakeDirs(const std::string& dir) {
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    std::string path = dir.substr(0, pos);
    if (path.empty()) continue;
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      return Unavailable("cannot create " + path + ": " + std::strerror(errno));
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Unavailable("cannot create " + dir + ": not a directory");
  }
  return Status::Ok();
}

// True when `path` is a regular file with exactly `want` as its SHA-256.
bool SameFile(const std::string& path, size_t size, const crypto::Sha256Digest& want) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  if (static_cast<uint64_t>(st.st_size) != size) return false;
  auto bytes = ReadFile(path);
  return bytes.ok() && crypto::Sha256(*bytes) == want;
}

la_ssize_t AppendToBytes(archive*, void* client, const void* buffer, size_t length) {
  auto* out = static_cast<Bytes*>(client);
  const auto* p = static_cast<const uint8_t*>(buffer);
  out->insert(out->end(), p, p + length);
  return static_cast<la_ssize_t>(length);
}

Status WriteMember(archive* a, const std::string& name, ByteView data) {
  ArchiveEntry entry(archive_entry_new());
  if (!entry) return Internal("libarchive: out of memory");
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
  archive_entry_set_mtime(entry.get(), 0, 0);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  if (archive_write_header(a, entry.get()) != ARCHIVE_OK) {
    return Internal("cannot write " + name + ": " + LibarchiveError(a, "libarchive failed"));
  }
  size_t off = 0;
  while (off < data.size()) {
    la_ssize_t n = archive_write_data(a, data.data() + off, data.size() - off);
    if (n <= 0) {
      return Internal("cannot write " + name + ": " + LibarchiveError(a, "libarchive failed"));
    }
    off += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Result<ProviderArchive> ReadProviderArchive(ByteView data, const ParLimits& limits) {
  const uint64_t stream_limit = limits.max_total_size + kTarOverhead;
  ProviderArchive par;
  par.compressed = IsGzip(data);
  // How many bytes the tar has: no member can be larger, whatever its header says.
  uint64_t tar_size = data.size();
  if (par.compressed) {
    WC_ASSIGN_OR_RETURN(tar_size, CheckGzipStream(data, stream_limit));
  } else if (data.size() > stream_limit) {
    return ResourceExhausted("the archive is " + std::to_string(data.size()) +
                             " bytes, over the limit of " + std::to_string(stream_limit));
  }

  ArchiveReader a(archive_read_new());
  if (!a) return Internal("libarchive: out of memory");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) {
    return Malformed("not a provider archive: " +
                     LibarchiveError(a.get(), "not a tar or gzip'd tar"));
  }

  std::optional<Bytes> claims_bytes;
  size_t members = 0;
  uint64_t total = 0;
  for (;;) {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      std::string why = LibarchiveError(a.get(), "truncated or corrupt data");
      return Malformed(members == 0 ? "not a provider archive: " + why
                                    : "corrupt provider archive after " + std::to_string(members) +
                                          " members: " + why);
    }
    if (++members > limits.max_members) {
      return ResourceExhausted("the archive has more than " + std::to_string(limits.max_members) +
                               " members, over the limit");
    }
    const char* raw_name = archive_entry_pathname(entry);
    if (raw_name == nullptr) return Malformed("a member's name cannot be read");
    std::string name = raw_name;
    if (name.empty() || name.find('/') != std::string::npos ||
        name.find('\\') != std::string::npos || name.find("..") != std::string::npos) {
      return Malformed("member " + Quote(name) +
                       " is refused: a provider archive holds only top-level files (no '/' or "
                       "'..' in names)");
    }
    bool is_claims = name == kClaimsMember;
    std::string target;
    if (!is_claims) {
      if (name.size() <= kLibrarySuffix.size() || !name.ends_with(kLibrarySuffix) ||
          !IsTargetName(name.substr(0, name.size() - kLibrarySuffix.size()))) {
        return Malformed("unexpected member " + Quote(name) +
                         ": a provider archive holds claims.jwt and <target>.bin files");
      }
      target = name.substr(0, name.size() - kLibrarySuffix.size());
    }
    if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != nullptr ||
        archive_entry_symlink(entry) != nullptr) {
      std::string_view kind = archive_entry_hardlink(entry) != nullptr
                                  ? "a hard link"
                                  : FileTypeName(archive_entry_filetype(entry));
      return Malformed("member " + Quote(name) + " is " + std::string(kind) +
                       ", not a regular file");
    }
    if ((is_claims && claims_bytes) || (!is_claims && par.binaries.contains(target))) {
      return Malformed("member " + Quote(name) + " appears twice");
    }
    uint64_t member_limit = is_claims ? limits.max_claims_size : limits.max_member_size;
    int64_t declared = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : -1;
    if (declared >= 0) {
      if (static_cast<uint64_t>(declared) > member_limit) {
        return ResourceExhausted("member " + Quote(name) + " is " + std::to_string(declared) +
                                 " bytes, over the limit of " + std::to_string(member_limit));
      }
      if (total + static_cast<uint64_t>(declared) > limits.max_total_size) {
        return ResourceExhausted("the archive's members add up to more than " +
                                 std::to_string(limits.max_total_size) + " bytes, over the limit");
      }
      // Refused before its buffer is allocated.
      if (static_cast<uint64_t>(declared) > tar_size) {
        return Malformed("member " + Quote(name) + " says it has " + std::to_string(declared) +
                         " bytes, but the whole archive unpacks to " + std::to_string(tar_size) +
                         ": truncated archive");
      }
    }
    Bytes content;
    WC_RETURN_IF_ERROR(ReadMemberData(a.get(), name, declared, member_limit, &content));
    total += content.size();
    if (total > limits.max_total_size) {
      return ResourceExhausted("the archive's members add up to more than " +
                               std::to_string(limits.max_total_size) + " bytes, over the limit");
    }
    if (is_claims) {
      claims_bytes = std::move(content);
    } else {
      par.binaries.emplace(std::move(target), std::move(content));
    }
  }

  if (!claims_bytes) return Malformed("no claims.jwt in the provider archive");
  if (par.binaries.empty()) {
    return Malformed("no library (<target>.bin) in the provider archive, only claims.jwt");
  }
  par.token = std::string(TrimAscii(AsChars(*claims_bytes)));
  auto claims = crypto::DecodeProviderClaims(par.token);
  if (!claims.ok()) return claims.status().WithContext("claims.jwt");
  if (!claims->wascap) {
    return crypto::IdentityStatus(crypto::IdentityError::kMalformedToken,
                                  "claims.jwt carries no provider metadata (wascap)");
  }
  par.claims = std::move(claims).value();
  return par;
}

Status VerifyTargetHashes(const ProviderArchive& archive) {
  if (!archive.claims.wascap) {
    return crypto::IdentityStatus(crypto::IdentityError::kMalformedToken,
                                  "claims carry no provider metadata (wascap)");
  }
  return CheckHashes(*archive.claims.wascap, archive.binaries);
}

Status VerifyProviderArchive(const ProviderArchive& archive, const crypto::VerifyOptions& options) {
  // The hashes are checked against the claims just verified, not the decoded copy.
  WC_ASSIGN_OR_RETURN(crypto::ProviderClaims claims,
                      crypto::VerifyProviderToken(archive.token, options));
  return CheckHashes(*claims.wascap, archive.binaries);
}

namespace {
struct Machine {
  std::string_view arch;  // as NativeTarget names it
  unsigned elf;
  bool library_target;  // 64-bit little-endian: what a provider library may be
};
constexpr Machine kMachines[] = {
    {"x86_64", 62, true}, {"aarch64", 183, true}, {"riscv64", 243, true}, {"powerpc64", 21, true},
    {"x86", 3, false},    {"arm", 40, false},     {"s390x", 22, false},   {"mips", 8, false}};
}  // namespace

std::optional<unsigned> ElfMachineOfTarget(std::string_view target) {
  const std::string_view arch = target.substr(0, target.find('-'));
  for (const Machine& m : kMachines) {
    if (m.arch == arch && m.library_target) return m.elf;
  }
  return std::nullopt;
}

std::string ElfMachineName(unsigned machine) {
  for (const Machine& m : kMachines) {
    if (m.elf == machine) return std::string(m.arch);
  }
  return "machine " + std::to_string(machine);
}

std::string NativeTarget() {
#if defined(__x86_64__)
  std::string arch = "x86_64";
#elif defined(__aarch64__)
  std::string arch = "aarch64";
#elif defined(__arm__)
  std::string arch = "arm";
#elif defined(__i386__)
  std::string arch = "x86";
#elif defined(__riscv) && __riscv_xlen == 64
  std::string arch = "riscv64";
#elif defined(__powerpc64__)
  std::string arch = "powerpc64";
#elif defined(__powerpc__)
  std::string arch = "powerpc";
#elif defined(__s390x__)
  std::string arch = "s390x";
#elif defined(__mips64)
  std::string arch = "mips64";
#elif defined(__mips__)
  std::string arch = "mips";
#else
  std::string arch = "unknown";
#endif
#if defined(__linux__)
  return arch + "-linux";
#elif defined(__APPLE__)
  return arch + "-macos";
#elif defined(_WIN32)
  return arch + "-windows";
#elif defined(__FreeBSD__)
  return arch + "-freebsd";
#elif defined(__NetBSD__)
  return arch + "-netbsd";
#elif defined(__OpenBSD__)
  return arch + "-openbsd";
#else
  return arch + "-unknown";
#endif
}

Result<std::string> ExtractForTarget(const ProviderArchive& archive, std::string_view target,
                                     const std::string& cache_root) {
  auto it = archive.binaries.find(std::string(target));
  if (it == archive.binaries.end()) {
    return NotFound("No binary found in archive for target " + std::string(target));
  }
  if (!IsTargetName(target)) {
    return InvalidArgument("target " + Quote(target) + " cannot be a file name");
  }
  if (cache_root.empty()) return InvalidArgument("the provider cache directory is empty");
  // The subject becomes a directory name: only a well-formed key (base32) may.
  auto subject = crypto::ParsePublicKey(archive.claims.sub);
  if (!subject.ok()) {
    return Malformed("the provider's subject " + Quote(archive.claims.sub) +
                     " is not a public key: " + subject.status().message());
  }
  int32_t rev = archive.claims.wascap ? archive.claims.wascap->rev.value_or(0) : 0;
  std::string dir = cache_root + "/" + subject->encoded + "/" + std::to_string(rev);
  std::string path = dir + "/" + std::string(target) + ".so";
  WC_RETURN_IF_ERROR(MakeDirs(dir));
  const Bytes& library = it->second;
  if (SameFile(path, library.size(), crypto::Sha256(library))) return path;
  // core::WriteFile: a temporary file of this writer's own, then rename, so concurrent
  // loaders of one archive each leave a whole library.
  WC_RETURN_IF_ERROR(WriteFile(path, library, 0755));
  return path;
}

Result<Bytes> WriteProviderArchive(const crypto::ProviderClaims& claims,
                                   const crypto::KeyPair& issuer,
                                   const std::map<std::string, Bytes>& binaries) {
  if (binaries.empty()) return InvalidArgument("a provider archive needs at least one library");
  for (const auto& [target, bytes] : binaries) {
    if (!IsTargetName(target)) {
      return InvalidArgument("target " + Quote(target) +
                             " is not a target name ([A-Za-z0-9_.-], not starting with '.')");
    }
  }
  if (!claims.wascap) return InvalidArgument("provider claims need their wascap metadata");
  crypto::ProviderClaims c = claims;
  if (c.iss.empty()) c.iss = issuer.public_key_text();
  c.wascap->target_hashes.clear();
  for (const auto& [target, bytes] : binaries) {
    c.wascap->target_hashes.emplace_back(target, crypto::Sha256HexUpper(bytes));
  }
  WC_ASSIGN_OR_RETURN(std::string token, crypto::EncodeClaims(c, issuer));

  Bytes out;
  ArchiveWriter a(archive_write_new());
  if (!a) return Internal("libarchive: out of memory");
  // The GNU tar header, as the tar crate writes it; no block padding after the gzip
  // stream; no gzip timestamp, so that the same input gives the same bytes.
  if (archive_write_set_format_gnutar(a.get()) != ARCHIVE_OK ||
      archive_write_add_filter_gzip(a.get()) != ARCHIVE_OK ||
      archive_write_set_options(a.get(), "gzip:compression-level=9,gzip:!timestamp") !=
          ARCHIVE_OK ||
      archive_write_set_bytes_per_block(a.get(), 0) != ARCHIVE_OK ||
      archive_write_open(a.get(), &out, nullptr, AppendToBytes, nullptr) != ARCHIVE_OK) {
    return Internal("cannot start the archive: " + LibarchiveError(a.get(), "libarchive failed"));
  }
  WC_RETURN_IF_ERROR(WriteMember(a.get(), std::string(kClaimsMember), AsBytes(token)));
  for (const auto& [target, bytes] : binaries) {
    WC_RETURN_IF_ERROR(WriteMember(a.get(), target + std::string(kLibrarySuffix), bytes));
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return Internal("cannot finish the archive: " + LibarchiveError(a.get(), "libarchive failed"));
  }
  return out;
}

}  // namespace wasmcloud::provider
