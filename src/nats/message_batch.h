// Destroys libnats messages in batches.
//
// libnats hands every destroyed message to its garbage-collector thread and wakes that
// thread whenever its list was empty: on a host that is not saturated, one wake-up (two
// context switches, often with a contended lock) per message, which on a 2-core VM cost
// more CPU than the rest of a request/reply (docs/lattice.md, "libnats' collector thread").
// A MessageBatch holds up to kBatch small messages (≤ kSmall bytes of data each, 64 KiB in
// all) and destroys them together, so the collector wakes about once per batch; a larger
// message is destroyed at once. Not thread-safe: one per thread (or per loop).
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <cstddef>

namespace wasmcloud::nats {

// Set just before the library is closed at the process's exit (CloseLibraryAtExit): from
// then on libnats' own threads end, and a batch that ends with its thread (a thread_local
// one) leaves its messages to the exit instead of handing them to a collector that is
// being torn down.
inline std::atomic<bool> g_library_closing{false};

class MessageBatch {
 public:
  static constexpr size_t kBatch = 16;
  static constexpr int kSmall = 4096;

  MessageBatch() = default;
  ~MessageBatch() {
    if (!g_library_closing.load(std::memory_order_acquire)) Flush();
  }
  MessageBatch(const MessageBatch&) = delete;
  MessageBatch& operator=(const MessageBatch&) = delete;

  // Takes `m` (nullptr: nothing).
  void Destroy(natsMsg* m) {
    if (m == nullptr) return;
    if (natsMsg_GetDataLength(m) > kSmall) return natsMsg_Destroy(m);
    held_[count_++] = m;
    if (count_ == kBatch) Flush();
  }
  // Destroys what is held now.
  void Flush() {
    for (size_t i = 0; i < count_; ++i) natsMsg_Destroy(held_[i]);
    count_ = 0;
  }
  size_t held() const { return count_; }

 private:
  natsMsg* held_[kBatch] = {};
  size_t count_ = 0;
};

}  // namespace wasmcloud::nats
