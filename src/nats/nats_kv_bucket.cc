#include "nats/nats_kv_bucket.h"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/log.h"

namespace wasmcloud::nats {
namespace {

using lattice::KvEntry;
using lattice::KvEvent;

constexpr std::string_view kLog = "nats";
constexpr const char* kOperationHeader = "KV-Operation";  // libnats' kvOpHeader
constexpr const char* kDeleteOperation = "DEL";
constexpr const char* kPurgeOperation = "PURGE";
// JetStream keeps at most this many values per key (libnats' kvMaxHistory).
constexpr int kMaxHistory = 64;
// How often Create retries when the key's last entry is a delete marker that keeps being
// replaced by another one while it tries.
constexpr int kCreateAttempts = 8;
// How long one kvWatcher_Next waits at most; the watch's thread just waits again (a stop
// wakes it), or checks the bucket's stream first when that is due.
constexpr int64_t kWatchWaitMs = 60 * 1000;
// How long a watch that cannot start over waits before it tries again (doubling).
constexpr std::chrono::milliseconds kRestartBackoffMin{250};
constexpr std::chrono::milliseconds kRestartBackoffMax{5000};
// No JetStream error (jsErrCode has no enumerator for it).
constexpr jsErrCode kNoJsError = static_cast<jsErrCode>(0);

const char* kJetStreamHint = "start nats-server with -js";

// Bucket names as JetStream accepts them (libnats' validBucketName).
bool ValidBucketName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The connection is down or the server did not answer: nothing on our side is wrong.
bool IsUnreachable(natsStatus s) {
  switch (s) {
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_NOT_YET_CONNECTED:
    case NATS_IO_ERROR:
    case NATS_STALE_CONNECTION:
    case NATS_NO_SERVER:
    case NATS_INSUFFICIENT_BUFFER:  // the reconnect buffer is full
    case NATS_DRAINING:
      return true;
    default:
      return false;
  }
}

bool IsLimit(jsErrCode code) {
  switch (code) {
    case JSStreamMessageExceedsMaximumErr:
    case JSInsufficientResourcesErr:
    case JSStorageResourcesExceededErr:
    case JSMemoryResourcesExceededErr:
    case JSStreamLimitsErr:
      return true;
    default:
      return false;
  }
}

// Passwords and tokens redacted.
std::string Servers(const NatsConnection& connection) {
  return ServerList(connection.options().servers);
}

// libnats' reason, with the JetStream error code when there is one.
std::string Why(natsStatus s, jsErrCode code) {
  std::string why = NatsError(s);
  if (code != kNoJsError)
    why += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  return why;
}

// Owns a libnats object until the end of the scope.
template <typename T, void (*Destroy)(T*)>
struct Owned {
  T* p = nullptr;
  Owned() = default;
  explicit Owned(T* t) : p(t) {}
  ~Owned() { Reset(nullptr); }
  void Reset(T* t) {
    if (p != nullptr) Destroy(p);
    p = t;
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
};
using OwnedMsg = Owned<natsMsg, natsMsg_Destroy>;
using OwnedEntry = Owned<kvEntry, kvEntry_Destroy>;
using OwnedPubAck = Owned<jsPubAck, jsPubAck_Destroy>;
using OwnedStreamInfo = Owned<jsStreamInfo, jsStreamInfo_Destroy>;
using OwnedAccountInfo = Owned<jsAccountInfo, jsAccountInfo_Destroy>;

struct WatchState;

// The bound bucket: shared by the NatsKvBucket, its watches and their threads.
struct BucketState {
  BucketState(std::shared_ptr<NatsConnection> c, std::string n, NatsKvOptions o)
      : connection(std::move(c)), name(std::move(n)), options(std::move(o)) {}
  ~BucketState() {
    if (kv != nullptr) kvStore_Destroy(kv);
    if (js != nullptr) jsCtx_Destroy(js);
  }
  BucketState(const BucketState&) = delete;
  BucketState& operator=(const BucketState&) = delete;

  const std::shared_ptr<NatsConnection> connection;
  const std::string name;
  const NatsKvOptions options;
  std::string stream;          // KV_{name}
  std::string stream_subject;  // $KV.{name}. (keys follow)
  std::string put_prefix;      // what writes are published to: the above, behind the
                               // domain's API prefix when there is a domain (as libnats)
  jsCtx* js = nullptr;
  kvStore* kv = nullptr;  // names only: stays valid when the stream is created again
  // The bucket's limit on a message (headers included); 0 when it has none (then the
  // server's max_payload limits).
  std::atomic<size_t> max_message_size{0};

