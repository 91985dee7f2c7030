// The configuration table: one ConfigOption per HostConfig field, its parsing and its
// validation. The flag and variable names are written here and nowhere else;
// docs/configuration.md is the same table for people.
#include "host/host_config.h"
#include "core/text.h"
#include "core/utf8.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/bytes.h"
#include "crypto/nkeys.h"
#include "lattice/invocation_verifier.h"
#include "lattice/subjects.h"

namespace wasmcloud::host {

std::string_view ProviderIsolationName(ProviderIsolation isolation) {
  switch (isolation) {
    case ProviderIsolation::kAuto:
      return "auto";
    case ProviderIsolation::kProcess:
      return "process";
    case ProviderIsolation::kInProcess:
      return "in-process";
  }
  return "auto";
}

Result<ProviderIsolation> ParseProviderIsolation(std::string_view text) {
  for (auto i :
       {ProviderIsolation::kAuto, ProviderIsolation::kProcess, ProviderIsolation::kInProcess}) {
    if (text == ProviderIsolationName(i)) return i;
  }
  return InvalidArgument("expected auto, process or in-process, got \"" + std::string(text) + "\"");
}

namespace {

// "got \"<text>\"" for messages, with the text cut to a readable length and control
// characters escaped (values come from the command line and the environment).
std::string Got(std::string_view text) {
  constexpr size_t kShown = 80;
  std::string out = "got \"";
  for (char c : text.substr(0, kShown)) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  if (text.size() > kShown) out += "...";
  out += '"';
  return out;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A whole number in [min, max]: decimal digits only (no sign, no spaces).
bool ParseWholeNumber(std::string_view text, uint64_t min, uint64_t max, uint64_t* out) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return false;  // overflow
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

Status ParseSwitch(std::string_view text, bool* out) {
  for (std::string_view yes : {"1", "true", "yes"}) {
    if (EqualsIgnoreCase(text, yes)) {
      *out = true;
      return Status::Ok();
    }
  }
  for (std::string_view no : {"0", "false", "no"}) {
    if (EqualsIgnoreCase(text, no)) {
      *out = false;
      return Status::Ok();
    }
  }
  return InvalidArgument("expected true or false (or 1/0, yes/no), " + Got(text));
}

constexpr uint64_t kMaxWorkers = 1024;
constexpr uint64_t kMaxMilliseconds = 24ull * 60 * 60 * 1000;  // one day: the cap of every timeout
constexpr uint64_t kMaxMemoryPages = 65536;                    // 4 GiB, all of wasm32

Status ApplyHostSeed(HostConfig& config, std::string_view value) {
  // The value may be a secret: no message below repeats it.
  if (value.empty()) {
    return InvalidArgument(
        "expected a server seed (58 characters starting with SN) or the path of a file "
        "holding one, got an empty value");
  }
  bool looks_like_seed = value.size() == crypto::kSeedLength && value[0] == 'S';
  for (char c : value) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'))) looks_like_seed = false;
  }
  if (looks_like_seed) {
    auto key = crypto::KeyPair::FromSeed(value);
    if (!key.ok()) {
      return InvalidArgument("the value looks like a seed but is not a valid one (" +
                             key.status().message() +
                             "); a file with such a name can be given as ./NAME");
    }
    if (key->type() != crypto::KeyType::kServer) {
      return InvalidArgument("expected a server seed (starting with SN), got a seed of type " +
                             std::string(crypto::KeyTypeName(key->type())));
    }
  }
  config.host_seed = std::string(value);
  return Status::Ok();
}

// A count of workers from 0 to kMaxWorkers into `field`; `zero` says what 0 means.
Status ApplyWorkerCount(unsigned HostConfig::*field, const char* zero, HostConfig& config,
                        std::string_view value) {
  uint64_t n;
  if (!ParseWholeNumber(value, 0, kMaxWorkers, &n)) {
    return InvalidArgument("expected a whole number from 0 to 1024 (0: " + std::string(zero) +
                           "), " + Got(value));
  }
  config.*field = static_cast<unsigned>(n);
  return Status::Ok();
}

Status ApplyWorkers(HostConfig& config, std::string_view value) {
  return ApplyWorkerCount(&HostConfig::workers, "one per core, plus one", config, value);
}

// A whole number of milliseconds from 1 to one day into `field`.
template <std::chrono::milliseconds HostConfig::*field>
Status ApplyMilliseconds(HostConfig& config, std::string_view value) {
  uint64_t ms;
  if (!ParseWholeNumber(value, 1, kMaxMilliseconds, &ms)) {
    return InvalidArgument(
        "expected a whole number of milliseconds from 1 to 86400000 (one day), " + Got(value));
  }
  config.*field = std::chrono::milliseconds(ms);
  return Status::Ok();
}

// At most the invocation max age (60 s): the invocations of this host carry exp = now +
// this, and a receiver refuses a token valid for longer (Host::Start says so too, for an
// embedder that sets both).
Status ApplyRpcTimeout(HostConfig& config, std::string_view value) {
  uint64_t ms;
  if (!ParseWholeNumber(value, 1, 60000, &ms)) {
    return InvalidArgument(
        "expected a whole number of milliseconds from 1 to 60000 (a receiver refuses an "
        "invocation valid for longer than 60 s), " +
        Got(value));
  }
  config.rpc_timeout = std::chrono::milliseconds(ms);
  return Status::Ok();
}

Status ApplyMaxMemoryPages(HostConfig& config, std::string_view value) {
  uint64_t pages;
  if (!ParseWholeNumber(value, 1, kMaxMemoryPages, &pages)) {
    return InvalidArgument("expected a whole number of 64 KiB pages from 1 to 65536, " +
                           Got(value));
  }
  config.max_memory_pages = pages;
  return Status::Ok();
}

// A whole number from `min` to `max` into `field`; `unit` names it in the error.
template <uint64_t HostConfig::*field, uint64_t min, uint64_t max>
Status ApplyBounded(HostConfig& config, std::string_view value) {
  uint64_t n;
  if (!ParseWholeNumber(value, min, max, &n)) {
    return InvalidArgument("expected a whole number from " + std::to_string(min) + " to " +
                           std::to_string(max) + ", " + Got(value));
  }
  config.*field = n;
  return Status::Ok();
}

constexpr uint64_t kMaxMegabytes = 1ull << 20;    // 1 TiB in MiB
constexpr uint64_t kMaxBytes = 1ull << 31;        // 2 GiB: what a wasm32 i32 length can say
constexpr uint64_t kMaxTableElements = 10000000;  // V8's own cap per table

Status ApplyOciTagTtl(HostConfig& config, std::string_view value) {
  uint64_t s;
  if (!ParseWholeNumber(value, 0, 30ull * 24 * 60 * 60, &s)) {
    return InvalidArgument("expected a whole number of seconds from 0 to 2592000 (30 days), " +
                           Got(value));
  }
  config.oci_tag_ttl = std::chrono::seconds(s);
  return Status::Ok();
}

Status ApplyAllowedIssuer(HostConfig& config, std::string_view value) {
  auto key = crypto::ParsePublicKey(value);
  if (!key.ok()) {
    return InvalidArgument("expected an account public key (56 characters starting with A), " +
                           Got(value) + ": " + key.status().message());
  }
  if (key->type != crypto::KeyType::kAccount) {
    return InvalidArgument("expected an account public key (starting with A), " + Got(value) +
                           ", a key of type " + std::string(crypto::KeyTypeName(key->type)));
  }
  for (const auto& issuer : config.allowed_issuers) {
    if (issuer == value) return Status::Ok();
  }
  config.allowed_issuers.emplace_back(value);
  return Status::Ok();
}

Status ApplyAllowedInsecure(HostConfig& config, std::string_view value) {
  // Compared as-is with the registry part of an OCI reference ("localhost:5000").
  bool ok = !value.empty();
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '/') ok = false;
  }
  if (!ok) {
    return InvalidArgument("expected a registry host[:port] such as localhost:5000, " + Got(value));
  }
  for (const auto& registry : config.allowed_insecure) {
    if (registry == value) return Status::Ok();
  }
  config.allowed_insecure.emplace_back(value);
  return Status::Ok();
}

