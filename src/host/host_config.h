// HostConfig: every setting of a host, one plain struct with documented defaults. Each
// field maps to one `wasmcloud up` flag and one WASMCLOUD_* environment variable; the
// mapping is the table of ConfigOptions() (host_config.cc), the only place it is written.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "core/status.h"
#include "crypto/nkeys.h"

namespace wasmcloud::host {

// Where a provider library runs (docs/providers.md#isolation-providers-in-a-child-process-
// supervised): kAuto runs first-party archives (vendor "wasmcloud-cpp") in process and
// every other provider in a supervised child process.
enum class ProviderIsolation { kAuto, kProcess, kInProcess };
// "auto", "process", "in-process".
std::string_view ProviderIsolationName(ProviderIsolation isolation);
// Parses those names; kInvalidArgument saying what was expected.
Result<ProviderIsolation> ParseProviderIsolation(std::string_view text);

struct HostConfig {
  // Seed ("SN...") of the host's key, or a path to a file holding it. Empty: a new key
  // is generated at start. --host-seed, WASMCLOUD_HOST_SEED.
  std::string host_seed;
  // Worker threads (V8 isolates) that run actor calls. 0: one per core, plus one.
  // --workers, WASMCLOUD_WORKERS.
  unsigned workers = 0;
  // Deadline of one actor invocation; the call fails after it and only that instance
  // is replaced. --call-timeout-ms, WASMCLOUD_CALL_TIMEOUT_MS.
  std::chrono::milliseconds call_timeout{10000};
  // Cap on an actor's linear memory, in 64 KiB pages. --max-memory-pages,
  // WASMCLOUD_MAX_MEMORY_PAGES.
  uint64_t max_memory_pages = 16384;
  // Cap on the memory of all of an actor's instances together (one per worker), in MiB:
  // each instance's memory maximum is the smaller of max_memory_pages and this budget
  // divided by the workers (docs/security.md#limits). --max-actor-memory-mb,
  // WASMCLOUD_MAX_ACTOR_MEMORY_MB.
  uint64_t max_actor_memory_mb = 4096;
  // An instance whose memory is above this many MiB after a call (and above its size when
  // it was made) is thrown away after that call and its memory returned to the system;
  // the next call makes a new one. 0: never. --instance-recycle-mb,
  // WASMCLOUD_INSTANCE_RECYCLE_MB.
  uint64_t instance_recycle_mb = 64;
  // Caps on an actor module's tables: elements of one table, and of all its tables
  // together. A module whose tables start above them is refused; their maximums are
  // lowered to them. --max-table-elements, WASMCLOUD_MAX_TABLE_ELEMENTS;
  // --max-total-table-elements, WASMCLOUD_MAX_TOTAL_TABLE_ELEMENTS.
  uint64_t max_table_elements = 1000000;
  uint64_t max_total_table_elements = 2000000;
  // Largest actor module accepted (bytes, from a file, the API or a registry).
  // --max-module-bytes, WASMCLOUD_MAX_MODULE_BYTES.
  uint64_t max_module_bytes = 64ull << 20;
  // Largest response (or error text) an actor may hand back from one call, and largest
  // payload of one call it makes (__host_call). --max-response-bytes,
  // WASMCLOUD_MAX_RESPONSE_BYTES; --max-host-call-bytes, WASMCLOUD_MAX_HOST_CALL_BYTES.
  uint64_t max_response_bytes = 64ull << 20;
  uint64_t max_host_call_bytes = 64ull << 20;
  // Issuers (account public keys, "A...") whose actors may start; empty: any issuer.
  // --allowed-issuer (repeatable), WASMCLOUD_ALLOWED_ISSUERS (comma-separated).
  std::vector<std::string> allowed_issuers;
  // Accept actors whose claims use the key types the 0.18 host accepted (any issuer and
  // subject type) instead of only an account issuing for a module.
  // --lax-key-types, WASMCLOUD_LAX_KEY_TYPES.
  bool lax_key_types = false;
  // A provider given as a bare library (.so, no archive, so no claims to check) loads only
  // when this is set; archives are verified and, with allowed_issuers, must be signed by
  // one of them. --allow-unsigned-providers, WASMCLOUD_ALLOW_UNSIGNED_PROVIDERS.
  bool allow_unsigned_providers = false;
  // Live update of actors (§11). --allow-live-updates, WASMCLOUD_ALLOW_LIVE_UPDATES.
  bool allow_live_updates = false;
  // A live update may not change the actor's capability list unless this is off.
  // --disable-strict-update-check (sets it false), WASMCLOUD_DISABLE_STRICT_UPDATE_CHECK.
  bool strict_update_check = true;
  // OCI references whose tag is "latest" (written, or implied by giving no tag) are
  // refused unless this is set.
  // --allow-oci-latest, WASMCLOUD_OCI_ALLOW_LATEST.
  bool allow_oci_latest = false;
  // OCI registries reachable over plain HTTP. --allowed-insecure (repeatable),
  // WASMCLOUD_OCI_ALLOWED_INSECURE (comma-separated).
  std::vector<std::string> allowed_insecure;
  // A PEM file of CA certificates trusted for HTTPS registries in addition to the
  // system's (a registry with a private CA). Checked when the host starts.
  // --oci-ca-file, WASMCLOUD_OCI_CA_FILE.
  std::string oci_ca_file;
  // The cache of pulled artefacts (blobs by digest, docs/oci.md#the-cache). Empty:
  // $TMPDIR/wasmcloud_ocicache, 0.18's folder. --oci-cache-dir, WASMCLOUD_OCI_CACHE_DIR.
  std::string oci_cache_dir;
  // Timeouts of registry requests: connecting, and each HTTP request from start to end
  // (a large layer must fit in it). --oci-connect-timeout-ms,
  // WASMCLOUD_OCI_CONNECT_TIMEOUT_MS; --oci-timeout-ms, WASMCLOUD_OCI_TIMEOUT_MS.
  std::chrono::milliseconds oci_connect_timeout{10000};
  std::chrono::milliseconds oci_request_timeout{300000};
  // How long a tag's digest, once resolved by a registry, is used from the cache before
  // it is asked again; references pinned by digest never are (docs/oci.md#the-cache).
  // --oci-tag-ttl-s, WASMCLOUD_OCI_TAG_TTL_S.
  std::chrono::seconds oci_tag_ttl{300};
  // Never contact a registry: references are served from the cache only (a tag whatever
  // its age), and a reference not cached fails. --oci-offline, WASMCLOUD_OCI_OFFLINE.
  bool oci_offline = false;
  // The cache of compiled actor code across restarts (docs/v8.md#the-code-cache). Empty:
  // the per-user default, DefaultCodeCacheDir(); one that cannot be used there is skipped
  // with a warning, while a directory given here that is not this user's alone stops the
  // host from starting. --code-cache-dir, WASMCLOUD_CODE_CACHE_DIR.
  std::string code_cache_dir;
  // No code cache: nothing is read or written. --no-code-cache, WASMCLOUD_NO_CODE_CACHE.
  bool no_code_cache = false;
  // Bound on the code cache's files, in MiB; the oldest go first.
  // --code-cache-max-mb, WASMCLOUD_CODE_CACHE_MAX_MB.
  uint64_t code_cache_max_mb = 256;
  // Custom labels; keys starting with "hostcore." are refused.
  // --label KEY=VALUE (repeatable), WASMCLOUD_LABELS (comma-separated KEY=VALUE).
  std::map<std::string, std::string> labels;
  // Log level of the host's log. --log-level, WASMCLOUD_LOG_LEVEL.
  LogLevel log_level = LogLevel::kInfo;
  // Text lines, or one JSON object per line with the host id and, for lines about a call,
  // the actor, operation and invocation id (docs/operations.md). --log-format,
  // WASMCLOUD_LOG_FORMAT.
  LogFormat log_format = LogFormat::kText;
  // `up` and `call` make their process non-dumpable (PR_SET_DUMPABLE 0) unless this is
  // set: other processes of the host's user, its provider children included, can then
  // neither attach to it nor read its memory (the host's seed, link values), and it
  // dumps no core. --dumpable, WASMCLOUD_DUMPABLE. Not used by the Host library.
  bool dumpable = false;