  // Which stream this handle uses: KV_{name}'s creation time, which identifies it (a
  // server restart keeps it; a stream deleted and created again has a new one), and how
  // many times it was found replaced. Watches restart when `generation` moves.
  std::mutex bind_mu;
  int64_t created = 0;  // guarded by bind_mu
  std::atomic<uint64_t> generation{0};
  std::mutex watches_mu;
  std::vector<std::weak_ptr<WatchState>> watches;  // guarded by watches_mu

  std::string Where() const { return "bucket " + name + " at NATS " + Servers(*connection); }

  // The error of a failed `what` ("writing k"), from libnats' status and JetStream's code.
  Status Failure(natsStatus s, jsErrCode code, const std::string& what) const {
    const std::string why = Why(s, code);
    if (IsLimit(code) || s == NATS_MAX_PAYLOAD) {
      return ResourceExhausted(what + " in " + Where() + ": " + why);
    }
    if (s == NATS_NO_RESPONDERS) {
      return Unavailable(what + " in " + Where() +
                         ": no JetStream stream answered (is JetStream enabled, and does the "
                         "bucket exist?)");
    }
    if (code == JSNotEnabledErr || code == JSNotEnabledForAccountErr) {
      return Unavailable(what + " in " + Where() + ": JetStream is not enabled (" + kJetStreamHint +
                         ")");
    }
    if (code == JSStreamNotFoundErr) {
      return Unavailable(what + " in " + Where() + ": the bucket does not exist any more");
    }
    if (IsUnreachable(s) || code == JSClusterNotAvailErr || code == JSClusterNotLeaderErr) {
      return Unavailable(what + " in " + Where() + ": " + why);
    }
    return Internal(what + " in " + Where() + ": " + why);
  }

  // A request made while disconnected would wait in libnats' reconnect buffer and might be
  // sent after it was reported as failed; fail it at once instead.
  Status CheckConnected(const std::string& what) const {
    if (connection->connected()) return Status::Ok();
    return Unavailable(what + " in " + Where() + ": not connected to NATS");
  }

  // What every write of a value checks first: the key, the value's size, the connection.
  Status CheckWrite(std::string_view key, ByteView value, const std::string& what) const {
    WC_RETURN_IF_ERROR(lattice::ValidateKvKey(key));
    WC_RETURN_IF_ERROR(CheckValue(key, value));
    return CheckConnected(what);
  }

  Status CheckValue(std::string_view key, ByteView value) const {
    size_t limit = connection->max_payload();
    const size_t bucket_limit = max_message_size.load(std::memory_order_relaxed);
    if (bucket_limit != 0 && bucket_limit < limit) limit = bucket_limit;
    if (value.size() <= limit) return Status::Ok();
    return ResourceExhausted("value of " + std::to_string(value.size()) + " bytes for key " +
                             std::string(key) + " is over the limit of " + Where() + " (" +
                             std::to_string(limit) + " bytes)");
  }

  // Publishes one entry of `key` and returns its sequence once JetStream acknowledged it.
  // `operation`: nullptr for a value, else the KV-Operation header (a marker).
  Result<uint64_t> Publish(std::string_view key, ByteView value, const char* operation,
                           const jsPubOptions& expect, jsErrCode* code, const std::string& what) {
    *code = kNoJsError;
    const uint64_t used = generation.load(std::memory_order_acquire);
    const std::string subject = put_prefix + std::string(key);
    natsMsg* raw = nullptr;
    natsStatus s =
        natsMsg_Create(&raw, subject.c_str(), nullptr, reinterpret_cast<const char*>(value.data()),
                       static_cast<int>(value.size()));
    OwnedMsg msg(raw);
    if (s == NATS_OK && operation != nullptr) {
      s = natsMsgHeader_Set(msg.p, kOperationHeader, operation);
    }
    if (s != NATS_OK) return Internal(what + ": cannot make the message: " + NatsError(s));
    jsPubOptions po = expect;
    po.MaxWait = options.timeout.count();
    jsPubAck* ack_raw = nullptr;
    s = js_PublishMsg(&ack_raw, js, msg.p, &po, code);
    OwnedPubAck ack(ack_raw);
    // No stream took it: the bucket may have been lost.
    if (s == NATS_NO_RESPONDERS || *code == JSStreamNotFoundErr) {
      return Lost(what, Failure(s, *code, what), used);
    }
    // Sent, and no acknowledgement came (in time, or before a disconnect failed the
    // request in flight): JetStream may well have stored it.
    if (s == NATS_TIMEOUT || s == NATS_CONNECTION_DISCONNECTED) {
      return DeadlineExceeded(what + " in " + Where() + ": sent, but not acknowledged (" +
                              NatsError(s) + "): it may have been written");
    }
    if (s != NATS_OK) return Failure(s, *code, what);
    if (ack.p == nullptr || ack.p->Sequence == 0) {
      return Internal(what + " in " + Where() + ": JetStream acknowledged without a sequence");
    }
    return ack.p->Sequence;
  }