// A file or directory path: not empty, no control characters (it is read later, when the
// host starts or pulls).
template <std::string HostConfig::*field>
Status ApplyPath(HostConfig& config, std::string_view value) {
  bool ok = !value.empty();
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) ok = false;
  }
  if (!ok) return InvalidArgument("expected a path, " + Got(value));
  config.*field = std::string(value);
  return Status::Ok();
}

Status CheckLabelText(std::string_view what, std::string_view key, std::string_view text,
                      size_t max) {
  if (text.size() > max) {
    return InvalidArgument("label " + EscapeLogText(key, 64) + ": its " + std::string(what) +
                           " has " + std::to_string(text.size()) + " bytes, more than " +
                           std::to_string(max));
  }
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgument("label " + EscapeLogText(key, 64) + ": its " + std::string(what) +
                             " holds a control character");
    }
  }
  if (!IsValidUtf8(text)) {
    return InvalidArgument("label " + EscapeLogText(key, 64) + ": its " + std::string(what) +
                           " is not valid UTF-8");
  }
  return Status::Ok();
}

}  // namespace

Status CheckLabel(std::string_view key, std::string_view value) {
  WC_RETURN_IF_ERROR(CheckLabelText("key", key, key, kMaxLabelKeyBytes));
  return CheckLabelText("value", key, value, kMaxLabelValueBytes);
}