  // --- the lattice (docs/lattice.md); the 0.18 flag and variable names where it had them.
  // NATS host of the lattice's RPC connection. Empty: single-player mode (no lattice).
  // --rpc-host, RPC_HOST.
  std::string rpc_host;
  // Without rpc_host, `wasmcloud up` starts a private nats-server and joins it (the local
  // lattice, docs/cli.md); this keeps it alone instead (single-player). Without effect on
  // an embedding program, which joins a lattice only when given rpc_host.
  // --no-lattice, WASMCLOUD_NO_LATTICE.
  bool no_lattice = false;
  // Its port. --rpc-port, RPC_PORT.
  uint16_t rpc_port = 4222;
  // Credentials of the RPC connection: a user JWT (a file holding it, or the JWT itself)
  // with its seed (a file or the seed itself), or a .creds file.
  // --rpc-jwt, RPC_JWT; --rpc-seed, RPC_SEED; --rpc-credsfile, RPC_CREDS.
  std::string rpc_jwt;
  std::string rpc_seed;
  std::string rpc_credsfile;
  // TLS of the RPC connection: on with rpc_tls or any of the files. The server's
  // certificate must be signed by one of the system's CAs or by rpc_tls_ca_file (PEM,
  // trusted besides them); rpc_tls_cert_file + rpc_tls_key_file: this host's certificate
  // (mutual TLS).
  // --rpc-tls, WASMCLOUD_RPC_TLS; --rpc-tls-ca-file, WASMCLOUD_RPC_TLS_CA_FILE;
  // --rpc-tls-cert-file, WASMCLOUD_RPC_TLS_CERT_FILE; --rpc-tls-key-file,
  // WASMCLOUD_RPC_TLS_KEY_FILE.
  bool rpc_tls = false;
  std::string rpc_tls_ca_file;
  std::string rpc_tls_cert_file;
  std::string rpc_tls_key_file;
  // The lattice name: subjects wasmbus.rpc.{name}.…, bucket LATTICEDATA_{name}.
  // --nsprefix, WASMCLOUD_LATTICE_PREFIX.
  std::string lattice_prefix = "default";
  // Deadline of a call to another host. --rpc-timeout-ms, WASMCLOUD_RPC_TIMEOUT_MS.
  std::chrono::milliseconds rpc_timeout{2000};
  // Whose invocations this host accepts: "any", or a comma-separated list of host keys.
  // --invocation-issuers, WASMCLOUD_INVOCATION_ISSUERS.
  std::string invocation_issuers = "any";
  // Replicas of the lattice data bucket when this host creates it.
  // --lattice-replicas, WASMCLOUD_LATTICE_REPLICAS.
  unsigned lattice_replicas = 1;
  // The JetStream domain of the lattice data (leaf nodes). --js-domain, WASMCLOUD_JS_DOMAIN.
  std::string js_domain;
  // The control interface's own NATS connection (0.18 parsed these and ignored them; they
  // are honoured here). Empty host: the RPC server; port 0: the RPC port; no control
  // credentials: the RPC ones. --control-host, CONTROL_HOST; --control-port,
  // CONTROL_PORT; --control-jwt, CONTROL_JWT; --control-seed, CONTROL_SEED;
  // --control-credsfile, CONTROL_CREDS.
  std::string control_host;
  uint16_t control_port = 0;
  std::string control_jwt;
  std::string control_seed;
  std::string control_credsfile;
  // TLS of the control connection, as the RPC one's; none of these given: the RPC
  // connection's TLS. --control-tls, WASMCLOUD_CONTROL_TLS; --control-tls-ca-file,
  // --control-tls-cert-file, --control-tls-key-file (WASMCLOUD_CONTROL_TLS_*_FILE).
  bool control_tls = false;
  std::string control_tls_ca_file;
  std::string control_tls_cert_file;
  std::string control_tls_key_file;
  // How often the heartbeat event goes out; 0: never. --heartbeat-interval SECONDS,
  // HEARTBEAT_INTERVAL_S (0.18's variable).
  std::chrono::seconds heartbeat_interval{30};