  struct LastEntry {
    uint64_t revision = 0;
    bool deleted = false;  // a delete or purge marker
    Bytes value;
  };

  // The last entry of `key`, markers included; nullopt when the key has none.
  Result<std::optional<LastEntry>> Last(std::string_view key, const std::string& what) {
    const uint64_t used = generation.load(std::memory_order_acquire);
    const std::string subject = stream_subject + std::string(key);
    natsMsg* raw = nullptr;
    jsErrCode code = kNoJsError;
    natsStatus s = js_GetLastMsg(&raw, js, stream.c_str(), subject.c_str(), nullptr, &code);
    OwnedMsg msg(raw);
    // (libnats says NATS_NOT_FOUND also when the stream itself is gone.)
    if (code == JSStreamNotFoundErr) return Lost(what, Failure(s, code, what), used);
    if (s == NATS_NOT_FOUND || code == JSNoMessageFoundErr) return std::optional<LastEntry>();
    if (s != NATS_OK) return Failure(s, code, what);
    if (msg.p == nullptr) return Internal(what + " in " + Where() + ": no message");
    LastEntry entry;
    entry.revision = natsMsg_GetSequence(msg.p);
    const char* op = nullptr;
    if (natsMsgHeader_Get(msg.p, kOperationHeader, &op) == NATS_OK && op != nullptr) {
      entry.deleted =
          std::string_view(op) == kDeleteOperation || std::string_view(op) == kPurgeOperation;
    }
    const char* data = natsMsg_GetData(msg.p);
    int len = natsMsg_GetDataLength(msg.p);
    if (!entry.deleted && data != nullptr && len > 0) {
      entry.value.assign(reinterpret_cast<const uint8_t*>(data),
                         reinterpret_cast<const uint8_t*>(data) + len);
    }
    return std::optional<LastEntry>(std::move(entry));
  }

  // KV_{name}'s info: NATS_NOT_FOUND (or JSStreamNotFoundErr) when it does not exist.
  natsStatus StreamInfo(OwnedStreamInfo* out, jsErrCode* code) const {
    jsStreamInfo* raw = nullptr;
    *code = kNoJsError;
    natsStatus s = js_GetStreamInfo(&raw, js, stream.c_str(), nullptr, code);
    out->Reset(raw);
    return s;
  }

  static bool StreamMissing(natsStatus s, jsErrCode code) {
    return s == NATS_NOT_FOUND || code == JSStreamNotFoundErr;
  }

  // Takes `si` as the stream this handle uses. bind_mu held.
  Status Adopt(const OwnedStreamInfo& si) {
    if (si.p == nullptr || si.p->Config == nullptr) {
      return Internal("binding " + Where() + ": JetStream sent no stream configuration");
    }
    if (si.p->Config->MaxMsgsPerSubject < 1) {
      return FailedPrecondition("binding " + Where() + ": stream " + stream +
                                " is not a key-value bucket (no per-key history)");
    }
    int32_t max_msg = si.p->Config->MaxMsgSize;
    max_message_size.store(max_msg > 0 ? static_cast<size_t>(max_msg) : 0,
                           std::memory_order_relaxed);
    created = si.p->Created;
    return Status::Ok();
  }

  // Binds the bucket, creating it with `options` when it does not exist: Open, and again
  // when it was lost. Another client may create it first (with other settings, which
  // js_CreateKeyValue refuses): then that one is bound as it is. bind_mu held.
  Status BindOrCreate() {
    OwnedStreamInfo si;
    jsErrCode code = kNoJsError;
    natsStatus s = StreamInfo(&si, &code);
    if (StreamMissing(s, code)) {
      kvConfig cfg;
      kvConfig_Init(&cfg);
      cfg.Bucket = name.c_str();
      cfg.History = static_cast<uint8_t>(options.history);
      cfg.Replicas = options.replicas;
      cfg.MaxValueSize = static_cast<int32_t>(options.max_value_size);
      cfg.StorageType = js_FileStorage;
      kvStore* made = nullptr;
      s = js_CreateKeyValue(&made, js, &cfg);
      if (s == NATS_OK) {
        if (kv == nullptr) {
          kv = made;
        } else {
          kvStore_Destroy(made);  // the same names as the handle this state has
        }
      }
      // Read what is there now: the new bucket, or one that another client created meanwhile.
      const std::string why = s == NATS_OK ? "" : NatsError(s);
      natsStatus bound = StreamInfo(&si, &code);
      if (s != NATS_OK && bound != NATS_OK) {
        if (IsUnreachable(s)) return Unavailable("creating " + Where() + ": " + why);
        return FailedPrecondition("creating " + Where() + ": JetStream refused it: " + why);
      }
      if (bound != NATS_OK) return Failure(bound, code, "reading the settings of the new bucket");
    } else if (s != NATS_OK) {
      return Failure(s, code, "binding");
    }
    return Adopt(si);
  }