namespace {

Status ApplyLabel(HostConfig& config, std::string_view value) {
  size_t eq = value.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return InvalidArgument("expected KEY=VALUE with a non-empty KEY, " + Got(value));
  }
  std::string_view key = value.substr(0, eq);
  if (key.starts_with("hostcore.")) {
    return InvalidArgument("label keys starting with \"hostcore.\" are set by the host, " +
                           Got(value));
  }
  WC_RETURN_IF_ERROR(CheckLabel(key, value.substr(eq + 1)));
  if (config.labels.size() >= kMaxLabels && !config.labels.contains(std::string(key))) {
    return InvalidArgument("more than " + std::to_string(kMaxLabels) + " labels");
  }
  // A later value for the same key wins, so that a flag overrides the environment.
  config.labels[std::string(key)] = std::string(value.substr(eq + 1));
  return Status::Ok();
}

// IP:PORT, checked in full when the server starts (an IP address, a port 0..65535); here
// only its shape.
Status ApplyAdminAddress(HostConfig& config, std::string_view value) {
  if (value == "off") {
    config.http_admin = "off";
    return Status::Ok();
  }
  bool ok = value.size() >= 3 && value.find(':') != std::string_view::npos && value.back() != ':';
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '/' || c == '@') ok = false;
  }
  if (!ok) {
    return InvalidArgument("expected IP:PORT such as 127.0.0.1:9090, or off, " + Got(value));
  }
  config.http_admin = std::string(value);
  return Status::Ok();
}

Status ApplyLogFormat(HostConfig& config, std::string_view value) {
  if (!ParseLogFormat(value, &config.log_format)) {
    return InvalidArgument("expected text or json, " + Got(value));
  }
  return Status::Ok();
}

Status ApplyLogLevel(HostConfig& config, std::string_view value) {
  if (!ParseLogLevel(value, &config.log_level)) {
    return InvalidArgument("expected one of trace, debug, info, warn, error, off, " + Got(value));
  }
  return Status::Ok();
}

template <std::string HostConfig::*field>
Status ApplyNatsHost(HostConfig& config, std::string_view value) {
  bool ok = !value.empty();
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '/' || c == '@') ok = false;
  }
  if (!ok) {
    return InvalidArgument("expected a host name or address such as 127.0.0.1, " + Got(value));
  }
  config.*field = std::string(value);
  return Status::Ok();
}

template <uint16_t HostConfig::*field>
Status ApplyPort(HostConfig& config, std::string_view value) {
  uint64_t port;
  if (!ParseWholeNumber(value, 1, 65535, &port)) {
    return InvalidArgument("expected a port from 1 to 65535, " + Got(value));
  }
  config.*field = static_cast<uint16_t>(port);
  return Status::Ok();
}

Status ApplyHeartbeatInterval(HostConfig& config, std::string_view value) {
  uint64_t seconds;
  if (!ParseWholeNumber(value, 0, 86400, &seconds)) {
    return InvalidArgument("expected a number of seconds from 0 (no heartbeat) to 86400, " +
                           Got(value));
  }
  config.heartbeat_interval = std::chrono::seconds(seconds);
  return Status::Ok();
}

// A secret or the path of a file holding it: no message repeats the value.
template <std::string HostConfig::*field>
Status ApplySecret(HostConfig& config, std::string_view value) {
  if (value.empty()) return InvalidArgument("expected a value or a file, got an empty one");
  config.*field = std::string(value);
  return Status::Ok();
}

Status ApplyLatticePrefix(HostConfig& config, std::string_view value) {
  WC_RETURN_IF_ERROR(lattice::ValidateLatticeName(value));
  config.lattice_prefix = std::string(value);
  return Status::Ok();
}

Status ApplyMaxActorCalls(HostConfig& config, std::string_view value) {
  return ApplyWorkerCount(&HostConfig::max_actor_calls, "all workers but one", config, value);
}

Status ApplyProviderIsolation(HostConfig& config, std::string_view value) {
  WC_ASSIGN_OR_RETURN(config.provider_isolation, ParseProviderIsolation(value));
  return Status::Ok();
}

// A user or group id: all digits, below 2^32 - 1 (which means "no id" to the kernel).
bool ParseId(std::string_view text, uint32_t* out) {
  uint64_t n;
  if (!ParseWholeNumber(text, 0, 0xFFFFFFFEu, &n)) return false;
  *out = static_cast<uint32_t>(n);
  return true;
}

// getpwnam_r and its kin into a buffer that grows while they say it is too small; their
// error code (0 with *found null: no such entry).
template <typename Entry, typename Key, typename Fn>
int LookUp(Fn fn, Key key, Entry* entry, Entry** found, std::vector<char>& buf) {
  for (;;) {
    const int rc = fn(key, entry, buf.data(), buf.size(), found);
    if (rc != ERANGE || buf.size() >= (1u << 20)) return rc;
    buf.resize(buf.size() * 2);
  }
}

