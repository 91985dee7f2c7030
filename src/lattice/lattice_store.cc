#include "lattice/lattice_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <limits>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/rate_limiter.h"
#include "core/text.h"
#include "core/utf8.h"
#include "crypto/sha256.h"

namespace wasmcloud::lattice {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kLinkPrefix = "LINKDEF_";
constexpr std::string_view kClaimsPrefix = "CLAIMS_";
constexpr std::string_view kRefPrefix = "REFMAP_";
constexpr std::string_view kAliasPrefix = "ALIAS_";
constexpr std::string_view kUnavailablePrefix = "lattice data unavailable";
constexpr std::string_view kLogComponent = "lattice";

// (actor, contract id, link name): the identity of a link, and the mirror's order.
using LinkKey = std::tuple<std::string, std::string, std::string>;
using LinkKeyView = std::tuple<std::string_view, std::string_view, std::string_view>;

inline LinkKeyView View(const LinkKey& k) {
  return {std::get<0>(k), std::get<1>(k), std::get<2>(k)};
}
inline LinkKeyView View(const LinkKeyView& k) { return k; }

// Orders LinkKeys, and finds them by LinkKeyView without making strings.
struct LinkKeyLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return View(a) < View(b);
  }
};

// The store whose watch handler runs on this thread (nullptr on other threads): a write
// made from there must not wait for the watch, which is busy running the writer.
thread_local const void* t_applying = nullptr;

class ApplyingScope {
 public:
  explicit ApplyingScope(const void* state) : saved_(t_applying) { t_applying = state; }
  ~ApplyingScope() { t_applying = saved_; }
  ApplyingScope(const ApplyingScope&) = delete;
  ApplyingScope& operator=(const ApplyingScope&) = delete;

 private:
  const void* saved_;
};

bool StaysInKeyPart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '/' || c == '-';
}