  // Checks that KV_{name} is still the stream this handle uses. When it is gone, creates
  // the bucket again (BindOrCreate); when another client did that already, takes that one.
  // Either way `generation` moves and the watches start over. True when it moved; an
  // error when JetStream cannot tell (not connected, JetStream down).
  Result<bool> Ensure(const std::string& cause) {
    std::lock_guard lock(bind_mu);
    WC_RETURN_IF_ERROR(CheckConnected("checking"));
    OwnedStreamInfo si;
    jsErrCode code = kNoJsError;
    natsStatus s = StreamInfo(&si, &code);
    if (s == NATS_OK) {
      if (si.p != nullptr && si.p->Created == created) return false;
      WC_RETURN_IF_ERROR(Adopt(si));
      Log(LogLevel::kWarn, kLog,
          Where() + " was lost and has been created again by another client (noticed by " + cause +
              "); its watches start over");
    } else if (StreamMissing(s, code)) {
      Log(LogLevel::kWarn, kLog,
          Where() + " was lost (" + cause + ": its stream " + stream +
              " does not exist); creating it again with the settings it was opened with");
      Status made = BindOrCreate();
      if (!made.ok()) {
        Log(LogLevel::kError, kLog, "cannot create " + Where() + " again: " + made.message());
        return made;
      }
      Log(LogLevel::kWarn, kLog, "created " + Where() + " again; its watches start over");
    } else {
      return Failure(s, code, "checking");
    }
    generation.fetch_add(1, std::memory_order_acq_rel);
    WakeWatches();
    return true;
  }

  // The error of a call (`failure`) that found no stream while this handle used
  // generation `used`: checks the stream, creating the bucket again when it is gone. The
  // call is not retried; when the bucket was lost, its error says so.
  Status Lost(const std::string& what, Status failure, uint64_t used) {
    (void)Ensure(what + " finding no stream");
    if (generation.load(std::memory_order_acquire) == used) return failure;
    return Unavailable(what + " in " + Where() + ": the bucket was lost (its stream " + stream +
                       " was deleted) and has been created again, empty: not done, try again");
  }

  // Interrupts every watch whose watcher reads an older stream (defined below).
  void WakeWatches();
};

// One watch: its libnats watcher, its handler and the thread that connects them.
struct WatchState {
  WatchState(std::shared_ptr<BucketState> b, lattice::KvWatchHandler h, kvWatcher* kw, uint64_t g)
      : bucket(std::move(b)), handler(std::move(h)), watcher(kw), generation(g) {}
  ~WatchState() {
    if (watcher != nullptr) kvWatcher_Destroy(watcher);
  }
  WatchState(const WatchState&) = delete;
  WatchState& operator=(const WatchState&) = delete;

  // Stops kvWatcher_Next when the watcher reads an older stream than `current`.
  void InterruptIfOlder(uint64_t current) {
    std::lock_guard lock(mu);
    // A stopped watch: its destructor stops the watcher (which may wait, during an outage).
    if (stopped.load(std::memory_order_acquire)) return;
    if (generation != current && watcher != nullptr) kvWatcher_Stop(watcher);
    cv.notify_all();
  }

