// What a wasmcloud:messaging link asks for, read from its values (docs/messaging.md):
// the NATS servers to connect to, the subjects to subscribe to for the actor, and
// optional credentials. Pure parsing and validation, no network.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "nats/nats_connection.h"

namespace wasmcloud::messaging {

// The link values this provider reads.
inline constexpr char kUrlKey[] = "URL";
inline constexpr char kSubscriptionKey[] = "SUBSCRIPTION";
inline constexpr char kQueueGroupKey[] = "QUEUEGROUP";
inline constexpr char kClientJwtKey[] = "CLIENT_JWT";
inline constexpr char kClientSeedKey[] = "CLIENT_SEED";
inline constexpr char kTlsCaKey[] = "TLS_CA";
inline constexpr char kDefaultUrl[] = "nats://127.0.0.1:4222";

struct SubscriptionSpec {
  std::string subject;  // may hold the wildcards * and >
  std::string queue;    // "" when not in a queue group
  bool operator==(const SubscriptionSpec&) const = default;
};

struct LinkConfig {
  std::vector<std::string> servers;  // as given, e.g. "nats://u:p@127.0.0.1:4222"
  std::vector<SubscriptionSpec> subscriptions;
  std::string jwt;  // user JWT and its seed: both or neither
  std::string seed;
  std::string tls_ca;  // PEM CA certificates; when set, TLS with every server
  bool operator==(const LinkConfig&) const = default;
};

// Reads the link values:
//   URL           comma-separated server URLs (nats:// or tls://, or host:port);
//                 user:password@ in a URL authenticates; absent or blank: kDefaultUrl
//   SUBSCRIPTION  comma-separated subjects, each optionally "subject|queue"
//   QUEUEGROUP    the queue group of every subject that names none
//   CLIENT_JWT, CLIENT_SEED  a NATS user JWT and its nkey seed (both or neither)
//   TLS_CA        PEM CA certificates trusted for the servers' certificates besides the
//                 system's (TLS with every server)
// Blanks around entries are trimmed and empty entries skipped; a subject seen twice is
// subscribed once. Other values (the host's __wasmcloud_* ones) are ignored.
// kInvalidArgument with what is wrong, e.g.
//   bad NATS URL "http://x": the scheme must be nats:// or tls://
//   SUBSCRIPTION "a..b": a subject has no empty tokens
//   CLIENT_JWT is set but CLIENT_SEED is not
Result<LinkConfig> ParseLinkConfig(const std::map<std::string, std::string>& values);

// Checks one URL of the URL value.
Status CheckServerUrl(std::string_view url);

// A subject to publish to or reply to (`wildcards` false) or to subscribe to (true):
// dot-separated non-empty tokens without blanks or control characters; with
// `wildcards`, a token may be "*", and the last one ">". `what` prefixes the error.
Status CheckSubject(std::string_view subject, bool wildcards, std::string_view what);

// `url` with the password of its user:password@ part, or the whole token of token@,
// replaced by "***", for logs and error messages (the lattice connection's own).
using nats::RedactUrl;

// The servers of `config` joined with ",", passwords redacted.
std::string ServerList(const LinkConfig& config);

}  // namespace wasmcloud::messaging
