#include "lattice/memory_kv_bucket.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace wasmcloud::lattice {
namespace {

constexpr const char* kUnavailableMessage = "lattice data unavailable";

// One watch: its queue of events not yet handed to the handler, and its delivery thread.
// The queue and `stopped` are guarded by the bucket's mutex, so that a write appends to
// every queue in the same order (revision order) in one critical section.
struct Watcher {
  explicit Watcher(KvWatchHandler h) : handler(std::move(h)) {}
  const KvWatchHandler handler;
  std::condition_variable cv;
  std::deque<KvEvent> queue;
  bool stopped = false;
  std::thread thread;
};

// The bucket's data, shared by the bucket object, its watches and their threads.
struct BucketState {
  BucketState(std::string n, MemoryKvOptions o) : name(std::move(n)), options(o) {}

  struct Value {
    Bytes value;
    uint64_t revision = 0;
    bool deleted = false;  // a delete marker: the key reads as absent
  };

  const std::string name;
  const MemoryKvOptions options;

  std::mutex mu;
  // The latest write of every key written since the bucket was (re)created: a value or a
  // delete marker (then the key reads as absent, and Create may write it again).
  std::map<std::string, Value, std::less<>> values;
  uint64_t revision = 0;  // the last revision written
  bool paused = false;
  bool unavailable = false;
  std::vector<std::shared_ptr<Watcher>> watchers;

  // Hands `event` to every watch; mu held.
  void Broadcast(const KvEvent& event) {
    for (const auto& w : watchers) {
      w->queue.push_back(event);
      if (!paused) w->cv.notify_one();
    }
  }

  enum class Expect { kAnything, kAbsent, kNeverWritten };

  // Put (kAnything), Create (kAbsent: absent or deleted), Restore (kNeverWritten: not even
  // a delete marker) or Delete (value = nullopt, kAnything).
  Result<uint64_t> Write(std::string_view key, std::optional<ByteView> value, Expect expect) {
    WC_RETURN_IF_ERROR(ValidateKvKey(key));
    if (value && value->size() > options.max_value_size) {
      return ResourceExhausted("value of " + std::to_string(value->size()) +
                               " bytes is over the limit of bucket " + name + " (" +
                               std::to_string(options.max_value_size) + " bytes)");
    }
    std::lock_guard lock(mu);
    if (unavailable) return Unavailable(kUnavailableMessage);
    auto it = values.find(key);
    if (expect == Expect::kAbsent && it != values.end() && !it->second.deleted) {
      return AlreadyExists("key " + std::string(key) + " already exists in bucket " + name);
    }
    if (expect == Expect::kNeverWritten && it != values.end()) {
      return AlreadyExists("key " + std::string(key) + " was written in bucket " + name +
                           (it->second.deleted ? " (and deleted)" : ""));
    }
    uint64_t rev = ++revision;
    KvEvent event;
    event.key = std::string(key);
    event.revision = rev;
    event.created_unix_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count();
    if (value) {
      Bytes bytes(value->begin(), value->end());
      event.kind = KvEvent::Kind::kPut;
      event.value = bytes;
      if (it == values.end()) {
        values.emplace(std::string(key), Value{std::move(bytes), rev});
      } else {
        it->second = Value{std::move(bytes), rev};
      }
    } else {
      event.kind = KvEvent::Kind::kDelete;
      values[std::string(key)] = Value{Bytes(), rev, /*deleted=*/true};
    }
    Broadcast(event);
    return rev;
  }
};

// Runs on the watch's own thread until the watch is stopped.
void Deliver(const std::shared_ptr<BucketState>& state, const std::shared_ptr<Watcher>& w) {
  std::unique_lock lock(state->mu);
  for (;;) {
    w->cv.wait(lock, [&] { return w->stopped || (!state->paused && !w->queue.empty()); });
    if (w->stopped) return;
    KvEvent event = std::move(w->queue.front());
    w->queue.pop_front();
    lock.unlock();
    w->handler(event);
    lock.lock();
  }
}

class MemoryKvWatch final : public KvWatch {
 public:
  MemoryKvWatch(std::shared_ptr<BucketState> state, std::shared_ptr<Watcher> watcher)
      : state_(std::move(state)), watcher_(std::move(watcher)) {}

  ~MemoryKvWatch() override {
    std::thread thread;
    {
      std::lock_guard lock(state_->mu);
      watcher_->stopped = true;
      watcher_->queue.clear();
      auto& ws = state_->watchers;
      ws.erase(std::remove(ws.begin(), ws.end(), watcher_), ws.end());
      thread = std::move(watcher_->thread);
    }
    watcher_->cv.notify_all();
    if (!thread.joinable()) return;
    if (thread.get_id() == std::this_thread::get_id()) {
      // Called by the handler itself: the thread ends when the handler returns (it sees
      // `stopped`); it holds its own references to the watcher and the bucket state.
      thread.detach();
    } else {
      thread.join();
    }
  }

