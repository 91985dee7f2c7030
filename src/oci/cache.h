// The artefact cache on disk (docs/oci.md#cache): blobs by digest and an index from
// references to manifest digests.
//
//   <root>/sha256/<64 hex>     a manifest or layer, named by the sha256 of its bytes
//   <root>/refs/<escaped ref>  the manifest digest a reference resolved to, and when:
//                              "sha256:<hex>\nresolved_unix_ms <ms>\n"
//
// Blobs are immutable, so a blob found is reused; it is hashed again when read, and one
// that does not match its name (a disk error, a hand edit) is removed and counts as
// absent. Every write goes to a uniquely named temporary file in the same directory and
// is renamed into place, so concurrent readers and writers (threads or processes) never
// see half a file. The root is this user's alone (core/private_dir.h): made 0700 at the
// first write, and one that another user owns or can write is refused (the client checks
// it before reading), since a planted blob or reference would be trusted.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::oci {

// What the cache records for a reference.
struct ReferenceRecord {
  std::string digest;  // the manifest digest, "sha256:<hex>"
  // When a registry said the reference names `digest`. nullopt for a record without a
  // (readable) time, as versions before the tag TTL wrote them: it counts as expired.
  std::optional<std::chrono::system_clock::time_point> resolved_at;
  // The registry said so over plain HTTP (--allowed-insecure): a host that does not allow
  // that for the registry does not take this record's word (a cache may be shared).
  bool plain_http = false;
};

class Cache {
 public:
  explicit Cache(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }

  // The record of `reference` (its canonical text), or nullopt when there is none or its
  // digest is not a sha256 digest.
  std::optional<ReferenceRecord> LookupReferenceRecord(const std::string& reference) const;
  // The manifest digest recorded for `reference`, or nullopt.
  std::optional<std::string> LookupReference(const std::string& reference) const;
  // Records (or replaces, atomically) the manifest digest of `reference` and when a
  // registry gave it. kUnavailable when the file system refuses.
  Status RecordReference(
      const std::string& reference, const std::string& digest,
      std::chrono::system_clock::time_point resolved_at = std::chrono::system_clock::now(),
      bool plain_http = false) const;

  // The blob's bytes when present and matching `digest` ("sha256:<hex>"); nullopt when
  // absent, unreadable or corrupt (a corrupt file is removed).
  std::optional<Bytes> ReadBlob(const std::string& digest) const;
  // Stores a blob; the caller has checked that `data` hashes to `digest`.
  Status WriteBlob(const std::string& digest, ByteView data) const;

  // Where a blob is stored (whether or not it is there).
  std::string BlobPath(const std::string& digest) const;

 private:
  std::string root_;
};

// "sha256:" + lowercase hex of the SHA-256 of `data`.
std::string Sha256Digest(ByteView data);

// Writes `data` to `path` atomically (core::WriteFile, mode 0644), making the
// directories as needed.
Status WriteFileAtomically(const std::string& path, ByteView data);

// What RemoveDirectory removed.
struct Removed {
  bool existed = false;
  uint64_t files = 0;
  uint64_t bytes = 0;
};
// Removes a cache directory and everything under it (symbolic links are removed, not
// followed). A directory that does not exist is not an error.
Result<Removed> RemoveDirectory(const std::string& dir);

}  // namespace wasmcloud::oci