// What a lookup's result means: found, not there (the codes the functions use for "no
// entry"), or a failure of the database itself.
Status LookupFailure(int rc, const std::string& what) {
  if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM) {
    return InvalidArgument("no " + what);
  }
  return InvalidArgument("cannot look up " + what + ": " + std::strerror(rc));
}

// USER[:GROUP], names (from the password and group databases) or numbers; neither may be
// root's.
Status ApplyProviderUser(HostConfig& config, std::string_view value) {
  const size_t colon = value.find(':');
  const std::string user(value.substr(0, colon));
  const std::optional<std::string> group_text =
      colon == std::string_view::npos ? std::nullopt
                                      : std::optional<std::string>(value.substr(colon + 1));
  if (user.empty() || (group_text && group_text->empty())) {
    return InvalidArgument("expected USER or USER:GROUP (names or numbers), " + Got(value));
  }
  HostConfig::RunAs run_as;
  std::optional<uint32_t> primary_group;
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* pw_found = nullptr;
  if (uint32_t id; ParseId(user, &id) && group_text) {
    run_as.uid = id;  // both numbers or a group name: nothing to look up for the user
  } else if (ParseId(user, &id)) {
    run_as.uid = id;
    const int rc = LookUp(::getpwuid_r, static_cast<uid_t>(id), &pw, &pw_found, buf);
    if (pw_found != nullptr) {
      primary_group = pw_found->pw_gid;
    } else if (Status s = LookupFailure(rc, "user " + user); s.message().starts_with("cannot")) {
      return s;
    }
  } else {
    const int rc = LookUp(::getpwnam_r, user.c_str(), &pw, &pw_found, buf);
    if (pw_found == nullptr) {
      return LookupFailure(rc, "user named \"" + user + "\" in the password database");
    }
    run_as.uid = pw_found->pw_uid;
    primary_group = pw_found->pw_gid;
  }
  if (!group_text) {
    if (!primary_group) {
      return InvalidArgument("user id " + user +
                             " is not in the password database: give its group too "
                             "(USER:GROUP)");
    }
    run_as.gid = *primary_group;
  } else if (uint32_t id; ParseId(*group_text, &id)) {
    run_as.gid = id;
  } else {
    ::group gr{};
    ::group* found = nullptr;
    const int rc = LookUp(::getgrnam_r, group_text->c_str(), &gr, &found, buf);
    if (found == nullptr) {
      return LookupFailure(rc, "group named \"" + *group_text + "\" in the group database");
    }
    run_as.gid = found->gr_gid;
  }
  // Root's user or group would keep the child's power over the host's files.
  if (run_as.uid == 0 || run_as.gid == 0) {
    return InvalidArgument("a provider may not run as root (uid " + std::to_string(run_as.uid) +
                           ", gid " + std::to_string(run_as.gid) +
                           "): give an unprivileged user and group, e.g. one made for the host");
  }
  config.provider_user = run_as;
  return Status::Ok();
}

Status ApplyInvocationIssuers(HostConfig& config, std::string_view value) {
  auto policy = lattice::IssuerPolicy::Parse(value);
  if (!policy.ok()) return policy.status();
  config.invocation_issuers = std::string(value);
  return Status::Ok();
}

Status ApplyLatticeReplicas(HostConfig& config, std::string_view value) {
  uint64_t n;
  if (!ParseWholeNumber(value, 1, 5, &n)) {
    return InvalidArgument("expected a number of replicas from 1 to 5, " + Got(value));
  }
  config.lattice_replicas = static_cast<unsigned>(n);
  return Status::Ok();
}

Status ApplyJsDomain(HostConfig& config, std::string_view value) {
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok)
      return InvalidArgument("expected a JetStream domain (letters, digits, _ and -), " +
                             Got(value));
  }
  config.js_domain = std::string(value);
  return Status::Ok();
}

// Switches: `field` is set to the value, or to its opposite when `inverted`.
template <bool HostConfig::*field, bool inverted = false>
Status ApplySwitch(HostConfig& config, std::string_view value) {
  bool on;
  WC_RETURN_IF_ERROR(ParseSwitch(value, &on));
  config.*field = inverted ? !on : on;
  return Status::Ok();
}