 private:
  std::shared_ptr<BucketState> state_;
  std::shared_ptr<Watcher> watcher_;
};

}  // namespace

struct MemoryKvBucket::State : BucketState {
  using BucketState::BucketState;
};

MemoryKvBucket::MemoryKvBucket(std::string name, MemoryKvOptions options)
    : state_(std::make_shared<State>(std::move(name), options)) {}

// Watches keep the state alive and go on working (they see no more writes).
MemoryKvBucket::~MemoryKvBucket() = default;

std::string MemoryKvBucket::name() const { return state_->name; }

Result<std::optional<KvEntry>> MemoryKvBucket::Get(std::string_view key) {
  WC_RETURN_IF_ERROR(ValidateKvKey(key));
  std::lock_guard lock(state_->mu);
  if (state_->unavailable) return Unavailable(kUnavailableMessage);
  auto it = state_->values.find(key);
  if (it == state_->values.end() || it->second.deleted) return std::optional<KvEntry>();
  return std::optional<KvEntry>(KvEntry{it->first, it->second.value, it->second.revision});
}

Result<uint64_t> MemoryKvBucket::Put(std::string_view key, ByteView value) {
  return state_->Write(key, value, BucketState::Expect::kAnything);
}

Result<uint64_t> MemoryKvBucket::Create(std::string_view key, ByteView value) {
  return state_->Write(key, value, BucketState::Expect::kAbsent);
}

Result<uint64_t> MemoryKvBucket::Delete(std::string_view key) {
  return state_->Write(key, std::nullopt, BucketState::Expect::kAnything);
}

Result<uint64_t> MemoryKvBucket::Restore(std::string_view key, ByteView value) {
  return state_->Write(key, value, BucketState::Expect::kNeverWritten);
}

Result<std::unique_ptr<KvWatch>> MemoryKvBucket::Watch(KvWatchHandler handler) {
  if (!handler) return InvalidArgument("watch of bucket " + state_->name + " without a handler");
  auto watcher = std::make_shared<Watcher>(std::move(handler));
  std::lock_guard lock(state_->mu);
  // The initial values and the registration happen in one critical section with respect
  // to writes: every write is either in the snapshot or queued after the marker.
  std::vector<const std::pair<const std::string, BucketState::Value>*> initial;
  initial.reserve(state_->values.size());
  for (const auto& kv : state_->values) {
    if (!kv.second.deleted) initial.push_back(&kv);  // a first start: current values only
  }
  std::sort(initial.begin(), initial.end(),
            [](const auto* a, const auto* b) { return a->second.revision < b->second.revision; });
  for (const auto* kv : initial) {
    KvEvent event;
    event.kind = KvEvent::Kind::kPut;
    event.key = kv->first;
    event.value = kv->second.value;
    event.revision = kv->second.revision;
    watcher->queue.push_back(std::move(event));
  }
  KvEvent done;
  done.kind = KvEvent::Kind::kInitialValuesDone;
  watcher->queue.push_back(std::move(done));
  state_->watchers.push_back(watcher);
  // Started under the lock: the thread waits for it before it looks at the queue.
  std::shared_ptr<BucketState> state = state_;
  watcher->thread = std::thread([state, watcher] { Deliver(state, watcher); });
  return std::unique_ptr<KvWatch>(std::make_unique<MemoryKvWatch>(state_, watcher));
}

void MemoryKvBucket::PauseWatches() {
  std::lock_guard lock(state_->mu);
  state_->paused = true;
}

void MemoryKvBucket::ResumeWatches() {
  std::lock_guard lock(state_->mu);
  state_->paused = false;
  for (const auto& w : state_->watchers) w->cv.notify_one();
}

void MemoryKvBucket::SetUnavailable(bool unavailable) {
  std::lock_guard lock(state_->mu);
  state_->unavailable = unavailable;
}

void MemoryKvBucket::LoseAndRecreate() {
  std::lock_guard lock(state_->mu);
  state_->values.clear();
  state_->revision = 0;
  KvEvent restarted;
  restarted.kind = KvEvent::Kind::kRestarted;
  state_->Broadcast(restarted);
  KvEvent done;
  done.kind = KvEvent::Kind::kInitialValuesDone;
  state_->Broadcast(done);
}

}  // namespace wasmcloud::lattice
