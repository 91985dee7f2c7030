// The storage behind the wasmcloud:keyvalue provider: one interface with the operations of
// the contract (spec §4.5) and two back ends, an in-memory store and Redis.
//
// The semantics are Redis's, because the 0.18 providers (wasmcloud redis and in-memory)
// mapped each operation onto one Redis command; see docs/keyvalue.md for the table.
// A key holds one of three kinds of value: a string (Get/Set/Add), a list
// (Push/Range/ListItemDelete) or a set (SetAdd/SetRemove/Set*). Using a key as another
// kind is an error (kFailedPrecondition, "WRONGTYPE ..."). A list or set that becomes
// empty no longer exists.
//
// Errors are values: no function of a store throws. Codes:
//   kFailedPrecondition  the data does not allow the operation (wrong kind, not an
//                        integer, overflow); the message is Redis's error text
//   kUnavailable         the back end cannot be reached or the connection failed
//   kDeadlineExceeded    the back end did not answer in time
//   kInvalidArgument     a bad argument (empty key list, bad URL)
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"

namespace wasmcloud::keyvalue {

// All methods are thread-safe.
class KeyValueStore {
 public:
  virtual ~KeyValueStore() = default;

  // The string at `key`; nullopt when the key does not exist (GET).
  virtual Result<std::optional<std::string>> Get(std::string_view key) = 0;
  // Adds `delta` to the integer at `key` (a missing key counts as 0) and returns the new
  // value (INCRBY). Keeps the key's expiry.
  virtual Result<int64_t> Add(std::string_view key, int64_t delta) = 0;
  // Stores a string; `expires` > 0 makes the key vanish after that many seconds, 0 (or
  // less) means never. Replaces whatever the key held, and its expiry (SET [EX]).
  virtual Status Set(std::string_view key, std::string_view value,
                     std::chrono::seconds expires) = 0;
  // Removes the key, of any kind; removing a missing key is not an error (DEL).
  virtual Status Del(std::string_view key) = 0;
  // Elements start..stop (inclusive) of the list; negative indexes count from the end
  // (-1 is the last); out-of-range indexes are clamped (LRANGE).
  virtual Result<std::vector<std::string>> Range(std::string_view key, int64_t start,
                                                 int64_t stop) = 0;
  // Puts `value` at the head of the list and returns the list's new length (LPUSH, as the
  // 0.18 providers did: Range(0, -1) lists the newest first).
  virtual Result<int64_t> Push(std::string_view key, std::string_view value) = 0;
  // Removes every element equal to `value` and returns how many were removed (LREM 0).
  virtual Result<int64_t> ListItemDelete(std::string_view key, std::string_view value) = 0;
  // Adds a member; returns 1 when it was added, 0 when it was already there (SADD).
  virtual Result<int64_t> SetAdd(std::string_view key, std::string_view value) = 0;
  // Removes a member; returns 1 when it was there, 0 when not (SREM).
  virtual Result<int64_t> SetRemove(std::string_view key, std::string_view value) = 0;
  // Members of the union / intersection of the sets; a missing key is an empty set.
  // At least one key (kInvalidArgument otherwise). Order unspecified (SUNION / SINTER).
  virtual Result<std::vector<std::string>> SetUnion(std::span<const std::string> keys) = 0;
  virtual Result<std::vector<std::string>> SetIntersection(std::span<const std::string> keys) = 0;
  // Members of one set; empty when the key does not exist (SMEMBERS).
  virtual Result<std::vector<std::string>> SetMembers(std::string_view key) = 0;
  // Whether the key exists, of any kind (EXISTS).
  virtual Result<bool> KeyExists(std::string_view key) = 0;

  // Ok when the back end answers; otherwise why not.
  virtual Status Health() = 0;
};

// Keys in process memory, under one mutex. Expired keys are dropped when touched, and all
// at once every so often (after as many writes as there are keys), so keys that are never
// read again do not pile up. Set members are returned sorted.
class MemoryStore final : public KeyValueStore {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `clock` defaults to std::chrono::steady_clock::now (tests pass their own).
  explicit MemoryStore(Clock clock = nullptr);