int HexDigitValue(char c) {  // uppercase only: the encoding is canonical
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

void Warn(const std::string& message) { Log(LogLevel::kWarn, kLogComponent, message); }

// One change applied to the mirror, and what listeners are told about it.
struct Change {
  // kErased: a grow-only key was deleted; there is no listener call for that.
  enum class Kind { kLinkPut, kLinkDeleted, kClaims, kAlias, kOciRef, kErased };
  Kind kind = Kind::kLinkPut;
  LinkDefinition link;
  std::optional<LinkDefinition> previous;
  ClaimsRecord claims;
  std::string name;  // alias or OCI reference
  std::string public_key;
};

// A JSON object from untrusted text; nullopt when it is not one.
std::optional<Json> ParseObject(std::string_view text) {
  try {
    Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The string member `key` of `obj`; nullopt when absent or not a string.
std::optional<std::string> StringMember(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// {"<name_key>": name, "public_key": public_key}. The strings are valid UTF-8 (checked by
// the callers), so dumping cannot fail.
std::string NameToKeyJson(const char* name_key, std::string_view name,
                          std::string_view public_key) {
  Json j = Json::object();
  j[name_key] = std::string(name);
  j["public_key"] = std::string(public_key);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Verifies the token of a CLAIMS_{public_key} value. Expiry is deliberately not checked
// (a stored claim outlives its actor; the dispatcher checks exp and nbf when it
// authorizes), but everything else VerifyActorToken checks is: shape, key types, issuer
// signature. VerifyActorToken has no switch for the time window, so its clock is pinned
// to a moment inside the token's own window (nbf when set, else exp, else any); the
// claims decoded for that are the very claims the verification then checks, from the
// same token. A token whose nbf is after its exp has no such moment and is refused.
Result<crypto::ActorClaims> VerifyStoredToken(std::string_view token, std::string_view public_key,
                                              const crypto::VerifyOptions& verify) {
  WC_ASSIGN_OR_RETURN(crypto::ActorClaims decoded, crypto::DecodeActorClaims(token));
  uint64_t moment = decoded.nbf ? *decoded.nbf : decoded.exp ? *decoded.exp : 0;
  int64_t now = static_cast<int64_t>(
      std::min<uint64_t>(moment, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
  crypto::VerifyOptions options = verify;
  options.now = [now] { return now; };
  WC_ASSIGN_OR_RETURN(crypto::ActorClaims claims, crypto::VerifyActorToken(token, options));
  if (claims.sub != public_key) {
    return PermissionDenied("the token's subject " + claims.sub + " is not " +
                            std::string(public_key));
  }
  return claims;
}

// The CLAIMS_ value of verified claims: their JSON plus "jwt": the token that carries
// them; nullopt when the claims do not encode as a JSON object.
std::optional<std::string> ClaimsValue(const crypto::ActorClaims& claims, std::string_view token) {
  std::optional<Json> value = ParseObject(crypto::ToJson(claims));
  if (!value) return std::nullopt;
  (*value)["jwt"] = std::string(token);
  return value->dump(-1, ' ', false, Json::error_handler_t::replace);
}

// How long re-filling a lost bucket waits before it writes a key again that it could not
// write for want of the bucket (doubling).
constexpr std::chrono::milliseconds kRefillBackoffMin{250};
constexpr std::chrono::milliseconds kRefillBackoffMax{5000};

bool ValidText(std::string_view what, std::string_view text, Status* error) {
  if (text.empty()) {
    *error = InvalidArgument(std::string(what) + " is empty");
    return false;
  }
  if (!IsValidUtf8(text)) {
    *error = InvalidArgument(std::string(what) + " is not valid UTF-8");
    return false;
  }
  return true;
}

// The error of a failed bucket write (or read) of `key`.
Status WriteError(const Status& status, std::string_view key, std::string_view verb = "write") {
  if (status.code() == Code::kUnavailable) {
    std::string_view detail = status.message();
    if (StartsWith(detail, kUnavailablePrefix)) detail.remove_prefix(kUnavailablePrefix.size());
    if (StartsWith(detail, ": ")) detail.remove_prefix(2);
    std::string message = std::string(kUnavailablePrefix) + ": could not " + std::string(verb) +
                          " " + std::string(key);
    if (!detail.empty()) message += ": " + std::string(detail);
    return Unavailable(std::move(message));
  }
  return status.WithContext((verb == "write" ? "writing " : "reading ") + std::string(key));
}

}  // namespace

std::string EncodeKeyPart(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (StaysInKeyPart(c)) {
      out += ch;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "=%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string NameKey(std::string_view prefix, std::string_view name) {
  constexpr size_t kMaxKey = 255;  // KvBucket's (ValidateKvKey)
  std::string key = std::string(prefix) + EncodeKeyPart(name);
  if (key.size() <= kMaxKey) return key;
  return std::string(prefix) + "=SHA256_" + HexEncode(crypto::Sha256(AsBytes(name)));
}

Result<std::string> DecodeKeyPart(std::string_view key_part) {
  std::string out;
  out.reserve(key_part.size());
  for (size_t i = 0; i < key_part.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(key_part[i]);
    if (StaysInKeyPart(c)) {
      out += static_cast<char>(c);
      continue;
    }
    if (c != '=') {
      return Malformed("key part: byte " + std::to_string(c) + " at offset " + std::to_string(i) +
                       " is not [A-Za-z0-9_/-] or an escape");
    }
    int hi = i + 2 < key_part.size() ? HexDigitValue(key_part[i + 1]) : -1;
    int lo = i + 2 < key_part.size() ? HexDigitValue(key_part[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return Malformed("key part: escape at offset " + std::to_string(i) +
                       " is not '=' and two uppercase hex digits");
    }
    unsigned char decoded = static_cast<unsigned char>(hi * 16 + lo);
    if (StaysInKeyPart(decoded)) {
      // Such a byte is never escaped: accepting it would give one text two keys.
      return Malformed("key part: escape at offset " + std::to_string(i) +
                       " stands for a byte that is not escaped");
    }
    out += static_cast<char>(decoded);
    i += 2;
  }
  return out;
}

struct LatticeStore::State {
  State(std::shared_ptr<KvBucket> b, LatticeStoreOptions o, std::atomic<uint64_t>* v)
      : bucket(std::move(b)), options(std::move(o)), version(v) {}

  const std::shared_ptr<KvBucket> bucket;
  const LatticeStoreOptions options;
  // LatticeStore::version_, written by the watch handler only; Stop() waits for a running
  // handler (unless called by it), so the store outlives every write to it.
  std::atomic<uint64_t>* const version;

  // The mirror. Lock order: `mu` and `mirror_mu` are never held together.
  mutable std::shared_mutex mirror_mu;
  std::map<LinkKey, LinkDefinition, LinkKeyLess> links;      // guarded by mirror_mu
  std::map<std::string, LinkKey, std::less<>> link_keys;     // LINKDEF_ key → links key
  std::map<std::string, ClaimsRecord, std::less<>> claims;   // by actor public key
  std::map<std::string, std::string, std::less<>> aliases;   // alias → public key
  std::map<std::string, std::string, std::less<>> oci_refs;  // OCI reference → public key

  // Lifecycle and the watch's progress.
  enum class Phase { kNew, kStarted, kStopped };
  std::mutex mu;
  std::condition_variable cv;                    // ready, applied_revision, phase
  std::vector<LatticeStoreListener*> listeners;  // guarded by mu
  Phase phase = Phase::kNew;                     // guarded by mu
  uint64_t applied_revision = 0;                 // guarded by mu
  uint64_t restarts = 0;                         // guarded by mu: kRestarted events seen
  std::unique_ptr<KvWatch> watch;                // guarded by mu
  int running_handlers = 0;                      // guarded by mu: OnEvent calls in progress
  std::atomic<bool> ready{false};
  std::atomic<bool> stopped{false};
  // From a restarted watch (the bucket was lost) until the bucket was re-filled.
  std::atomic<bool> degraded{false};
  // Between kRestarted and kInitialValuesDone, and the keys delivered meanwhile: what the
  // bucket holds again. Touched by the watch's handler only.
  bool restarting = false;
  std::set<std::string, std::less<>> restart_keys;

  // --- the watch side.

  void OnEvent(const KvEvent& event) {
    {
      std::lock_guard lock(mu);
      if (phase == Phase::kStopped) return;
      ++running_handlers;
    }
    {
      ApplyingScope scope(this);
      Handle(event);
    }
    {
      std::lock_guard lock(mu);
      // Stopped by a listener, the change was not applied to the end (the listeners after
      // it were not called): a writer waiting for it is told the store stopped instead.
      if (phase != Phase::kStopped && event.kind != KvEvent::Kind::kInitialValuesDone) {
        applied_revision = std::max(applied_revision, event.revision);
      }
      --running_handlers;
    }
    // From here on only the state is touched, never the LatticeStore object: a Stop() on
    // another thread may return now and the store be destroyed.
    cv.notify_all();
  }

  void Handle(const KvEvent& event) {
    if (event.kind == KvEvent::Kind::kRestarted) {
      BeginRestart();
      return;
    }
    if (event.kind == KvEvent::Kind::kInitialValuesDone) {
      // A bucket full of bad values at start: their count now, not at the next bad one
      // (which may never come).
      SayNotLogged(ignored_lines.TakeSuppressed({}));
      if (restarting) {
        restarting = false;
        Refill();
      }
      std::lock_guard lock(mu);
      ready.store(true, std::memory_order_release);
      return;
    }
    // A restarted watch also brings the keys deleted in the new bucket (as kDelete): the
    // mirror drops them, and Refill must not put them back.
    if (restarting) restart_keys.insert(event.key);
    if (std::optional<Change> change = Apply(event)) Notify(*change);
    // How far behind the bucket this mirror is: changes after the initial values only
    // (those are old by nature).
    if (event.created_unix_ns > 0 && !restarting && ready.load(std::memory_order_acquire)) {
      const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      const double lag = std::max<int64_t>(0, now - event.created_unix_ns) / 1e9;
      std::vector<LatticeStoreListener*> targets;
      {
        std::lock_guard lock(mu);
        targets = listeners;
      }
      for (LatticeStoreListener* l : targets) {
        if (stopped.load(std::memory_order_acquire)) return;
        l->OnWatchLag(lag);
      }
    }
  }

  // --- a lost bucket.

  // The watch restarted: the bucket was lost and is there again, emptied or partly
  // re-filled by other hosts, with revisions started over. The mirror stays as it is:
  // the initial values that follow are applied to it as usual (a newer value another
  // host put back wins), and what they lack is put back at their end (Refill).
  void BeginRestart() {
    {
      std::lock_guard lock(mu);
      applied_revision = 0;  // the new stream's revisions start over
      ++restarts;
    }
    restarting = true;
    restart_keys.clear();
    const std::string why = "bucket " + bucket->name() +
                            " was lost; it is there again, and this host re-fills it from its "
                            "mirror";
    Warn("lattice data: " + why + " (reads are served from the mirror meanwhile)");
    SetDegraded(true, why);
  }

  // Every mirror entry the restarted watch did not deliver, as this host writes it.
  std::vector<std::pair<std::string, std::string>> MissingEntries() const {
    std::vector<std::pair<std::string, std::string>> out;
    auto missing = [&](const std::string& key) { return restart_keys.count(key) == 0; };
    std::shared_lock lock(mirror_mu);
    for (const auto& [pk, record] : claims) {
      std::string key = std::string(kClaimsPrefix) + pk;
      if (!missing(key)) continue;
      if (std::optional<std::string> value = ClaimsValue(record.claims, record.jwt)) {
        out.emplace_back(std::move(key), *std::move(value));
      }
    }
    for (const auto& [ref, pk] : oci_refs) {
      std::string key = NameKey(kRefPrefix, ref);
      if (missing(key)) out.emplace_back(std::move(key), NameToKeyJson("oci_url", ref, pk));
    }
    for (const auto& [alias, pk] : aliases) {
      std::string key = NameKey(kAliasPrefix, alias);
      if (missing(key)) out.emplace_back(std::move(key), NameToKeyJson("alias", alias, pk));
    }
    for (const auto& [key, link_key] : link_keys) {
      if (missing(key)) out.emplace_back(key, LinkToJson(links.at(link_key)));
    }
    return out;
  }

  // Waits `delay`; false when the store was stopped meanwhile.
  bool Pause(std::chrono::milliseconds delay) {
    std::unique_lock lock(mu);
    return !cv.wait_for(lock, delay, [&] { return phase == Phase::kStopped; });
  }

  // At the end of a restarted watch's initial values: puts back every mirror entry the
  // bucket no longer has, only where the new bucket holds nothing for the key (Restore),
  // so that a value another host wrote meanwhile wins (it comes through the watch), and so
  // does a delete made there since the initial values were read. A key that cannot be written for
  // want of the bucket is written again, with backoff, until it goes in or the store stops; the
  // watch's events wait meanwhile.
  void Refill() {
    const std::vector<std::pair<std::string, std::string>> entries = MissingEntries();
    size_t written = 0;
    size_t taken = 0;
    size_t failed = 0;
    for (const auto& [key, value] : entries) {
      for (std::chrono::milliseconds backoff = kRefillBackoffMin;;
           backoff = std::min(backoff * 2, kRefillBackoffMax)) {
        Result<uint64_t> rev = bucket->Restore(key, AsBytes(value));
        if (rev.ok()) {
          ++written;
          break;
        }
        if (rev.status().code() == Code::kAlreadyExists) {
          ++taken;
          break;
        }
        // Not reached, or maybe written (then the next Create finds it there): again.
        if (rev.status().code() != Code::kUnavailable &&
            rev.status().code() != Code::kDeadlineExceeded) {
          Warn("lattice data: could not put " + key + " back into bucket " + bucket->name() + ": " +
               rev.status().message());
          ++failed;
          break;
        }
        Warn("lattice data: could not put " + key + " back into bucket " + bucket->name() +
             " yet (" + rev.status().message() + "); trying again in " +
             std::to_string(backoff.count()) + " ms");
        if (!Pause(backoff)) return;
      }
    }
    std::string summary = "bucket " + bucket->name() + " was lost; re-filled " +
                          std::to_string(written) + " keys from this host's mirror";
    if (taken > 0) {
      summary += " (" + std::to_string(taken) +
                 " more were there already, written or deleted by another host meanwhile or "
                 "written by an earlier try that was not acknowledged: those stay)";
    }
    if (failed > 0) summary += "; " + std::to_string(failed) + " could not be written (above)";
    Log(LogLevel::kWarn, kLogComponent, "lattice data: " + summary);
    SetDegraded(false, summary);
  }

  void SetDegraded(bool now, const std::string& why) {
    if (degraded.exchange(now, std::memory_order_acq_rel) == now) return;
    std::vector<LatticeStoreListener*> targets;
    {
      std::lock_guard lock(mu);
      targets = listeners;
    }
    for (LatticeStoreListener* l : targets) {
      if (stopped.load(std::memory_order_acquire)) return;
      l->OnDegraded(now, why);
    }
  }

  // Applies one event to the mirror; the change to report, or nullopt when the mirror
  // did not change (an ignored value, a repeat, a delete of something absent).
  std::optional<Change> Apply(const KvEvent& event) {
    std::string_view key = event.key;
    bool put = event.kind == KvEvent::Kind::kPut;
    if (StartsWith(key, kLinkPrefix)) return put ? ApplyLinkPut(event) : ApplyLinkDelete(key);
    if (StartsWith(key, kClaimsPrefix)) {
      std::string pk(key.substr(kClaimsPrefix.size()));
      if (!put) return Erase(claims, pk);
      return ApplyClaimsPut(event, pk);
    }
    if (StartsWith(key, kRefPrefix)) {
      return put ? ApplyNamePut(event, kRefPrefix, "oci_url", Change::Kind::kOciRef, oci_refs)
                 : EraseByKeyPart(oci_refs, kRefPrefix, key);
    }
    if (StartsWith(key, kAliasPrefix)) {
      return put ? ApplyNamePut(event, kAliasPrefix, "alias", Change::Kind::kAlias, aliases)
                 : EraseByKeyPart(aliases, kAliasPrefix, key);
    }
    Log(LogLevel::kDebug, kLogComponent, "ignoring key " + event.key + " (not lattice data)");
    return std::nullopt;
  }

  // Anyone with write access to the bucket chooses these values (and their number): at
  // most kIgnoredLinesPerSecond lines a second, the rest counted in the next one; each
  // escaped to one line, whatever a reason holds.
  static constexpr double kIgnoredLinesPerSecond = 20;
  static void SayNotLogged(uint64_t suppressed) {
    if (suppressed == 0) return;
    Warn("lattice data: " + std::to_string(suppressed) +
         " more ignored value(s) were not logged (at most " +
         std::to_string(static_cast<int>(kIgnoredLinesPerSecond)) + " lines a second)");
  }
  KeyedRateLimiter ignored_lines{kIgnoredLinesPerSecond, kIgnoredLinesPerSecond, 1};
  void Ignore(const KvEvent& event, const std::string& why) {
    if (!LogEnabled(LogLevel::kWarn)) return;
    uint64_t suppressed = 0;
    if (!ignored_lines.Allow({}, &suppressed)) return;
    SayNotLogged(suppressed);
    Warn(EscapeLogText("lattice data: ignoring the value of " + event.key + " (revision " +
                       std::to_string(event.revision) + "): " + why));
  }

  std::optional<Change> ApplyLinkPut(const KvEvent& event) {
    Result<LinkDefinition> link = LinkFromJson(AsChars(event.value));
    if (!link.ok()) {
      Ignore(event, link.status().message());
      return std::nullopt;
    }
    std::string expected =
        std::string(kLinkPrefix) + LinkId(link->actor_id, link->contract_id, link->link_name);
    if (event.key != expected) {
      Ignore(event, "the link's actor, contract and link name belong under " + expected);
      return std::nullopt;
    }
    Change change;
    change.kind = Change::Kind::kLinkPut;
    change.link = *link;
    std::unique_lock lock(mirror_mu);
    LinkKey k{link->actor_id, link->contract_id, link->link_name};
    auto it = links.find(k);
    if (it != links.end()) {
      if (it->second == *link) return std::nullopt;  // a repeat (e.g. a redelivery)
      change.previous = std::move(it->second);
      it->second = *std::move(link);
    } else {
      links.emplace(k, *std::move(link));
      link_keys.emplace(event.key, std::move(k));
    }
    BumpLocked();
    return change;
  }

  std::optional<Change> ApplyLinkDelete(std::string_view key) {
    std::unique_lock lock(mirror_mu);
    auto kit = link_keys.find(key);
    if (kit == link_keys.end()) return std::nullopt;
    auto it = links.find(kit->second);
    Change change;
    change.kind = Change::Kind::kLinkDeleted;
    change.link = std::move(it->second);
    links.erase(it);
    link_keys.erase(kit);
    BumpLocked();
    return change;
  }

  std::optional<Change> ApplyClaimsPut(const KvEvent& event, const std::string& pk) {
    std::optional<Json> value = ParseObject(AsChars(event.value));
    if (!value) {
      Ignore(event, "not a JSON object");
      return std::nullopt;
    }
    std::optional<std::string> jwt = StringMember(*value, "jwt");
    if (!jwt) {
      Ignore(event, "no string member \"jwt\"");
      return std::nullopt;
    }
    {
      std::shared_lock lock(mirror_mu);
      auto it = claims.find(pk);
      if (it != claims.end() && it->second.jwt == *jwt) return std::nullopt;
    }
    // The members beside "jwt" are for people reading the bucket: the record is built
    // from the verified token alone.
    Result<crypto::ActorClaims> verified = VerifyStoredToken(*jwt, pk, options.claims_verify);
    if (!verified.ok()) {
      Ignore(event, "claims token: " + verified.status().message());
      return std::nullopt;
    }
    Change change;
    change.kind = Change::Kind::kClaims;
    change.claims = ClaimsRecord{*std::move(verified), *std::move(jwt)};
    std::unique_lock lock(mirror_mu);
    claims[pk] = change.claims;
    BumpLocked();
    return change;
  }

  // REFMAP_ and ALIAS_ values: {"<name_key>": name, "public_key": key}.
  std::optional<Change> ApplyNamePut(const KvEvent& event, std::string_view prefix,
                                     const char* name_key, Change::Kind kind,
                                     std::map<std::string, std::string, std::less<>>& table) {
    std::optional<Json> value = ParseObject(AsChars(event.value));
    if (!value) {
      Ignore(event, "not a JSON object");
      return std::nullopt;
    }
    std::optional<std::string> name = StringMember(*value, name_key);
    std::optional<std::string> pk = StringMember(*value, "public_key");
    if (!name || !pk || pk->empty()) {
      Ignore(event, std::string("needs string members \"") + name_key + "\" and \"public_key\"");
      return std::nullopt;
    }
    if (event.key != NameKey(prefix, *name)) {
      Ignore(event, std::string("its \"") + name_key + "\" belongs under another key");
      return std::nullopt;
    }
    std::unique_lock lock(mirror_mu);
    auto it = table.find(*name);
    if (it != table.end() && it->second == *pk) return std::nullopt;
    table[*name] = *pk;
    BumpLocked();
    Change change;
    change.kind = kind;
    change.name = *std::move(name);
    change.public_key = *std::move(pk);
    return change;
  }

  // A delete of a grow-only key: this store never writes one, but the mirror follows the
  // bucket, so that a host that saw the key and a late joiner that did not agree. There is
  // no listener call for it.
  template <typename Table>
  std::optional<Change> Erase(Table& table, std::string_view name) {
    std::unique_lock lock(mirror_mu);
    auto it = table.find(name);
    if (it == table.end()) return std::nullopt;
    table.erase(it);
    BumpLocked();
    Change change;
    change.kind = Change::Kind::kErased;
    return change;
  }

  std::optional<Change> EraseByKeyPart(std::map<std::string, std::string, std::less<>>& table,
                                       std::string_view prefix, std::string_view key) {
    const std::string_view key_part = key.substr(prefix.size());
    if (key_part.starts_with("=SHA256_")) {
      // A name too long for a key of its own (NameKey): the one whose hash this is.
      std::string found;
      {
        std::shared_lock lock(mirror_mu);
        for (const auto& [name, pk] : table) {
          if (NameKey(prefix, name) == key) {
            found = name;
            break;
          }
        }
      }
      if (found.empty()) return std::nullopt;
      return Erase(table, found);
    }
    Result<std::string> name = DecodeKeyPart(key_part);
    if (!name.ok()) return std::nullopt;
    return Erase(table, *name);
  }

  // Under mirror_mu (unique), right after a change of the mirror: whoever reads the
  // mirror after this change (under the lock) also sees the new version, so a route
  // resolved before the change and cached under the old version is never used after it.
  void BumpLocked() { version->fetch_add(1, std::memory_order_acq_rel); }

  void Notify(const Change& change) {
    std::vector<LatticeStoreListener*> targets;
    {
      std::lock_guard lock(mu);
      targets = listeners;
    }
    for (LatticeStoreListener* l : targets) {
      // Stop() from inside a listener: the rest are not called.
      if (stopped.load(std::memory_order_acquire)) return;
      switch (change.kind) {
        case Change::Kind::kLinkPut:
          l->OnLinkPut(change.link, change.previous);
          break;
        case Change::Kind::kLinkDeleted:
          l->OnLinkDeleted(change.link);
          break;
        case Change::Kind::kClaims:
          l->OnClaims(change.claims);
          break;
        case Change::Kind::kAlias:
          l->OnAlias(change.name, change.public_key);
          break;
        case Change::Kind::kOciRef:
          l->OnOciRef(change.name, change.public_key);
          break;
        case Change::Kind::kErased:
          return;
      }
    }
  }

  // --- the write side.

  Status CheckWritable() {
    std::lock_guard lock(mu);
    if (phase == Phase::kNew) return FailedPrecondition("the lattice store is not started");
    if (phase == Phase::kStopped) return FailedPrecondition("the lattice store is stopped");
    return Status::Ok();
  }

  // Where the watch stood just before a write (see WaitApplied).
  struct WriteMark {
    uint64_t restarts = 0;
    uint64_t applied = 0;
  };

  WriteMark Mark() {
    std::lock_guard lock(mu);
    return {restarts, applied_revision};
  }

  // Waits until the watch applied `revision`, written after `before` (read-your-writes),
  // except on the watch's own thread, where waiting would wait for the caller itself.
  // A stream's revisions only grow, so a revision at or below what the watch had applied
  // before the write is not in the stream the watch reads: the bucket was lost and another
  // host created it again, and this watch has not noticed yet (it checks every few
  // seconds; the bucket is asked to check now). Such a write is applied once the watch has
  // started over on the new stream and brought it (or a later write); until then the
  // mirror does not hold it. (A heuristic: a watch that lags behind its old stream may
  // apply old revisions above the write's before it notices, and the write returns early;
  // the delete of a link is still kept, by the restart's delete markers and Restore.)
  Status WaitApplied(uint64_t revision, std::string_view key, WriteMark before) {
    if (t_applying == this) return Status::Ok();
    const bool replaced = revision <= before.applied;
    if (replaced) bucket->CheckReplaced();
    auto applied = [&] {
      return applied_revision >= revision && (!replaced || restarts > before.restarts);
    };
    std::unique_lock lock(mu);
    bool woke = cv.wait_for(lock, options.apply_timeout,
                            [&] { return applied() || phase == Phase::kStopped; });
    if (applied()) return Status::Ok();
    if (woke) {
      return DeadlineExceeded("written, but the lattice store stopped before its watch applied " +
                              std::string(key));
    }
    if (replaced) {
      return DeadlineExceeded("written, but into bucket " + bucket->name() +
                              " created again after it was lost, and this host's watch did not "
                              "start over on it within " +
                              std::to_string(options.apply_timeout.count()) + " ms");
    }
    return DeadlineExceeded("written, but the watch did not bring " + std::string(key) +
                            " back within " + std::to_string(options.apply_timeout.count()) +
                            " ms");
  }

  Result<uint64_t> Put(const std::string& key, std::string_view value) {
    const WriteMark mark = Mark();
    Result<uint64_t> rev = bucket->Put(key, AsBytes(value));
    if (!rev.ok()) return WriteError(rev.status(), key);
    WC_RETURN_IF_ERROR(WaitApplied(*rev, key, mark));
    return rev;
  }
};

LatticeStore::LatticeStore(std::shared_ptr<KvBucket> bucket, LatticeStoreOptions options)
    : state_(std::make_shared<State>(std::move(bucket), std::move(options), &version_)) {}

LatticeStore::~LatticeStore() { Stop(); }

void LatticeStore::AddListener(LatticeStoreListener* listener) {
  std::lock_guard lock(state_->mu);
  state_->listeners.push_back(listener);
}

Status LatticeStore::Start(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  {
    std::lock_guard lock(state_->mu);
    if (state_->phase != State::Phase::kNew) {
      return FailedPrecondition("the lattice store was already started");
    }
  }
  // The handler keeps the state alive; Stop() breaks that cycle by dropping the watch.
  std::shared_ptr<State> state = state_;
  Result<std::unique_ptr<KvWatch>> watch =
      state_->bucket->Watch([state](const KvEvent& event) { state->OnEvent(event); });
  if (!watch.ok()) {
    return Unavailable(std::string(kUnavailablePrefix) + ": cannot watch bucket " +
                       state_->bucket->name() + ": " + watch.status().message());
  }
  std::unique_lock lock(state_->mu);
  if (state_->phase != State::Phase::kNew) {  // Stop() ran meanwhile
    std::unique_ptr<KvWatch> dropped = *std::move(watch);
    lock.unlock();
    return FailedPrecondition("the lattice store was stopped while it started");
  }
  state_->watch = *std::move(watch);
  state_->phase = State::Phase::kStarted;
  bool done = state_->cv.wait_until(lock, deadline, [&] {
    return state_->ready.load(std::memory_order_acquire) || state_->phase == State::Phase::kStopped;
  });
  if (state_->ready.load(std::memory_order_acquire)) return Status::Ok();
  if (done) return FailedPrecondition("the lattice store was stopped while it started");
  return DeadlineExceeded("the watch of bucket " + state_->bucket->name() +
                          " did not deliver its initial values within " +
                          std::to_string(timeout.count()) + " ms");
}

void LatticeStore::Stop() {
  std::unique_ptr<KvWatch> watch;
  {
    std::lock_guard lock(state_->mu);
    if (state_->phase != State::Phase::kStopped) {
      state_->phase = State::Phase::kStopped;
      state_->stopped.store(true, std::memory_order_release);
      watch = std::move(state_->watch);
    }
  }
  state_->cv.notify_all();
  // Returns once the handler is not running (at once when called from the handler).
  watch.reset();
  if (t_applying == state_.get()) return;  // from a listener: its handler is our caller
  // A listener may have stopped the store, and its handler still be running: wait for it,
  // so that the store may be destroyed once Stop() returns.
  std::unique_lock lock(state_->mu);
  state_->cv.wait(lock, [&] { return state_->running_handlers == 0; });
  lock.unlock();
  State::SayNotLogged(state_->ignored_lines.TakeSuppressed({}));
}

bool LatticeStore::ready() const { return state_->ready.load(std::memory_order_acquire); }

bool LatticeStore::degraded() const { return state_->degraded.load(std::memory_order_acquire); }

Status LatticeStore::PutLink(const LinkDefinition& link) {
  Status invalid;
  if (!ValidText("the link's actor id", link.actor_id, &invalid) ||
      !ValidText("the link's provider id", link.provider_id, &invalid) ||
      !ValidText("the link's contract id", link.contract_id, &invalid) ||
      !ValidText("the link name", link.link_name, &invalid)) {
    return invalid;
  }
  for (const auto& [k, v] : link.values) {
    if (!IsValidUtf8(k) || !IsValidUtf8(v)) {
      return InvalidArgument("the link's values are not valid UTF-8");
    }
  }
  WC_RETURN_IF_ERROR(state_->CheckWritable());
  std::string key =
      std::string(kLinkPrefix) + LinkId(link.actor_id, link.contract_id, link.link_name);
  return state_->Put(key, LinkToJson(link)).status();
}

Result<LinkDefinition> LatticeStore::DeleteLink(std::string_view actor_id,
                                                std::string_view contract_id,
                                                std::string_view link_name) {
  WC_RETURN_IF_ERROR(state_->CheckWritable());
  std::optional<LinkDefinition> link = FindLink(actor_id, contract_id, link_name);
  if (!link) {
    return NotFound("no link from actor " + std::string(actor_id) + " on contract " +
                    std::string(contract_id) + " with link name " + std::string(link_name));
  }
  std::string key = std::string(kLinkPrefix) + LinkId(actor_id, contract_id, link_name);
  const State::WriteMark mark = state_->Mark();
  Result<uint64_t> rev = state_->bucket->Delete(key);
  if (!rev.ok()) return WriteError(rev.status(), key);
  WC_RETURN_IF_ERROR(state_->WaitApplied(*rev, key, mark));
  return *std::move(link);
}

Status LatticeStore::PutClaims(const crypto::ActorClaims& claims, std::string_view token) {
  if (claims.sub.empty()) return InvalidArgument("the claims have no subject");
  // Refused here what every reader would ignore: a write that could never be applied.
  Result<crypto::ActorClaims> verified =
      VerifyStoredToken(token, claims.sub, state_->options.claims_verify);
  if (!verified.ok()) return verified.status().WithContext("claims of " + claims.sub);
  WC_RETURN_IF_ERROR(state_->CheckWritable());
  {
    std::shared_lock lock(state_->mirror_mu);
    auto it = state_->claims.find(claims.sub);
    if (it != state_->claims.end() && it->second.jwt == token) return Status::Ok();
  }
  // The decoded claims of the token itself (the same as `claims` for an honest caller).
  std::optional<std::string> value = ClaimsValue(*verified, token);
  if (!value) return Internal("claims of " + claims.sub + " do not encode as a JSON object");
  std::string key = std::string(kClaimsPrefix) + claims.sub;
  return state_->Put(key, *value).status();
}

Status LatticeStore::PutOciRef(std::string_view oci_ref, std::string_view public_key) {
  Status invalid;
  if (!ValidText("the OCI reference", oci_ref, &invalid) ||
      !ValidText("the public key", public_key, &invalid)) {
    return invalid;
  }
  WC_RETURN_IF_ERROR(state_->CheckWritable());
  std::string key = NameKey(kRefPrefix, oci_ref);
  return state_->Put(key, NameToKeyJson("oci_url", oci_ref, public_key)).status();
}

Result<std::string> LatticeStore::ClaimAlias(std::string_view alias, std::string_view public_key) {
  Status invalid;
  if (!ValidText("the alias", alias, &invalid) ||
      !ValidText("the public key", public_key, &invalid)) {
    return invalid;
  }
  WC_RETURN_IF_ERROR(state_->CheckWritable());
  if (std::string owner = AliasOwner(alias); !owner.empty()) return owner;
  std::string key = NameKey(kAliasPrefix, alias);
  std::string value = NameToKeyJson("alias", alias, public_key);
  // A few rounds: between a refused Create and the Get, the owner's key may have been
  // deleted (by someone else: this store never deletes aliases).
  for (int attempt = 0; attempt < 3; ++attempt) {
    const State::WriteMark mark = state_->Mark();
    Result<uint64_t> rev = state_->bucket->Create(key, AsBytes(value));
    if (rev.ok()) {
      WC_RETURN_IF_ERROR(state_->WaitApplied(*rev, key, mark));
      return std::string(public_key);
    }
    if (rev.status().code() != Code::kAlreadyExists) return WriteError(rev.status(), key);
    if (std::string owner = AliasOwner(alias); !owner.empty()) return owner;
    // Taken, but this store's watch has not brought it yet: read the owner from the bucket.
    Result<std::optional<KvEntry>> entry = state_->bucket->Get(key);
    if (!entry.ok()) return WriteError(entry.status(), key);
    if (!entry->has_value()) continue;
    std::optional<Json> stored = ParseObject(AsChars((*entry)->value));
    std::optional<std::string> owner =
        stored ? StringMember(*stored, "public_key") : std::optional<std::string>();
    if (!owner || owner->empty()) {
      return Internal("alias " + std::string(alias) + " is taken, but the value of " + key +
                      " names no public key");
    }
    return *owner;
  }
  return Unavailable(std::string(kUnavailablePrefix) + ": alias " + std::string(alias) +
                     " kept changing owners while it was claimed");
}

Result<std::optional<ClaimsRecord>> LatticeStore::FetchClaims(std::string_view public_key) const {
  if (auto mirrored = Claims(public_key)) return mirrored;
  std::string key = std::string(kClaimsPrefix) + std::string(public_key);
  if (!ValidateKvKey(key).ok()) return std::optional<ClaimsRecord>();
  Result<std::optional<KvEntry>> entry = state_->bucket->Get(key);
  if (!entry.ok()) return WriteError(entry.status(), key, "read");
  if (!entry->has_value()) return std::optional<ClaimsRecord>();
  std::optional<Json> value = ParseObject(AsChars((*entry)->value));
  std::optional<std::string> jwt = value ? StringMember(*value, "jwt") : std::nullopt;
  if (!jwt) return std::optional<ClaimsRecord>();
  Result<crypto::ActorClaims> verified =
      VerifyStoredToken(*jwt, public_key, state_->options.claims_verify);
  if (!verified.ok()) return std::optional<ClaimsRecord>();
  return std::optional<ClaimsRecord>(ClaimsRecord{*std::move(verified), *std::move(jwt)});
}

Result<std::optional<LinkDefinition>> LatticeStore::FetchLink(std::string_view actor_id,
                                                              std::string_view contract_id,
                                                              std::string_view link_name) const {
  std::string key = std::string(kLinkPrefix) + LinkId(actor_id, contract_id, link_name);
  Result<std::optional<KvEntry>> entry = state_->bucket->Get(key);
  if (!entry.ok()) return WriteError(entry.status(), key, "read");
  if (!entry->has_value()) return std::optional<LinkDefinition>();
  auto link = LinkFromJson(AsChars((*entry)->value));
  if (!link.ok() || link->actor_id != actor_id || link->contract_id != contract_id ||
      link->link_name != link_name) {
    return std::optional<LinkDefinition>();
  }
  return std::optional<LinkDefinition>(*std::move(link));
}

Result<std::string> LatticeStore::FetchAliasOwner(std::string_view alias) const {
  if (std::string owner = AliasOwner(alias); !owner.empty()) return owner;
  std::string key = NameKey(kAliasPrefix, alias);
  if (!ValidateKvKey(key).ok()) return std::string();
  Result<std::optional<KvEntry>> entry = state_->bucket->Get(key);
  if (!entry.ok()) return WriteError(entry.status(), key, "read");
  if (!entry->has_value()) return std::string();
  std::optional<Json> value = ParseObject(AsChars((*entry)->value));
  std::optional<std::string> name = value ? StringMember(*value, "alias") : std::nullopt;
  std::optional<std::string> owner = value ? StringMember(*value, "public_key") : std::nullopt;
  if (!name || *name != alias || !owner) return std::string();
  return *owner;
}

std::optional<LinkDefinition> LatticeStore::FindLink(std::string_view actor_id,
                                                     std::string_view contract_id,
                                                     std::string_view link_name) const {
  std::shared_lock lock(state_->mirror_mu);
  auto it = state_->links.find(LinkKeyView{actor_id, contract_id, link_name});
  if (it == state_->links.end()) return std::nullopt;
  return it->second;
}

std::vector<LinkDefinition> LatticeStore::Links() const {
  std::shared_lock lock(state_->mirror_mu);
  std::vector<LinkDefinition> out;
  out.reserve(state_->links.size());
  for (const auto& [k, link] : state_->links) out.push_back(link);
  return out;
}

std::vector<LinkDefinition> LatticeStore::LinksOfActor(std::string_view actor_id) const {
  std::shared_lock lock(state_->mirror_mu);
  std::vector<LinkDefinition> out;
  for (auto it = state_->links.lower_bound(LinkKeyView{actor_id, {}, {}});
       it != state_->links.end() && std::get<0>(it->first) == actor_id; ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::vector<LinkDefinition> LatticeStore::LinksOfProvider(std::string_view provider_id,
                                                          std::string_view link_name) const {
  std::shared_lock lock(state_->mirror_mu);
  std::vector<LinkDefinition> out;
  for (const auto& [k, link] : state_->links) {
    if (link.provider_id == provider_id && link.link_name == link_name) out.push_back(link);
  }
  return out;
}

std::optional<ClaimsRecord> LatticeStore::Claims(std::string_view public_key) const {
  std::shared_lock lock(state_->mirror_mu);
  auto it = state_->claims.find(public_key);
  if (it == state_->claims.end()) return std::nullopt;
  return it->second;
}

std::map<std::string, crypto::ActorClaims> LatticeStore::AllClaims() const {
  std::shared_lock lock(state_->mirror_mu);
  std::map<std::string, crypto::ActorClaims> out;
  for (const auto& [pk, record] : state_->claims) out.emplace(pk, record.claims);
  return out;
}

std::string LatticeStore::AliasOwner(std::string_view alias) const {
  std::shared_lock lock(state_->mirror_mu);
  auto it = state_->aliases.find(alias);
  return it == state_->aliases.end() ? std::string() : it->second;
}

std::string LatticeStore::ResolveOciRef(std::string_view oci_ref) const {
  std::shared_lock lock(state_->mirror_mu);
  auto it = state_->oci_refs.find(oci_ref);
  return it == state_->oci_refs.end() ? std::string() : it->second;
}

std::map<std::string, std::string> LatticeStore::OciRefs() const {
  std::shared_lock lock(state_->mirror_mu);
  return {state_->oci_refs.begin(), state_->oci_refs.end()};
}

}  // namespace wasmcloud::lattice