  // --- providers
  // Where providers run unless a manifest entry says: auto, process or in-process.
  // --provider-isolation, WASMCLOUD_PROVIDER_ISOLATION.
  ProviderIsolation provider_isolation = ProviderIsolation::kAuto;
  // The wasmcloud binary that runs a provider in a child process (`provider-host`).
  // `wasmcloud up` uses its own executable when none is given. Empty (a program embedding
  // the host that sets nothing): every provider runs in process, and asking for a process
  // is an error. --provider-host-exe, WASMCLOUD_PROVIDER_HOST_EXE.
  std::string provider_host_exe;
  // A provider's child process refuses, through a seccomp filter, the system calls a
  // provider has no business making (docs/providers.md#confinement-of-a-child).
  // --no-provider-seccomp, WASMCLOUD_NO_PROVIDER_SECCOMP turn it off.
  bool provider_seccomp = true;
  // On a host that runs as root, a provider's child process starts in a PID namespace of
  // its own, where it cannot name the host or its other children
  // (docs/providers.md#a-pid-namespace-of-its-own). --no-provider-pid-namespace,
  // WASMCLOUD_NO_PROVIDER_PID_NAMESPACE turn it off.
  bool provider_pid_namespace = true;
  // Limits of a provider's child process: its resident memory in MiB (the host kills and
  // restarts a child seen above it) and its open files; 0: none.
  // --provider-max-memory-mb, WASMCLOUD_PROVIDER_MAX_MEMORY_MB;
  // --provider-max-open-files, WASMCLOUD_PROVIDER_MAX_OPEN_FILES.
  uint64_t provider_max_memory_mb = 0;
  uint64_t provider_max_open_files = 0;
  // The user (and group) a provider's child process runs as, so that it can neither read
  // the host's files nor signal, trace or re-limit the host; needs a host that runs as
  // root. Unset: the host's user. --provider-user USER[:GROUP], WASMCLOUD_PROVIDER_USER
  // (names or numbers; without a group, the user's own from the password database).
  struct RunAs {
    uint32_t uid = 0;
    uint32_t gid = 0;
    bool operator==(const RunAs&) const = default;
  };
  std::optional<RunAs> provider_user;
  // Calls of one actor that may hold workers at once, so that one busy or stuck actor
  // cannot take every worker from the others; more wait (bounded, then "host
  // overloaded"). 0: all the workers but one (at least 1). --max-actor-calls,
  // WASMCLOUD_MAX_ACTOR_CALLS.
  unsigned max_actor_calls = 0;