  // The bucket's state: the connection stays open while a watch lives, also when the
  // NatsKvBucket object is gone.
  const std::shared_ptr<BucketState> bucket;
  const lattice::KvWatchHandler handler;
  std::atomic<bool> stopped{false};
  // Guards the two below against other threads; only the watch's thread replaces them
  // (and reads them without the lock). Also wakes a thread that waits before retrying.
  std::mutex mu;
  std::condition_variable cv;
  kvWatcher* watcher;
  uint64_t generation;  // the bucket's generation the watcher reads
};

void BucketState::WakeWatches() {
  const uint64_t current = generation.load(std::memory_order_acquire);
  std::vector<std::shared_ptr<WatchState>> live;
  {
    std::lock_guard lock(watches_mu);
    for (auto it = watches.begin(); it != watches.end();) {
      if (std::shared_ptr<WatchState> w = it->lock()) {
        live.push_back(std::move(w));
        ++it;
      } else {
        it = watches.erase(it);
      }
    }
  }
  for (const auto& w : live) w->InterruptIfOlder(current);
}

// Turns one entry into the event to deliver; nullopt when there is nothing to deliver.
// During a first start's initial values, a delete marker is skipped (the key is simply
// absent), unless its key was delivered earlier in this same phase: writes made while the
// initial values are read may be counted among them (libnats counts from the first
// entry's pending count), and after a reconnect the ordered consumer resumes by sequence,
// which may bring older entries of a key before its delete. After a restart (`restarted`)
// every marker is delivered: the reader's mirror may still hold the key.
std::optional<KvEvent> ToEvent(kvEntry* e, bool initial, bool restarted,
                               std::unordered_set<std::string>* initial_keys) {
  const char* key = kvEntry_Key(e);
  if (key == nullptr || *key == '\0') return std::nullopt;
  KvEvent event;
  event.key = key;
  event.revision = kvEntry_Revision(e);
  event.created_unix_ns = kvEntry_Created(e);
  switch (kvEntry_Operation(e)) {
    case kvOp_Put: {
      event.kind = KvEvent::Kind::kPut;
      const auto* data = static_cast<const uint8_t*>(kvEntry_Value(e));
      int len = kvEntry_ValueLen(e);
      if (data != nullptr && len > 0) event.value.assign(data, data + len);
      if (initial) initial_keys->insert(event.key);
      return event;
    }
    case kvOp_Delete:
    case kvOp_Purge:
      if (initial && initial_keys->erase(event.key) == 0 && !restarted) return std::nullopt;
      event.kind = KvEvent::Kind::kDelete;
      return event;
    default:
      return std::nullopt;
  }
}

// Waits `delay` on the watch's condition; false when the watch was stopped.
bool Pause(WatchState& w, std::chrono::milliseconds delay) {
  std::unique_lock lock(w.mu);
  return !w.cv.wait_for(lock, delay, [&] { return w.stopped.load(std::memory_order_acquire); });
}

// Replaces the watch's watcher by a new one on the bucket's current stream (trying again,
// with backoff, until it can); false when the watch was stopped meanwhile.
bool StartOver(WatchState& w) {
  BucketState& b = *w.bucket;
  std::chrono::milliseconds backoff = kRestartBackoffMin;
  for (;;) {
    if (w.stopped.load(std::memory_order_acquire)) return false;
    const uint64_t current = b.generation.load(std::memory_order_acquire);
    Status failed = b.CheckConnected("watching");
    kvWatcher* fresh = nullptr;
    if (failed.ok()) {
      natsStatus s = kvStore_WatchAll(&fresh, b.kv, nullptr);
      if (s != NATS_OK) {
        fresh = nullptr;
        failed = b.Failure(s, kNoJsError, "watching");
      }
    }
    if (fresh != nullptr) {
      kvWatcher* old = nullptr;
      {
        std::lock_guard lock(w.mu);
        if (w.stopped.load(std::memory_order_acquire)) {
          old = fresh;
        } else {
          old = w.watcher;
          w.watcher = fresh;
          w.generation = current;
        }
      }
      kvWatcher_Destroy(old);
      if (old == fresh) return false;
      Log(LogLevel::kInfo, kLog, "the watch of " + b.Where() + " started over");
      return true;
    }
    Log(LogLevel::kWarn, kLog,
        "the watch of " + b.Where() + " cannot start over: " + failed.message() +
            "; trying again in " + std::to_string(backoff.count()) + " ms");
    (void)b.Ensure("a watch starting over");  // the bucket may be gone again
    if (!Pause(w, backoff)) return false;
    backoff = std::min(backoff * 2, kRestartBackoffMax);
  }
}

void RunWatch(const std::shared_ptr<WatchState>& ws) {
  WatchState& w = *ws;
  BucketState& b = *w.bucket;
  using Clock = std::chrono::steady_clock;
  bool initial = true;
  bool restarted = false;  // reading a stream that replaced the one this watch started on
  std::unordered_set<std::string> initial_keys;
  natsStatus last_error = NATS_OK;
  Clock::time_point next_check = Clock::now() + b.options.check_interval;
  while (!w.stopped.load(std::memory_order_acquire)) {
    if (b.generation.load(std::memory_order_acquire) != w.generation) {
      // The stream was replaced (the bucket was lost): read the new one from its start.
      if (!StartOver(w)) return;
      initial = true;
      restarted = true;
      initial_keys = {};
      last_error = NATS_OK;
      KvEvent marker;
      marker.kind = KvEvent::Kind::kRestarted;
      if (w.stopped.load(std::memory_order_acquire)) return;
      w.handler(marker);
      continue;
    }
    Clock::time_point now = Clock::now();
    if (now >= next_check) {
      // Is KV_{name} still the stream this watch reads? Nothing else tells: the watcher
      // just goes quiet when its stream is deleted. (Creates the bucket again when it is
      // gone; an error means JetStream cannot tell now.)
      Result<bool> checked = b.Ensure("a watch's check");
      if (!checked.ok()) {
        Log(LogLevel::kDebug, kLog,
            "the watch of " + b.Where() +
                " could not check its stream: " + checked.status().message());
      }
      next_check = Clock::now() + b.options.check_interval;
      continue;
    }
    const int64_t until_check =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_check - now).count() + 1;
    kvEntry* raw = nullptr;
    natsStatus s = kvWatcher_Next(&raw, w.watcher, std::min(kWatchWaitMs, until_check));
    OwnedEntry entry(raw);
    if (s == NATS_TIMEOUT) continue;
    if (s == NATS_ILLEGAL_STATE || s == NATS_CONNECTION_CLOSED || s == NATS_INVALID_SUBSCRIPTION) {
      if (w.stopped.load(std::memory_order_acquire)) return;
      // Interrupted to start over on a new stream.
      if (b.generation.load(std::memory_order_acquire) != w.generation) continue;
      // The connection was closed: nothing more will come.
      Log(LogLevel::kWarn, kLog, "the watch of " + b.Where() + " ended: " + NatsError(s));
      return;
    }
    if (s != NATS_OK) {
      // A message that is not a key-value entry (libnats says why); the next one may be.
      // The same error twice in a row waits a little, so that nothing spins.
      Log(LogLevel::kWarn, kLog,
          "the watch of " + b.Where() + " skipped an update: " + NatsError(s));
      if (s == last_error && !Pause(w, std::chrono::milliseconds(100))) return;
      last_error = s;
      continue;
    }
    last_error = NATS_OK;
    std::optional<KvEvent> event;
    if (entry.p == nullptr) {
      if (!initial) continue;  // libnats gives the marker once; be safe
      initial = false;
      initial_keys = {};
      event.emplace();
      event->kind = KvEvent::Kind::kInitialValuesDone;
    } else {
      event = ToEvent(entry.p, initial, restarted, &initial_keys);
      if (!event) continue;
    }
    if (w.stopped.load(std::memory_order_acquire)) return;
    w.handler(*event);
  }
}

class NatsKvWatch final : public lattice::KvWatch {
 public:
  explicit NatsKvWatch(std::shared_ptr<WatchState> state) : state_(std::move(state)) {}

