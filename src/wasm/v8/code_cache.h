// The compiled-code cache of the V8 backend on disk: one file per module, named by the
// SHA-256 of the module's code (the stripped, capped bytes that V8 compiles) and a tag of
// the engine that wrote it. The payload is what V8's CompiledWasmModule::Serialize()
// wrote; this file knows nothing of V8 and checks a header of its own before anyone
// trusts a byte (docs/architecture.md#compiled-code-keyed-by-the-code-cached-across-
// restarts-optimised-in-the-background):
//
//   offset  size  field
//   0       8     magic "WCV8CODE"
//   8       4     format version, little-endian (1)
//   12      4     header size, little-endian (120)
//   16      32    engine tag: SHA-256 of the engine description (V8 version, libnode build,
//                 V8 flags, trap handler)
//   48      32    code key: SHA-256 of the wasm bytes the payload was compiled from
//   80      8     payload size, little-endian
//   88      32    SHA-256 of the payload
//   120     ...   payload
//
// Thread-safe; several processes of one user may share a directory (files are written
// to a temporary name and renamed into place).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::wasm::v8backend {

using CodeKey = std::array<uint8_t, 32>;

class CodeCache {
 public:
  static constexpr size_t kHeaderSize = 120;
  static constexpr uint32_t kFormatVersion = 1;
  static constexpr std::string_view kSuffix = ".v8code";

  // Makes or checks `dir` (EnsurePrivateDirectory: mode 0700, this user's, nobody else
  // can write it; kPermissionDenied naming the reason otherwise). `engine_description`
  // is hashed into the engine tag; `max_bytes` bounds the files of this tag and others
  // together.
  static Result<std::unique_ptr<CodeCache>> Open(const std::string& dir,
                                                 std::string_view engine_description,
                                                 uint64_t max_bytes);

  // The payload stored for `key`, or nullopt: no file, or a file refused (not a regular
  // file of this user, bad magic or format, another engine's tag, another key, wrong
  // size, digest mismatch); a refused file is removed and the reason logged. A hit sets
  // the file's modification time to now (the eviction order).
  std::optional<Bytes> Load(const CodeKey& key);
  // Removes the file of `key`: V8 refused its payload. `reason` is logged.
  void Reject(const CodeKey& key, std::string_view reason);
  // Writes the payload of `key`, first removing the oldest files of the directory until
  // it fits in the bound. A payload larger than the bound is not written (Ok).
  Status Store(const CodeKey& key, ByteView payload);

  // The path of `key`'s file: <dir>/<key hex>.<first 8 bytes of the tag in hex>.v8code.
  std::string PathFor(const CodeKey& key) const;
  const std::string& dir() const { return dir_; }
  // Files refused by Load or Reject since the cache was opened.
  uint64_t rejected() const { return rejected_.load(); }

 private:
  CodeCache(std::string dir, const std::array<uint8_t, 32>& tag, uint64_t max_bytes);
  // Removes the oldest files until `incoming` more bytes fit in max_bytes_; also removes
  // temporary files left by writers that died (older than an hour).
  void MakeRoom(uint64_t incoming);
  void Refuse(const std::string& path, std::string_view reason);

  const std::string dir_;
  const std::array<uint8_t, 32> tag_;
  const uint64_t max_bytes_;
  std::mutex store_mu_;  // one writer at a time per process (eviction scans)
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> temp_counter_{0};
};

}  // namespace wasmcloud::wasm::v8backend