  // --- operations
  // Where `wasmcloud up` serves /livez, /readyz and /metrics ("IP:PORT", an IPv6 address
  // in brackets, port 0 for any free one); empty: not served (docs/operations.md).
  // --http-admin, WASMCLOUD_HTTP_ADMIN.
  std::string http_admin;
};

// One setting of HostConfig as the command line and the environment name it.
struct ConfigOption {
  std::string_view flag;        // "--workers"
  std::string_view env;         // "WASMCLOUD_WORKERS"
  std::string_view value_name;  // "N"; empty for a switch (a flag without a value)
  std::string_view help;
  bool repeatable = false;  // a flag that may be given several times
  // Applies one value (for a switch: "true"/"false"). For repeatable options each call
  // adds one value; from the environment the text is split at commas first. Errors
  // (kInvalidArgument) say what was expected.
  Status (*apply)(HostConfig& config, std::string_view value);
};

// Every option, in the order `wasmcloud up --help` lists them.
std::span<const ConfigOption> ConfigOptions();

// Applies the text of `option`'s environment variable: nothing when empty, split at
// commas (items trimmed, empty ones skipped) when the option is repeatable. Errors name
// the variable. For callers that give flags precedence option by option (the CLI).
Status ApplyEnvironmentValue(const ConfigOption& option, HostConfig& config,
                             std::string_view value);

// The per-user directory of the code cache: $XDG_CACHE_HOME/wasmcloud/code when
// XDG_CACHE_HOME is an absolute path, else $HOME/.cache/wasmcloud/code when HOME is one,
// else $TMPDIR/wasmcloud_codecache_<uid> ("/tmp" when TMPDIR is unset). `getenv` is an
// injectable lookup; empty means ::getenv.
std::string DefaultCodeCacheDir(const std::function<const char*(const char*)>& getenv = {});
// The code cache directory of a host with this configuration: "" with no_code_cache, else
// code_cache_dir, else DefaultCodeCacheDir(getenv).
std::string CodeCacheDir(const HostConfig& config,
                         const std::function<const char*(const char*)>& getenv = {});

// A custom label's key and value (beyond "not empty" and the reserved "hostcore."
// prefix, which the callers check): the key at most kMaxLabelKeyBytes, the value at most
// kMaxLabelValueBytes, both valid UTF-8 without control characters (they are printed in
// `ctl get hosts`, heartbeats and events). A host holds at most kMaxLabels of them, so
// that its answers stay far below a NATS message. Errors name the key.
inline constexpr size_t kMaxLabelKeyBytes = 256;
inline constexpr size_t kMaxLabelValueBytes = 4096;
inline constexpr size_t kMaxLabels = 100;
Status CheckLabel(std::string_view key, std::string_view value);

// The host's key from `host_seed`: a server seed ("SN…"), or the path of a file holding
// one; empty: a new key. Errors name the file or say what kind of key it is (never the
// seed itself).
Result<crypto::KeyPair> LoadHostKey(const std::string& seed_or_path);

// Applies the WASMCLOUD_* variables found by `getenv` (an injectable lookup; empty
// means ::getenv). Errors name the variable.
Status ApplyEnvironment(HostConfig& config,
                        const std::function<const char*(const char*)>& getenv = {});

}  // namespace wasmcloud::host
