// A key-value bucket with revisions and a watch, without any transport header (the
// shape of NATS JetStream key-value). Implemented in process by MemoryKvBucket
// (memory_kv_bucket.h) and over JetStream by src/nats/.
//
// Keys: 1-255 bytes of [A-Za-z0-9_=/.-], not starting or ending with '.', no "..".
// Thread-safety: every method may be called from any thread, also from a watch handler.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::lattice {

struct KvEntry {
  std::string key;
  Bytes value;
  uint64_t revision = 0;  // the bucket's sequence number of this write; grows across keys
};

struct KvEvent {
  enum class Kind {
    kPut,
    kDelete,
    // Every value the bucket held when the watch started has been delivered (there may
    // have been none); what follows are changes made after that.
    kInitialValuesDone,
    // A restarted watch: the bucket was lost (JetStream: its stream was deleted) and
    // exists again, emptied, or partly re-filled by other clients. Revisions start over.
    // What follows are the values it holds now, as initial values (and, unlike a first
    // start's, a kDelete for each key whose latest write in the new bucket deleted it:
    // a reader that kept what it had read, a mirror, learns what was deleted there), then
    // kInitialValuesDone again, then its changes. (Such a reader may put back what the
    // bucket no longer has, with Restore.)
    kRestarted,
  };
  Kind kind = Kind::kPut;
  std::string key;
  Bytes value;            // kPut only
  uint64_t revision = 0;  // kPut and kDelete
  // kPut and kDelete: when the bucket stored it, Unix nanoseconds (the server's clock);
  // 0 when unknown.
  int64_t created_unix_ns = 0;
};

using KvWatchHandler = std::function<void(const KvEvent& event)>;

// An active watch. Destroying it stops it: once the destructor returns, its handler is
// not running and is never called again (from inside the handler: returns at once).
class KvWatch {
 public:
  virtual ~KvWatch() = default;
};

// Ok when `key` is a valid key (above); kInvalidArgument saying why not.
Status ValidateKvKey(std::string_view key);

class KvBucket {
 public:
  virtual ~KvBucket() = default;

  virtual std::string name() const = 0;

  // The current value of `key`; nullopt when absent or deleted.
  virtual Result<std::optional<KvEntry>> Get(std::string_view key) = 0;
  // Writes `value`; returns its revision once the write is durable (JetStream: acked).
  virtual Result<uint64_t> Put(std::string_view key, ByteView value) = 0;
  // Writes `value` only when `key` is absent or deleted; kAlreadyExists otherwise.
  virtual Result<uint64_t> Create(std::string_view key, ByteView value) = 0;
  // Deletes `key` (a delete marker with its own revision, returned). Deleting an absent
  // key still writes a marker and succeeds.
  virtual Result<uint64_t> Delete(std::string_view key) = 0;
  // Writes `value` only when the bucket holds nothing at all for `key`, not even a delete
  // marker (which Create writes over); kAlreadyExists otherwise. For putting back what a
  // lost bucket held without undoing a delete made in the new bucket meanwhile.
  virtual Result<uint64_t> Restore(std::string_view key, ByteView value) = 0;

  // Checks now, rather than at the next periodic check, whether the bucket was lost and
  // created again behind this handle's watches (JetStream: whether its stream is still the
  // one they read); when it was, they start over at once. For a caller with a reason to
  // think so. A bucket that cannot be replaced unnoticed does nothing.
  virtual void CheckReplaced() {}

  // Watches every key: the handler gets, on a transport thread, one at a time and in
  // revision order, a kPut for each key's current value, then kInitialValuesDone, then
  // every kPut and kDelete made afterwards, except that a watch that fell behind may skip
  // a value the bucket no longer keeps (JetStream keeps `history` values per key): only
  // values their key has since replaced, never a key's latest write. When the bucket is lost and
  // comes back (an implementation that can lose it recreates it), the watch restarts: kRestarted,
  // then the initial values again and kInitialValuesDone, then changes, with revisions started
  // over. Errors for writes: kInvalidArgument for a bad key, kResourceExhausted for a
  // value over the bucket's limit, kUnavailable when the bucket cannot be reached (also a
  // write that found the bucket lost: it is not retried; the next one goes to the
  // recreated bucket): not written; kDeadlineExceeded "… it may have been written" when
  // the write went out and no acknowledgement came back (a timeout, a disconnect).
  virtual Result<std::unique_ptr<KvWatch>> Watch(KvWatchHandler handler) = 0;
};

}  // namespace wasmcloud::lattice