constexpr std::array<ConfigOption, 65> kOptions = {{
    {"--host-seed", "WASMCLOUD_HOST_SEED", "SEED|FILE",
     "Seed (SN...) of the host's key, or a file holding it; default: a new key at each start",
     false, &ApplyHostSeed},
    {"--workers", "WASMCLOUD_WORKERS", "N",
     "Worker threads that run actor calls, 0 to 1024; default 0: one per core, plus one", false,
     &ApplyWorkers},
    {"--call-timeout-ms", "WASMCLOUD_CALL_TIMEOUT_MS", "MS",
     "Deadline of one actor call in milliseconds; default 10000", false,
     &ApplyMilliseconds<&HostConfig::call_timeout>},
    {"--max-memory-pages", "WASMCLOUD_MAX_MEMORY_PAGES", "N",
     "Cap on an actor's linear memory in 64 KiB pages, 1 to 65536; default 16384 (1 GiB)", false,
     &ApplyMaxMemoryPages},
    {"--max-actor-memory-mb", "WASMCLOUD_MAX_ACTOR_MEMORY_MB", "MIB",
     "Cap on the memory of all instances of one actor together, in MiB; each instance gets "
     "at most this divided by the workers; default 4096",
     false, &ApplyBounded<&HostConfig::max_actor_memory_mb, 1, kMaxMegabytes>},
    {"--instance-recycle-mb", "WASMCLOUD_INSTANCE_RECYCLE_MB", "MIB",
     "An instance whose memory grew above this many MiB is replaced after its call and its "
     "memory returned; 0: never; default 64",
     false, &ApplyBounded<&HostConfig::instance_recycle_mb, 0, kMaxMegabytes>},
    {"--max-table-elements", "WASMCLOUD_MAX_TABLE_ELEMENTS", "N",
     "Cap on the elements of one table of an actor module; default 1000000", false,
     &ApplyBounded<&HostConfig::max_table_elements, 1, kMaxTableElements>},
    {"--max-total-table-elements", "WASMCLOUD_MAX_TOTAL_TABLE_ELEMENTS", "N",
     "Cap on the elements of all tables of an actor module together; default 2000000", false,
     &ApplyBounded<&HostConfig::max_total_table_elements, 1, 16 * kMaxTableElements>},
    {"--max-module-bytes", "WASMCLOUD_MAX_MODULE_BYTES", "BYTES",
     "Largest actor module accepted; default 67108864 (64 MiB)", false,
     &ApplyBounded<&HostConfig::max_module_bytes, 1, kMaxBytes>},
    {"--max-response-bytes", "WASMCLOUD_MAX_RESPONSE_BYTES", "BYTES",
     "Largest response or error an actor may return from one call; default 67108864", false,
     &ApplyBounded<&HostConfig::max_response_bytes, 1, kMaxBytes>},
    {"--max-host-call-bytes", "WASMCLOUD_MAX_HOST_CALL_BYTES", "BYTES",
     "Largest payload of one call an actor makes (to a provider or actor); default 67108864", false,
     &ApplyBounded<&HostConfig::max_host_call_bytes, 1, kMaxBytes>},
    {"--allowed-issuer", "WASMCLOUD_ALLOWED_ISSUERS", "ACCOUNT_KEY",
     "Only start actors and provider archives signed by this account (A...); repeatable; "
     "default: any issuer",
     true, &ApplyAllowedIssuer},
    {"--lax-key-types", "WASMCLOUD_LAX_KEY_TYPES", "",
     "Accept actor claims with any issuer and subject key types, as 0.18 did", false,
     &ApplySwitch<&HostConfig::lax_key_types>},
    {"--allow-unsigned-providers", "WASMCLOUD_ALLOW_UNSIGNED_PROVIDERS", "",
     "Load providers given as a bare library (.so): no claims, so nothing to verify", false,
     &ApplySwitch<&HostConfig::allow_unsigned_providers>},
    {"--allow-live-updates", "WASMCLOUD_ALLOW_LIVE_UPDATES", "",
     "Allow live updates of running actors", false, &ApplySwitch<&HostConfig::allow_live_updates>},
    {"--disable-strict-update-check", "WASMCLOUD_DISABLE_STRICT_UPDATE_CHECK", "",
     "Let a live update change the actor's capabilities", false,
     &ApplySwitch<&HostConfig::strict_update_check, /*inverted=*/true>},
    {"--allow-oci-latest", "WASMCLOUD_OCI_ALLOW_LATEST", "",
     "Allow OCI references tagged latest, written or implied by no tag", false,
     &ApplySwitch<&HostConfig::allow_oci_latest>},
    {"--allowed-insecure", "WASMCLOUD_OCI_ALLOWED_INSECURE", "HOST[:PORT]",
     "OCI registry to reach over plain HTTP; repeatable", true, &ApplyAllowedInsecure},
    {"--oci-ca-file", "WASMCLOUD_OCI_CA_FILE", "FILE",
     "PEM CA certificates trusted for HTTPS OCI registries besides the system's", false,
     &ApplyPath<&HostConfig::oci_ca_file>},
    {"--oci-cache-dir", "WASMCLOUD_OCI_CACHE_DIR", "DIR",
     "Cache of pulled OCI artefacts; default $TMPDIR/wasmcloud_ocicache", false,
     &ApplyPath<&HostConfig::oci_cache_dir>},
    {"--oci-connect-timeout-ms", "WASMCLOUD_OCI_CONNECT_TIMEOUT_MS", "MS",
     "Timeout of connecting to an OCI registry in milliseconds; default 10000", false,
     &ApplyMilliseconds<&HostConfig::oci_connect_timeout>},
    {"--oci-timeout-ms", "WASMCLOUD_OCI_TIMEOUT_MS", "MS",
     "Timeout of each OCI registry request, start to end, in milliseconds; default 300000", false,
     &ApplyMilliseconds<&HostConfig::oci_request_timeout>},
    {"--oci-tag-ttl-s", "WASMCLOUD_OCI_TAG_TTL_S", "SECONDS",
     "Seconds a tag's digest is served from the cache before the registry is asked again "
     "(pinned digests: always); 0: every time; default 300",
     false, &ApplyOciTagTtl},
    {"--oci-offline", "WASMCLOUD_OCI_OFFLINE", "",
     "Never contact a registry: serve references from the cache only", false,
     &ApplySwitch<&HostConfig::oci_offline>},
    {"--code-cache-dir", "WASMCLOUD_CODE_CACHE_DIR", "DIR",
     "Cache of compiled actor code across restarts; default $XDG_CACHE_HOME/wasmcloud/code "
     "or ~/.cache/wasmcloud/code",
     false, &ApplyPath<&HostConfig::code_cache_dir>},
    {"--no-code-cache", "WASMCLOUD_NO_CODE_CACHE", "",
     "Neither read nor write the code cache: every actor's code is compiled afresh", false,
     &ApplySwitch<&HostConfig::no_code_cache>},
    {"--code-cache-max-mb", "WASMCLOUD_CODE_CACHE_MAX_MB", "MIB",
     "Bound on the code cache's files in MiB, oldest removed first; default 256", false,
     &ApplyBounded<&HostConfig::code_cache_max_mb, 1, kMaxMegabytes>},
    {"--label", "WASMCLOUD_LABELS", "KEY=VALUE",
     "A host label (keys starting with hostcore. are refused); repeatable", true, &ApplyLabel},
    {"--log-level", "WASMCLOUD_LOG_LEVEL", "LEVEL",
     "Host log level: trace, debug, info, warn, error or off; default info", false, &ApplyLogLevel},
    {"--log-format", "WASMCLOUD_LOG_FORMAT", "FORMAT",
     "Host log lines as text or json (one object per line); default text", false, &ApplyLogFormat},
    {"--dumpable", "WASMCLOUD_DUMPABLE", "",
     "Let processes of this user attach a debugger or profiler to the host and read its "
     "memory, and let it dump core (by default its process is not dumpable)",
     false, &ApplySwitch<&HostConfig::dumpable>},
    {"--rpc-host", "RPC_HOST", "HOST",
     "NATS server of the lattice; without it, up starts a local one and call runs alone", false,
     &ApplyNatsHost<&HostConfig::rpc_host>},
    {"--no-lattice", "WASMCLOUD_NO_LATTICE", "",
     "up without --rpc-host: run alone instead of starting a local nats-server", false,
     &ApplySwitch<&HostConfig::no_lattice>},
    {"--rpc-port", "RPC_PORT", "PORT", "Port of the lattice's NATS server; default 4222", false,
     &ApplyPort<&HostConfig::rpc_port>},
    {"--rpc-jwt", "RPC_JWT", "JWT|FILE",
     "User JWT for the lattice's NATS connection, or a file holding it (with --rpc-seed)", false,
     &ApplySecret<&HostConfig::rpc_jwt>},
    {"--rpc-seed", "RPC_SEED", "SEED|FILE",
     "Nkey seed for the lattice's NATS connection, or a file holding it", false,
     &ApplySecret<&HostConfig::rpc_seed>},
    {"--rpc-credsfile", "RPC_CREDS", "FILE", "NATS .creds file for the lattice's NATS connection",
     false, &ApplyPath<&HostConfig::rpc_credsfile>},
    {"--rpc-tls", "WASMCLOUD_RPC_TLS", "",
     "Connect to the lattice's NATS server with TLS (on with any --rpc-tls-*-file too)", false,
     &ApplySwitch<&HostConfig::rpc_tls>},
    {"--rpc-tls-ca-file", "WASMCLOUD_RPC_TLS_CA_FILE", "FILE",
     "PEM CA certificates trusted for the NATS server's certificate, besides the system's", false,
     &ApplyPath<&HostConfig::rpc_tls_ca_file>},
    {"--rpc-tls-cert-file", "WASMCLOUD_RPC_TLS_CERT_FILE", "FILE",
     "PEM certificate (chain) of this host for a NATS server that asks for one (with "
     "--rpc-tls-key-file)",
     false, &ApplyPath<&HostConfig::rpc_tls_cert_file>},
    {"--rpc-tls-key-file", "WASMCLOUD_RPC_TLS_KEY_FILE", "FILE",
     "PEM private key of --rpc-tls-cert-file", false, &ApplyPath<&HostConfig::rpc_tls_key_file>},
    {"--nsprefix", "WASMCLOUD_LATTICE_PREFIX", "NAME",
     "Lattice name (letters, digits, _ and -); default default", false, &ApplyLatticePrefix},
    {"--rpc-timeout-ms", "WASMCLOUD_RPC_TIMEOUT_MS", "MS",
     "Deadline of a call to another host in milliseconds; default 2000", false, &ApplyRpcTimeout},
    {"--invocation-issuers", "WASMCLOUD_INVOCATION_ISSUERS", "any|lattice|KEY,...",
     "Hosts whose invocations are accepted: any (default), lattice (hosts seen in the "
     "lattice) or a list of host keys (N...)",
     false, &ApplyInvocationIssuers},
    {"--lattice-replicas", "WASMCLOUD_LATTICE_REPLICAS", "N",
     "Replicas of the lattice data bucket when this host creates it, 1 to 5; default 1", false,
     &ApplyLatticeReplicas},
    {"--js-domain", "WASMCLOUD_JS_DOMAIN", "DOMAIN",
     "JetStream domain of the lattice data (leaf nodes); default: the server's own", false,
     &ApplyJsDomain},
    {"--control-host", "CONTROL_HOST", "HOST",
     "NATS server of the control interface's connection; default: the --rpc-host server", false,
     &ApplyNatsHost<&HostConfig::control_host>},
    {"--control-port", "CONTROL_PORT", "PORT",
     "Port of the control interface's NATS server; default: --rpc-port", false,
     &ApplyPort<&HostConfig::control_port>},
    {"--control-jwt", "CONTROL_JWT", "JWT|FILE",
     "User JWT for the control connection, or a file holding it (with --control-seed)", false,
     &ApplySecret<&HostConfig::control_jwt>},
    {"--control-seed", "CONTROL_SEED", "SEED|FILE",
     "Nkey seed for the control connection, or a file holding it", false,
     &ApplySecret<&HostConfig::control_seed>},
    {"--control-credsfile", "CONTROL_CREDS", "FILE",
     "NATS .creds file for the control connection; default: the RPC connection's credentials",
     false, &ApplyPath<&HostConfig::control_credsfile>},
    {"--control-tls", "WASMCLOUD_CONTROL_TLS", "",
     "The control connection with TLS; without any --control-tls*: the RPC connection's TLS", false,
     &ApplySwitch<&HostConfig::control_tls>},
    {"--control-tls-ca-file", "WASMCLOUD_CONTROL_TLS_CA_FILE", "FILE",
     "PEM CA certificates trusted for the control connection's server, besides the system's", false,
     &ApplyPath<&HostConfig::control_tls_ca_file>},
    {"--control-tls-cert-file", "WASMCLOUD_CONTROL_TLS_CERT_FILE", "FILE",
     "PEM certificate of this host for the control connection's NATS server", false,
     &ApplyPath<&HostConfig::control_tls_cert_file>},
    {"--control-tls-key-file", "WASMCLOUD_CONTROL_TLS_KEY_FILE", "FILE",
     "PEM private key of --control-tls-cert-file", false,
     &ApplyPath<&HostConfig::control_tls_key_file>},
    {"--heartbeat-interval", "HEARTBEAT_INTERVAL_S", "SECONDS",
     "Seconds between heartbeat events in a lattice, 0 for none; default 30", false,
     &ApplyHeartbeatInterval},
    {"--provider-isolation", "WASMCLOUD_PROVIDER_ISOLATION", "MODE",
     "Where providers run: auto (first-party archives in process, others in a supervised "
     "child process; default), process or in-process",
     false, &ApplyProviderIsolation},
    {"--provider-host-exe", "WASMCLOUD_PROVIDER_HOST_EXE", "PATH",
     "The wasmcloud binary that runs providers in child processes; default: this one", false,
     &ApplyPath<&HostConfig::provider_host_exe>},
    {"--no-provider-seccomp", "WASMCLOUD_NO_PROVIDER_SECCOMP", "",
     "Run providers' child processes without the filter that refuses system calls such as "
     "ptrace, mount, unshare and bpf",
     false, &ApplySwitch<&HostConfig::provider_seccomp, /*inverted=*/true>},
    {"--no-provider-pid-namespace", "WASMCLOUD_NO_PROVIDER_PID_NAMESPACE", "",
     "Run providers' child processes in the host's PID namespace, where they can name (and "
     "signal) the host's processes",
     false, &ApplySwitch<&HostConfig::provider_pid_namespace, /*inverted=*/true>},
    {"--provider-max-memory-mb", "WASMCLOUD_PROVIDER_MAX_MEMORY_MB", "MIB",
     "Resident memory limit of each provider child process in MiB, above which the host "
     "kills and restarts it; default 0: none",
     false, &ApplyBounded<&HostConfig::provider_max_memory_mb, 0, kMaxMegabytes>},
    {"--provider-max-open-files", "WASMCLOUD_PROVIDER_MAX_OPEN_FILES", "N",
     "Open file limit of each provider child process; default 0: as inherited", false,
     &ApplyBounded<&HostConfig::provider_max_open_files, 0, 1048576>},
    {"--provider-user", "WASMCLOUD_PROVIDER_USER", "USER[:GROUP]",
     "User (and group) each provider child process runs as, so that it can neither read the "
     "host's files nor signal it; needs a host that runs as root; default: the host's",
     false, &ApplyProviderUser},
    {"--max-actor-calls", "WASMCLOUD_MAX_ACTOR_CALLS", "N",
     "Calls of one actor that may run at once (the rest wait); default 0: all workers but one",
     false, &ApplyMaxActorCalls},
    {"--http-admin", "WASMCLOUD_HTTP_ADMIN", "IP:PORT|off",
     "Serve /livez, /readyz and /metrics on this address (e.g. 127.0.0.1:9090); default: on a "
     "free port of 127.0.0.1 with the local lattice, else not served; off: never",
     false, &ApplyAdminAddress},
}};

}  // namespace

