// MemoryStore: Redis's semantics on std containers (store.h). Error texts are Redis's, so
// an actor sees the same message whichever back end its link chose.
#include <algorithm>
#include <charconv>
#include <limits>

#include "keyvalue/store.h"

namespace wasmcloud::keyvalue {
namespace {

constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
// Below this many keys a sweep is not worth it.
constexpr size_t kMinWritesBetweenSweeps = 64;

// Redis's string2ll: an optional '-', then digits without leading zeros ("0" alone is
// fine), nothing else.
std::optional<int64_t> ParseRedisInteger(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::string_view digits = s[0] == '-' ? s.substr(1) : s;
  if (digits.empty() || (digits[0] == '0' && s.size() > 1)) return std::nullopt;
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

MemoryStore::MemoryStore(Clock clock) : clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
}

MemoryStore::Entry* MemoryStore::Find(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  if (it->second.expires_at && clock_() >= *it->second.expires_at) {
    entries_.erase(it);
    return nullptr;
  }
  return &it->second;
}

template <typename T>
Result<T*> MemoryStore::FindAs(std::string_view key) {
  Entry* e = Find(key);
  if (e == nullptr) return static_cast<T*>(nullptr);
  T* v = std::get_if<T>(&e->value);
  if (v == nullptr) return FailedPrecondition(std::string(kWrongType));
  return v;
}

void MemoryStore::NoteWrite() {
  if (++writes_since_sweep_ < std::max(kMinWritesBetweenSweeps, entries_.size())) return;
  writes_since_sweep_ = 0;
  const auto now = clock_();
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.expires_at && now >= *kv.second.expires_at;
  });
}

Result<std::optional<std::string>> MemoryStore::Get(std::string_view key) {
  std::lock_guard lock(mu_);
  WC_ASSIGN_OR_RETURN(std::string * v, FindAs<std::string>(key));
  if (v == nullptr) return std::optional<std::string>();
  return std::optional<std::string>(*v);
}

Result<int64_t> MemoryStore::Add(std::string_view key, int64_t delta) {
  std::lock_guard lock(mu_);
  WC_ASSIGN_OR_RETURN(std::string * v, FindAs<std::string>(key));
  int64_t current = 0;
  if (v != nullptr) {
    auto parsed = ParseRedisInteger(*v);
    if (!parsed) return FailedPrecondition(std::string(kNotInteger));
    current = *parsed;
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(current, delta, &sum)) {
    return FailedPrecondition(std::string(kOverflow));
  }
  if (v != nullptr) {
    *v = std::to_string(sum);  // INCRBY keeps the expiry
  } else {
    entries_.insert_or_assign(std::string(key), Entry{std::to_string(sum), std::nullopt});
  }
  NoteWrite();
  return sum;
}

Status MemoryStore::Set(std::string_view key, std::string_view value,
                        std::chrono::seconds expires) {
  std::lock_guard lock(mu_);
  Entry e{std::string(value), std::nullopt};
  if (expires.count() > 0) e.expires_at = clock_() + expires;
  entries_.insert_or_assign(std::string(key), std::move(e));
  NoteWrite();
  return Status::Ok();
}

Status MemoryStore::Del(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) entries_.erase(it);
  return Status::Ok();
}

Result<std::vector<std::string>> MemoryStore::Range(std::string_view key, int64_t start,
                                                    int64_t stop) {
  std::lock_guard lock(mu_);
  WC_ASSIGN_OR_RETURN(List * list, FindAs<List>(key));
  if (list == nullptr) return std::vector<std::string>();
  // LRANGE's arithmetic (t_list.c): negative from the end, then clamp.
  const auto len = static_cast<int64_t>(list->size());
  if (start < 0) start += len;
  if (stop < 0) stop += len;
  if (start < 0) start = 0;
  if (start > stop || start >= len) return std::vector<std::string>();
  if (stop >= len) stop = len - 1;
  return std::vector<std::string>(list->begin() + start, list->begin() + stop + 1);
}

Result<int64_t> MemoryStore::Push(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  WC_ASSIGN_OR_RETURN(List * list, FindAs<List>(key));
  if (list == nullptr) {
    auto [it, inserted] = entries_.insert_or_assign(std::string(key), Entry{List{}, std::nullopt});
    list = &std::get<List>(it->second.value);
  }
  list->emplace_front(value);
  NoteWrite();
  return static_cast<int64_t>(list->size());
}

Result<int64_t> MemoryStore::ListItemDelete(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  WC_ASSIGN_OR_RETURN(List * list, FindAs<List>(key));
  if (list == nullptr) return int64_t{0};
  const auto removed = static_cast<int64_t>(std::erase(*list, value));
  if (list->empty()) entries_.erase(entries_.find(key));
  return removed;
}

Result<int64_t> MemoryStore::SetAdd(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  WC_ASSIGN_OR_RETURN(Members * members, FindAs<Members>(key));
  if (members == nullptr) {
    auto [it, inserted] =
        entries_.insert_or_assign(std::string(key), Entry{Members{}, std::nullopt});
    members = &std::get<Members>(it->second.value);
  }
  const bool added = members->emplace(value).second;
  NoteWrite();
  return int64_t{added ? 1 : 0};
}

Result<int64_t> MemoryStore::SetRemove(std::string_view key, std::string_view value) {
  std::lock_guard lock(mu_);
  WC_ASSIGN_OR_RETURN(Members * members, FindAs<Members>(key));
  if (members == nullptr) return int64_t{0};
  auto it = members->find(value);
  if (it == members->end()) return int64_t{0};
  members->erase(it);
  if (members->empty()) entries_.erase(entries_.find(key));
  return int64_t{1};
}

Result<std::vector<std::string>> MemoryStore::SetUnion(std::span<const std::string> keys) {
  if (keys.empty()) return InvalidArgument("SetUnion needs at least one key");
  std::lock_guard lock(mu_);
  Members all;
  for (const std::string& key : keys) {
    WC_ASSIGN_OR_RETURN(Members * members, FindAs<Members>(key));
    if (members != nullptr) all.insert(members->begin(), members->end());
  }
  return std::vector<std::string>(all.begin(), all.end());
}

Result<std::vector<std::string>> MemoryStore::SetIntersection(std::span<const std::string> keys) {
  if (keys.empty()) return InvalidArgument("SetIntersection needs at least one key");
  std::lock_guard lock(mu_);
  // As SINTER (Redis 7): every key is checked for its kind before a missing one (an empty
  // set) makes the answer empty.
  std::vector<const Members*> sets;
  bool any_missing = false;
  for (const std::string& key : keys) {
    WC_ASSIGN_OR_RETURN(Members * members, FindAs<Members>(key));
    any_missing = any_missing || members == nullptr;
    sets.push_back(members);
  }
  std::vector<std::string> out;
  if (any_missing) return out;
  for (const std::string& m : *sets.front()) {
    if (std::all_of(sets.begin() + 1, sets.end(),
                    [&](const Members* s) { return s->contains(m); })) {
      out.push_back(m);
    }
  }
  return out;
}

Result<std::vector<std::string>> MemoryStore::SetMembers(std::string_view key) {
  std::lock_guard lock(mu_);
  WC_ASSIGN_OR_RETURN(Members * members, FindAs<Members>(key));
  if (members == nullptr) return std::vector<std::string>();
  return std::vector<std::string>(members->begin(), members->end());
}

Result<bool> MemoryStore::KeyExists(std::string_view key) {
  std::lock_guard lock(mu_);
  return Find(key) != nullptr;
}

size_t MemoryStore::KeyCountForTesting() {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace wasmcloud::keyvalue