  // Starts the thread; false when it cannot be started.
  bool Start() {
    try {
      thread_ = std::thread([state = state_] { RunWatch(state); });
      return true;
    } catch (const std::system_error&) {
      return false;
    }
  }

  ~NatsKvWatch() override {
    state_->stopped.store(true, std::memory_order_release);
    kvWatcher* watcher = nullptr;
    {
      // The watch's thread replaces its watcher only while not stopped (StartOver, under
      // mu), so this one stays until ~WatchState; stopped outside mu (it may take long).
      std::lock_guard lock(state_->mu);
      watcher = state_->watcher;
    }
    const BucketState& b = *state_->bucket;
    if (b.connection->reconnecting()) {
      // libnats deletes the watch's consumer with a JetStream request, which a disconnected
      // connection holds until it times out: say why the stop waits.
      Log(LogLevel::kInfo, kLog,
          "stopping the watch of " + b.Where() +
              " while disconnected from NATS: libnats waits for the deletion of its consumer "
              "(up to " +
              std::to_string(b.options.timeout.count()) + " ms)");
    }
    kvWatcher_Stop(watcher);  // wakes kvWatcher_Next
    state_->cv.notify_all();
    if (!thread_.joinable()) return;
    if (thread_.get_id() == std::this_thread::get_id()) {
      // From inside the handler: the thread sees `stopped` when the handler returns and
      // ends; it holds its own reference to the state.
      thread_.detach();
    } else {
      thread_.join();
    }
  }