std::span<const ConfigOption> ConfigOptions() { return kOptions; }

std::string DefaultCodeCacheDir(const std::function<const char*(const char*)>& getenv) {
  auto get = [&](const char* name) -> std::string {
    const char* v = getenv ? getenv(name) : std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
  };
  // Relative values are ignored, as the XDG base directory specification says.
  if (std::string xdg = get("XDG_CACHE_HOME"); xdg.starts_with("/")) {
    return xdg + "/wasmcloud/code";
  }
  if (std::string home = get("HOME"); home.starts_with("/")) {
    while (home.size() > 1 && home.back() == '/') home.pop_back();
    return (home == "/" ? "" : home) + "/.cache/wasmcloud/code";
  }
  std::string tmp = get("TMPDIR");
  if (tmp.empty()) tmp = "/tmp";
  return tmp + "/wasmcloud_codecache_" + std::to_string(::geteuid());
}

std::string CodeCacheDir(const HostConfig& config,
                         const std::function<const char*(const char*)>& getenv) {
  if (config.no_code_cache) return "";
  if (!config.code_cache_dir.empty()) return config.code_cache_dir;
  return DefaultCodeCacheDir(getenv);
}

Result<crypto::KeyPair> LoadHostKey(const std::string& seed_or_path) {
  if (seed_or_path.empty()) return crypto::KeyPair::Generate(crypto::KeyType::kServer);
  std::string seed = seed_or_path;
  if (!(seed.size() == crypto::kSeedLength && seed[0] == 'S')) {
    auto text = ReadFile(seed_or_path);
    if (!text.ok()) return text.status().WithContext("host seed file " + seed_or_path);
    seed.assign(text->begin(), text->end());
    while (!seed.empty() && std::isspace(static_cast<unsigned char>(seed.back()))) seed.pop_back();
  }
  auto key = crypto::KeyPair::FromSeed(seed);
  if (!key.ok()) return key.status().WithContext("host seed");
  if (key->type() != crypto::KeyType::kServer) {
    return InvalidArgument("host seed: a host key must be a server key (\"SN...\"), not a " +
                           std::string(crypto::KeyTypeName(key->type())) + " key");
  }
  return key;
}

Status ApplyEnvironmentValue(const ConfigOption& option, HostConfig& config,
                             std::string_view value) {
  // An empty variable counts as unset (VAR= in a compose file or a shell).
  if (value.empty()) return Status::Ok();
  if (!option.repeatable) {
    Status s = option.apply(config, value);
    return s.ok() ? s : s.WithContext(option.env);
  }
  // A list: split at commas, spaces around items dropped, empty items skipped.
  while (true) {
    size_t comma = value.find(',');
    std::string_view item = TrimSpace(value.substr(0, comma));
    if (!item.empty()) {
      Status s = option.apply(config, item);
      if (!s.ok()) return s.WithContext(option.env);
    }
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return Status::Ok();
}

Status ApplyEnvironment(HostConfig& config, const std::function<const char*(const char*)>& getenv) {
  for (const ConfigOption& option : kOptions) {
    // The names are literals of kOptions, so data() is NUL-terminated.
    const char* raw = getenv ? getenv(option.env.data()) : std::getenv(option.env.data());
    if (raw == nullptr) continue;
    WC_RETURN_IF_ERROR(ApplyEnvironmentValue(option, config, raw));
  }
  return Status::Ok();
}

}  // namespace wasmcloud::host
