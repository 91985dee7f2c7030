#include "oci/cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <system_error>

#include "core/private_dir.h"
#include "crypto/sha256.h"
#include "oci/reference.h"

namespace wasmcloud::oci {
namespace {

namespace fs = std::filesystem;

// The second line of a reference's file: when a registry resolved it.
constexpr std::string_view kResolvedKey = "resolved_unix_ms ";
constexpr std::string_view kPlainHttpLine = "over plain http";

// A reference as a file name: [A-Za-z0-9._-] kept, every other byte %XX. Long ones
// (file names stop at 255 bytes) are named by their hash instead.
std::string ReferenceFileName(const std::string& reference) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : reference) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (out.size() > 200 || out.front() == '.') {
    return "hash-" + Sha256Digest(AsBytes(reference)).substr(7);
  }
  return out;
}

}  // namespace

std::string Sha256Digest(ByteView data) {
  crypto::Sha256Digest d = crypto::Sha256(data);
  return "sha256:" + HexEncode(d);
}

Status WriteFileAtomically(const std::string& path, ByteView data) {
  std::error_code ec;
  fs::path target(path);
  fs::create_directories(target.parent_path(), ec);
  if (ec) {
    return Unavailable("cannot create " + target.parent_path().string() + ": " + ec.message());
  }
  return WriteFile(path, data, 0644);
}

std::string Cache::BlobPath(const std::string& digest) const {
  // Only well-formed digests reach here; anything else gets a name that cannot exist.
  if (!IsSha256Digest(digest)) return root_ + "/sha256/invalid";
  return root_ + "/sha256/" + digest.substr(7);
}

std::optional<ReferenceRecord> Cache::LookupReferenceRecord(const std::string& reference) const {
  auto text = ReadFile(root_ + "/refs/" + ReferenceFileName(reference));
  if (!text.ok()) return std::nullopt;
  std::string_view rest = AsChars(*text);
  auto next_line = [&rest]() {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  ReferenceRecord record;
  record.digest = std::string(next_line());
  if (!IsSha256Digest(record.digest)) return std::nullopt;
  // The time, when written (an older version wrote the digest alone).
  std::string_view line = next_line();
  if (line.starts_with(kResolvedKey) && line.size() > kResolvedKey.size() &&
      line.size() <= kResolvedKey.size() + 18) {
    std::string_view digits = line.substr(kResolvedKey.size());
    int64_t ms = 0;
    bool ok = true;
    for (char c : digits) {
      if (c < '0' || c > '9') ok = false;
      ms = ms * 10 + (c - '0');
    }
    if (ok) {
      record.resolved_at = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::milliseconds(ms)));
    }
  }
  record.plain_http = next_line() == kPlainHttpLine;
  return record;
}

std::optional<std::string> Cache::LookupReference(const std::string& reference) const {
  auto record = LookupReferenceRecord(reference);
  if (!record) return std::nullopt;
  return std::move(record->digest);
}

Status Cache::RecordReference(const std::string& reference, const std::string& digest,
                              std::chrono::system_clock::time_point resolved_at,
                              bool plain_http) const {
  WC_RETURN_IF_ERROR(EnsurePrivateDirectory(root_, "OCI cache"));
  int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(resolved_at.time_since_epoch()).count();
  if (ms < 0) ms = 0;
  return WriteFileAtomically(
      root_ + "/refs/" + ReferenceFileName(reference),
      AsBytes(digest + "\n" + std::string(kResolvedKey) + std::to_string(ms) + "\n" +
              (plain_http ? std::string(kPlainHttpLine) + "\n" : std::string())));
}

std::optional<Bytes> Cache::ReadBlob(const std::string& digest) const {
  if (!IsSha256Digest(digest)) return std::nullopt;
  std::string path = BlobPath(digest);
  auto data = ReadFile(path);
  if (!data.ok()) return std::nullopt;
  if (Sha256Digest(*data) != digest) {
    ::unlink(path.c_str());
    return std::nullopt;
  }
  return std::move(*data);
}

Status Cache::WriteBlob(const std::string& digest, ByteView data) const {
  if (!IsSha256Digest(digest)) return InvalidArgument("not a sha256 digest: " + digest);
  WC_RETURN_IF_ERROR(EnsurePrivateDirectory(root_, "OCI cache"));
  return WriteFileAtomically(BlobPath(digest), data);
}

Result<Removed> RemoveDirectory(const std::string& dir) {
  Removed removed;
  std::error_code ec;
  auto status = fs::symlink_status(dir, ec);
  if (ec || !fs::exists(status)) return removed;
  removed.existed = true;
  if (fs::is_directory(status)) {
    for (auto it = fs::recursive_directory_iterator(dir, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_regular_file(ec) && !it->is_symlink(ec)) {
        ++removed.files;
        removed.bytes += it->file_size(ec);
      }
    }
  }
  ec.clear();
  fs::remove_all(dir, ec);
  if (ec) return Unavailable("cannot remove " + dir + ": " + ec.message());
  return removed;
}

}  // namespace wasmcloud::oci