 private:
  std::shared_ptr<WatchState> state_;
  std::thread thread_;
};

}  // namespace

struct NatsKvBucket::State : BucketState {
  using BucketState::BucketState;
};

Result<std::shared_ptr<NatsKvBucket>> NatsKvBucket::Open(std::shared_ptr<NatsConnection> connection,
                                                         std::string name, NatsKvOptions options) {
  if (!connection || connection->raw() == nullptr) {
    return InvalidArgument("bucket " + name + ": no NATS connection");
  }
  if (!ValidBucketName(name)) {
    return InvalidArgument("invalid bucket name \"" + name +
                           "\": use letters, digits, '_' and '-' only");
  }
  if (options.history < 1 || options.history > kMaxHistory) {
    return InvalidArgument("bucket " + name + ": history " + std::to_string(options.history) +
                           " is not within 1.." + std::to_string(kMaxHistory));
  }
  if (options.replicas < 1) {
    return InvalidArgument("bucket " + name + ": replicas must be at least 1");
  }
  if (options.max_value_size == 0 || options.max_value_size > INT32_MAX) {
    return InvalidArgument("bucket " + name + ": max value size " +
                           std::to_string(options.max_value_size) + " is not within 1.." +
                           std::to_string(INT32_MAX));
  }
  if (!options.domain.empty() && !ValidBucketName(options.domain)) {
    return InvalidArgument("bucket " + name + ": invalid JetStream domain \"" + options.domain +
                           "\": use letters, digits, '_' and '-' only");
  }
  if (options.timeout.count() <= 0) {
    return InvalidArgument("bucket " + name + ": the timeout must be positive");
  }
  if (options.check_interval.count() <= 0) {
    return InvalidArgument("bucket " + name + ": the check interval must be positive");
  }
  auto state = std::make_shared<State>(std::move(connection), std::move(name), options);
  State& st = *state;
  st.stream = "KV_" + st.name;
  st.stream_subject = "$KV." + st.name + ".";
  st.put_prefix = st.options.domain.empty()
                      ? st.stream_subject
                      : "$JS." + st.options.domain + ".API." + st.stream_subject;
  const std::string servers = Servers(*st.connection);

  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = st.options.timeout.count();
  if (!st.options.domain.empty()) jo.Domain = st.options.domain.c_str();
  natsStatus s = natsConnection_JetStream(&st.js, st.connection->raw(), &jo);
  if (s != NATS_OK) {
    st.js = nullptr;
    return Internal("JetStream context for NATS at " + servers + ": " + NatsError(s));
  }

  // Ask JetStream first, so that a server without it gets a clear error.
  {
    const std::string domain =
        st.options.domain.empty() ? "" : " (domain " + st.options.domain + ")";
    if (!st.connection->connected()) {
      return Unavailable("JetStream is not available at NATS " + servers + domain +
                         ": not connected");
    }
    jsAccountInfo* raw = nullptr;
    jsErrCode code = kNoJsError;
    s = js_GetAccountInfo(&raw, st.js, nullptr, &code);
    OwnedAccountInfo info(raw);
    if (s == NATS_NO_RESPONDERS || code == JSNotEnabledErr || code == JSNotEnabledForAccountErr) {
      if (!st.options.domain.empty()) {
        return Unavailable("JetStream is not enabled on NATS at " + servers + " for domain " +
                           st.options.domain + " (" + kJetStreamHint + ", and check the domain)");
      }
      return Unavailable("JetStream is not enabled on NATS at " + servers + " (" + kJetStreamHint +
                         ")");
    }
    if (s != NATS_OK) {
      return Unavailable("JetStream is not available at NATS " + servers + domain + ": " +
                         Why(s, code) + " (is the server running, with -js? " + kJetStreamHint +
                         ")");
    }
  }

  // Bind the bucket, or create it.
  {
    std::lock_guard lock(st.bind_mu);
    WC_RETURN_IF_ERROR(st.BindOrCreate());
  }
  if (st.kv == nullptr) {
    s = js_KeyValue(&st.kv, st.js, st.name.c_str());
    if (s != NATS_OK) {
      st.kv = nullptr;
      return st.Failure(s, kNoJsError, "binding");
    }
  }
  return std::shared_ptr<NatsKvBucket>(new NatsKvBucket(std::move(state)));
}

NatsKvBucket::~NatsKvBucket() = default;

std::string NatsKvBucket::name() const { return state_->name; }

Result<std::optional<lattice::KvEntry>> NatsKvBucket::Get(std::string_view key) {
  WC_RETURN_IF_ERROR(lattice::ValidateKvKey(key));
  const std::string what = "reading " + std::string(key);
  WC_RETURN_IF_ERROR(state_->CheckConnected(what));
  WC_ASSIGN_OR_RETURN(std::optional<State::LastEntry> last, state_->Last(key, what));
  if (!last || last->deleted) return std::optional<KvEntry>();
  return std::optional<KvEntry>(KvEntry{std::string(key), std::move(last->value), last->revision});
}

Result<uint64_t> NatsKvBucket::Put(std::string_view key, ByteView value) {
  const std::string what = "writing " + std::string(key);
  WC_RETURN_IF_ERROR(state_->CheckWrite(key, value, what));
  jsPubOptions po;
  jsPubOptions_Init(&po);
  jsErrCode code = kNoJsError;
  return state_->Publish(key, value, nullptr, po, &code, what);
}

Result<uint64_t> NatsKvBucket::Create(std::string_view key, ByteView value) {
  const std::string what = "creating " + std::string(key);
  WC_RETURN_IF_ERROR(state_->CheckWrite(key, value, what));
  // First expect no entry at all; when the key's last entry is a delete marker, expect
  // exactly that marker (the key may be created again after a delete).
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.ExpectNoMessage = true;
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    jsErrCode code = kNoJsError;
    Result<uint64_t> rev = state_->Publish(key, value, nullptr, po, &code, what);
    if (rev.ok() || code != JSStreamWrongLastSequenceErr) return rev;
    WC_ASSIGN_OR_RETURN(std::optional<State::LastEntry> last, state_->Last(key, what));
    if (last && !last->deleted) {
      return AlreadyExists("key " + std::string(key) + " already exists in bucket " + state_->name +
                           " (revision " + std::to_string(last->revision) + ")");
    }
    jsPubOptions_Init(&po);
    if (last) {
      po.ExpectLastSubjectSeq = last->revision;
    } else {
      po.ExpectNoMessage = true;  // its entries were purged meanwhile
    }
  }
  return Unavailable(what + " in " + state_->Where() +
                     ": the key kept changing while it was created; try again");
}