  Result<std::optional<std::string>> Get(std::string_view key) override;
  Result<int64_t> Add(std::string_view key, int64_t delta) override;
  Status Set(std::string_view key, std::string_view value, std::chrono::seconds expires) override;
  Status Del(std::string_view key) override;
  Result<std::vector<std::string>> Range(std::string_view key, int64_t start,
                                         int64_t stop) override;
  Result<int64_t> Push(std::string_view key, std::string_view value) override;
  Result<int64_t> ListItemDelete(std::string_view key, std::string_view value) override;
  Result<int64_t> SetAdd(std::string_view key, std::string_view value) override;
  Result<int64_t> SetRemove(std::string_view key, std::string_view value) override;
  Result<std::vector<std::string>> SetUnion(std::span<const std::string> keys) override;
  Result<std::vector<std::string>> SetIntersection(std::span<const std::string> keys) override;
  Result<std::vector<std::string>> SetMembers(std::string_view key) override;
  Result<bool> KeyExists(std::string_view key) override;
  Status Health() override { return Status::Ok(); }

  // Keys held, expired ones not yet dropped included (for tests).
  size_t KeyCountForTesting();

 private:
  using List = std::deque<std::string>;  // index 0 is the head
  using Members = std::set<std::string, std::less<>>;
  struct Entry {
    std::variant<std::string, List, Members> value;
    std::optional<std::chrono::steady_clock::time_point> expires_at;
  };
  using Map = std::map<std::string, Entry, std::less<>>;

  // The live entry at `key`, or nullptr (an expired one is erased first). Needs mu_.
  Entry* Find(std::string_view key);
  // The entry of kind T at `key`: nullptr when missing, WRONGTYPE when of another kind.
  template <typename T>
  Result<T*> FindAs(std::string_view key);
  // Counts a write; sweeps expired keys when enough writes happened. Needs mu_.
  void NoteWrite();

  Clock clock_;
  std::mutex mu_;
  Map entries_;
  size_t writes_since_sweep_ = 0;
};

// Where a Redis server is: parsed from the link value URL,
// redis://[[user]:password@]host[:port][/db] (port 6379 and db 0 by default; an IPv6 host
// in brackets).
struct RedisAddress {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string user;      // empty: AUTH with the password alone (or no AUTH)
  std::string password;  // empty: no AUTH
  bool operator==(const RedisAddress&) const = default;
};
Result<RedisAddress> ParseRedisUrl(std::string_view url);

struct RedisOptions {
  // Connecting (TCP, AUTH, SELECT) gives up after this long.
  std::chrono::milliseconds connect_timeout{2000};
  // A command without an answer after this long fails with kDeadlineExceeded.
  std::chrono::milliseconds command_timeout{5000};
  // Idle connections kept for reuse; more are opened when more threads call at once,
  // and closed when they come back to a full pool.
  size_t max_idle_connections = 8;
};

// A Redis server through hiredis. Connections are opened on demand and kept in a small
// pool; a connection that fails is closed, and the next call opens a new one (so a
// restarted server is picked up without intervention). A command that failed because a
// pooled connection had been closed by the server (EOF or reset before any answer) is
// sent once more on a fresh connection; one that timed out is not (it may have run).
class RedisStore final : public KeyValueStore {
 public:
  // Nothing is connected yet: the first call (or Health) connects.
  RedisStore(RedisAddress address, RedisOptions options = {});
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  const RedisAddress& address() const;

  Result<std::optional<std::string>> Get(std::string_view key) override;
  Result<int64_t> Add(std::string_view key, int64_t delta) override;
  Status Set(std::string_view key, std::string_view value, std::chrono::seconds expires) override;
  Status Del(std::string_view key) override;
  Result<std::vector<std::string>> Range(std::string_view key, int64_t start,
                                         int64_t stop) override;
  Result<int64_t> Push(std::string_view key, std::string_view value) override;
  Result<int64_t> ListItemDelete(std::string_view key, std::string_view value) override;
  Result<int64_t> SetAdd(std::string_view key, std::string_view value) override;
  Result<int64_t> SetRemove(std::string_view key, std::string_view value) override;
  Result<std::vector<std::string>> SetUnion(std::span<const std::string> keys) override;
  Result<std::vector<std::string>> SetIntersection(std::span<const std::string> keys) override;
  Result<std::vector<std::string>> SetMembers(std::string_view key) override;
  Result<bool> KeyExists(std::string_view key) override;
  // PING.
  Status Health() override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wasmcloud::keyvalue
