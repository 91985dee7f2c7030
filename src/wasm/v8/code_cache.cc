#include "wasm/v8/code_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <vector>

#include "core/log.h"
#include "core/private_dir.h"
#include "crypto/sha256.h"

namespace wasmcloud::wasm::v8backend {
namespace {

constexpr char kMagic[8] = {'W', 'C', 'V', '8', 'C', 'O', 'D', 'E'};
constexpr std::string_view kLog = "wasm";
constexpr std::string_view kTempMarker = ".tmp.";

void PutLe(uint8_t* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t GetLe(const uint8_t* in, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(in[i]) << (8 * i);
  return v;
}

// Closes a descriptor on every path out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool ReadAll(int fd, uint8_t* out, size_t size) {
  while (size > 0) {
    ssize_t n = ::read(fd, out, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    out += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool WriteAll(int fd, const uint8_t* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<CodeCache>> CodeCache::Open(const std::string& dir,
                                                   std::string_view engine_description,
                                                   uint64_t max_bytes) {
  WC_RETURN_IF_ERROR(EnsurePrivateDirectory(dir, "code cache"));
  const crypto::Sha256Digest tag = crypto::Sha256(AsBytes(engine_description));
  return std::unique_ptr<CodeCache>(new CodeCache(dir, tag, max_bytes));
}

CodeCache::CodeCache(std::string dir, const std::array<uint8_t, 32>& tag, uint64_t max_bytes)
    : dir_(std::move(dir)), tag_(tag), max_bytes_(max_bytes) {}

std::string CodeCache::PathFor(const CodeKey& key) const {
  return dir_ + "/" + HexEncode(ByteView(key.data(), key.size())) + "." +
         HexEncode(ByteView(tag_.data(), 8)) + std::string(kSuffix);
}

void CodeCache::Refuse(const std::string& path, std::string_view reason) {
  rejected_.fetch_add(1);
  Log(LogLevel::kWarn, kLog,
      "code cache file " + path + " refused (" + std::string(reason) +
          "); removed, the module is compiled instead");
  ::unlink(path.c_str());
}

std::optional<Bytes> CodeCache::Load(const CodeKey& key) {
  const std::string path = PathFor(key);
  Fd file{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)};
  if (file.fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    if (errno == ELOOP) {
      Refuse(path, "it is a symbolic link");
    } else {
      Log(LogLevel::kWarn, kLog,
          "code cache file " + path + " cannot be opened: " + std::strerror(errno));
    }
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return std::nullopt;
  if (!S_ISREG(st.st_mode)) {
    // Not unlinked: rmdir/unlink of whatever it is would be a surprise; it is only skipped.
    rejected_.fetch_add(1);
    Log(LogLevel::kWarn, kLog, "code cache entry " + path + " is not a regular file; ignored");
    return std::nullopt;
  }
  if (st.st_uid != ::geteuid()) {
    Refuse(path, "owned by uid " + std::to_string(st.st_uid) + ", not this user");
    return std::nullopt;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < kHeaderSize) {
    Refuse(path, "shorter than its header: " + std::to_string(size) + " bytes");
    return std::nullopt;
  }
  if (size - kHeaderSize > max_bytes_) {
    Refuse(path, "larger than the cache's bound");
    return std::nullopt;
  }
  uint8_t header[kHeaderSize];
  if (!ReadAll(file.fd, header, kHeaderSize)) {
    Refuse(path, "its header cannot be read");
    return std::nullopt;
  }
  if (std::memcmp(header, kMagic, sizeof kMagic) != 0) {
    Refuse(path, "not a code cache file");
    return std::nullopt;
  }
  if (GetLe(header + 8, 4) != kFormatVersion || GetLe(header + 12, 4) != kHeaderSize) {
    Refuse(path, "format " + std::to_string(GetLe(header + 8, 4)) + ", not " +
                     std::to_string(kFormatVersion));
    return std::nullopt;
  }
  if (std::memcmp(header + 16, tag_.data(), tag_.size()) != 0) {
    Refuse(path,
           "written by another engine (V8 version, libnode build, V8 flags or trap "
           "handler differ)");
    return std::nullopt;
  }
  if (std::memcmp(header + 48, key.data(), key.size()) != 0) {
    Refuse(path, "it holds the code of another module");
    return std::nullopt;
  }
  const uint64_t payload_size = GetLe(header + 80, 8);
  if (payload_size != size - kHeaderSize) {
    Refuse(path, "truncated or extended: the header says " + std::to_string(payload_size) +
                     " bytes of code, the file has " + std::to_string(size - kHeaderSize));
    return std::nullopt;
  }
  Bytes payload(static_cast<size_t>(payload_size));
  if (!ReadAll(file.fd, payload.data(), payload.size())) {
    Refuse(path, "its code cannot be read");
    return std::nullopt;
  }
  const crypto::Sha256Digest digest = crypto::Sha256(payload);
  if (std::memcmp(header + 88, digest.data(), digest.size()) != 0) {
    Refuse(path, "its code does not match its digest (corrupt)");
    return std::nullopt;
  }
  ::futimens(file.fd, nullptr);  // recently used: evicted last
  return payload;
}

void CodeCache::Reject(const CodeKey& key, std::string_view reason) {
  Refuse(PathFor(key), reason);
}

void CodeCache::MakeRoom(uint64_t incoming) {
  struct Entry {
    std::string path;
    uint64_t size;
    timespec mtime;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  const time_t now = ::time(nullptr);
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    const bool temp = name.find(kTempMarker) != std::string_view::npos;
    if (!temp && !name.ends_with(kSuffix)) continue;  // not ours: left alone
    std::string path = dir_ + "/" + std::string(name);
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (temp) {
      // A writer that died between create and rename; live writers take milliseconds.
      if (now - st.st_mtim.tv_sec > 3600) ::unlink(path.c_str());
      continue;
    }
    total += static_cast<uint64_t>(st.st_size);
    entries.push_back({std::move(path), static_cast<uint64_t>(st.st_size), st.st_mtim});
  }
  ::closedir(d);
  if (total + incoming <= max_bytes_) return;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.mtime.tv_sec != b.mtime.tv_sec ? a.mtime.tv_sec < b.mtime.tv_sec
                                            : a.mtime.tv_nsec < b.mtime.tv_nsec;
  });
  for (const Entry& e : entries) {
    if (total + incoming <= max_bytes_) break;
    if (::unlink(e.path.c_str()) == 0 || errno == ENOENT) total -= e.size;
  }
}

Status CodeCache::Store(const CodeKey& key, ByteView payload) {
  const uint64_t file_size = kHeaderSize + payload.size();
  if (file_size > max_bytes_) {
    Log(LogLevel::kDebug, kLog,
        "compiled code of " + std::to_string(payload.size()) +
            " bytes not cached: above the code cache's bound");
    return Status::Ok();
  }
  uint8_t header[kHeaderSize] = {};
  std::memcpy(header, kMagic, sizeof kMagic);
  PutLe(header + 8, kFormatVersion, 4);
  PutLe(header + 12, kHeaderSize, 4);
  std::memcpy(header + 16, tag_.data(), tag_.size());
  std::memcpy(header + 48, key.data(), key.size());
  PutLe(header + 80, payload.size(), 8);
  const crypto::Sha256Digest digest = crypto::Sha256(payload);
  std::memcpy(header + 88, digest.data(), digest.size());

  std::lock_guard<std::mutex> lock(store_mu_);
  MakeRoom(file_size);
  const std::string path = PathFor(key);
  const std::string temp = path + std::string(kTempMarker) + std::to_string(::getpid()) + "." +
                           std::to_string(temp_counter_.fetch_add(1));
  {
    Fd file{::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
    if (file.fd < 0) {
      return Unavailable("cannot create " + temp + ": " + std::strerror(errno));
    }
    if (!WriteAll(file.fd, header, sizeof header) ||
        !WriteAll(file.fd, payload.data(), payload.size())) {
      const int err = errno;
      ::unlink(temp.c_str());
      return Unavailable("cannot write " + temp + ": " + std::strerror(err));
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return Unavailable("cannot rename " + temp + " to " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace wasmcloud::wasm::v8backend