Result<uint64_t> NatsKvBucket::Restore(std::string_view key, ByteView value) {
  const std::string what = "restoring " + std::string(key);
  WC_RETURN_IF_ERROR(state_->CheckWrite(key, value, what));
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.ExpectNoMessage = true;  // no entry at all, a delete marker included
  jsErrCode code = kNoJsError;
  Result<uint64_t> rev = state_->Publish(key, value, nullptr, po, &code, what);
  if (rev.ok() || code != JSStreamWrongLastSequenceErr) return rev;
  return AlreadyExists("key " + std::string(key) + " was written in bucket " + state_->name +
                       " (it holds a value or a delete marker)");
}

void NatsKvBucket::CheckReplaced() {
  Result<bool> checked = state_->Ensure("a check asked for");
  if (!checked.ok()) {
    Log(LogLevel::kDebug, kLog,
        "cannot check the stream of " + state_->Where() + ": " + checked.status().message());
  }
}

Result<uint64_t> NatsKvBucket::Delete(std::string_view key) {
  WC_RETURN_IF_ERROR(lattice::ValidateKvKey(key));
  const std::string what = "deleting " + std::string(key);
  WC_RETURN_IF_ERROR(state_->CheckConnected(what));
  // The marker kvStore_Delete would write, published here to learn its sequence.
  jsPubOptions po;
  jsPubOptions_Init(&po);
  jsErrCode code = kNoJsError;
  return state_->Publish(key, ByteView(), kDeleteOperation, po, &code, what);
}

Result<std::unique_ptr<lattice::KvWatch>> NatsKvBucket::Watch(lattice::KvWatchHandler handler) {
  if (!handler) return InvalidArgument("watch of bucket " + state_->name + " without a handler");
  const std::string what = "watching";
  WC_RETURN_IF_ERROR(state_->CheckConnected(what));
  uint64_t used = state_->generation.load(std::memory_order_acquire);
  kvWatcher* watcher = nullptr;
  natsStatus s = kvStore_WatchAll(&watcher, state_->kv, nullptr);
  if (s != NATS_OK) {
    Status failure = state_->Failure(s, kNoJsError, what);
    // The bucket may have been lost: then it is created again, and watched.
    (void)state_->Ensure("a watch finding no stream");
    if (state_->generation.load(std::memory_order_acquire) == used) return failure;
    used = state_->generation.load(std::memory_order_acquire);
    watcher = nullptr;
    s = kvStore_WatchAll(&watcher, state_->kv, nullptr);
    if (s != NATS_OK) return state_->Failure(s, kNoJsError, what);
  }
  auto w = std::make_shared<WatchState>(state_, std::move(handler), watcher, used);
  {
    std::lock_guard lock(state_->watches_mu);
    state_->watches.push_back(w);
  }
  auto watch = std::make_unique<NatsKvWatch>(std::move(w));
  if (!watch->Start()) {
    return ResourceExhausted("watching " + state_->Where() + ": cannot start a thread");
  }
  return std::unique_ptr<lattice::KvWatch>(std::move(watch));
}

}  // namespace wasmcloud::nats
