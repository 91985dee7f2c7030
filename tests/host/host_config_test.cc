#include "host/host_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crypto/nkeys.h"

namespace wasmcloud::host {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kAccount = "ACOJJN6WUP4ODD75XEBKKTCCUJJCY5ZKQ56XVKYK4BEJWGVAOOQHZMCW";
constexpr std::string_view kAccount2 = "ABWB27PJPGIGRSYSZ55WGXZOWB3RDV3ESI2V2J5A4JUQLDP6NHM5YXAL";
constexpr std::string_view kModule = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";

const ConfigOption& Option(std::string_view flag) {
  for (const ConfigOption& o : ConfigOptions()) {
    if (o.flag == flag) return o;
  }
  ADD_FAILURE() << "no option " << flag;
  static const ConfigOption kNone{};
  return kNone;
}

Status Apply(HostConfig& config, std::string_view flag, std::string_view value) {
  return Option(flag).apply(config, value);
}

// Applies one value to a default config and returns its error message ("" when ok).
std::string ErrorOf(std::string_view flag, std::string_view value) {
  HostConfig config;
  Status s = Apply(config, flag, value);
  if (s.ok()) return "";
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << flag << " " << value;
  return s.message();
}

// The names of the HostConfig fields that differ between `a` and `b`.
std::set<std::string> ChangedFields(const HostConfig& a, const HostConfig& b) {
  // This binding stops compiling when HostConfig gains or loses a field: then this list,
  // the option table and docs/configuration.md need the new field too.
  [[maybe_unused]] const auto& [f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15,
                                f16, f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28,
                                f29, f30, f31, f32, f33, f34, f35, f36, f37, f38, f39, f40, f41,
                                f42, f43, f44, f45, f46, f47, f48, f49, f50, f51, f52, f53, f54,
                                f55, f56, f57, f58, f59, f60, f61, f62, f63, f64, f65] = a;
  std::set<std::string> out;
  if (a.host_seed != b.host_seed) out.insert("host_seed");
  if (a.workers != b.workers) out.insert("workers");
  if (a.call_timeout != b.call_timeout) out.insert("call_timeout");
  if (a.max_memory_pages != b.max_memory_pages) out.insert("max_memory_pages");
  if (a.max_actor_memory_mb != b.max_actor_memory_mb) out.insert("max_actor_memory_mb");
  if (a.instance_recycle_mb != b.instance_recycle_mb) out.insert("instance_recycle_mb");
  if (a.max_table_elements != b.max_table_elements) out.insert("max_table_elements");
  if (a.max_total_table_elements != b.max_total_table_elements) {
    out.insert("max_total_table_elements");
  }
  if (a.max_module_bytes != b.max_module_bytes) out.insert("max_module_bytes");
  if (a.max_response_bytes != b.max_response_bytes) out.insert("max_response_bytes");
  if (a.max_host_call_bytes != b.max_host_call_bytes) out.insert("max_host_call_bytes");
  if (a.oci_tag_ttl != b.oci_tag_ttl) out.insert("oci_tag_ttl");
  if (a.oci_offline != b.oci_offline) out.insert("oci_offline");
  if (a.code_cache_dir != b.code_cache_dir) out.insert("code_cache_dir");
  if (a.no_code_cache != b.no_code_cache) out.insert("no_code_cache");
  if (a.code_cache_max_mb != b.code_cache_max_mb) out.insert("code_cache_max_mb");
  if (a.allowed_issuers != b.allowed_issuers) out.insert("allowed_issuers");
  if (a.lax_key_types != b.lax_key_types) out.insert("lax_key_types");
  if (a.allow_live_updates != b.allow_live_updates) out.insert("allow_live_updates");
  if (a.strict_update_check != b.strict_update_check) out.insert("strict_update_check");
  if (a.allow_oci_latest != b.allow_oci_latest) out.insert("allow_oci_latest");
  if (a.allowed_insecure != b.allowed_insecure) out.insert("allowed_insecure");
  if (a.oci_ca_file != b.oci_ca_file) out.insert("oci_ca_file");
  if (a.oci_cache_dir != b.oci_cache_dir) out.insert("oci_cache_dir");
  if (a.oci_connect_timeout != b.oci_connect_timeout) out.insert("oci_connect_timeout");
  if (a.oci_request_timeout != b.oci_request_timeout) out.insert("oci_request_timeout");
  if (a.labels != b.labels) out.insert("labels");
  if (a.log_level != b.log_level) out.insert("log_level");
  if (a.log_format != b.log_format) out.insert("log_format");
  if (a.rpc_host != b.rpc_host) out.insert("rpc_host");
  if (a.no_lattice != b.no_lattice) out.insert("no_lattice");
  if (a.rpc_port != b.rpc_port) out.insert("rpc_port");
  if (a.rpc_jwt != b.rpc_jwt) out.insert("rpc_jwt");
  if (a.rpc_seed != b.rpc_seed) out.insert("rpc_seed");
  if (a.rpc_credsfile != b.rpc_credsfile) out.insert("rpc_credsfile");
  if (a.rpc_tls != b.rpc_tls) out.insert("rpc_tls");
  if (a.rpc_tls_ca_file != b.rpc_tls_ca_file) out.insert("rpc_tls_ca_file");
  if (a.rpc_tls_cert_file != b.rpc_tls_cert_file) out.insert("rpc_tls_cert_file");
  if (a.rpc_tls_key_file != b.rpc_tls_key_file) out.insert("rpc_tls_key_file");
  if (a.lattice_prefix != b.lattice_prefix) out.insert("lattice_prefix");
  if (a.rpc_timeout != b.rpc_timeout) out.insert("rpc_timeout");
  if (a.invocation_issuers != b.invocation_issuers) out.insert("invocation_issuers");
  if (a.lattice_replicas != b.lattice_replicas) out.insert("lattice_replicas");
  if (a.js_domain != b.js_domain) out.insert("js_domain");
  if (a.control_host != b.control_host) out.insert("control_host");
  if (a.control_port != b.control_port) out.insert("control_port");
  if (a.control_jwt != b.control_jwt) out.insert("control_jwt");
  if (a.control_seed != b.control_seed) out.insert("control_seed");
  if (a.control_credsfile != b.control_credsfile) out.insert("control_credsfile");
  if (a.control_tls != b.control_tls) out.insert("control_tls");
  if (a.control_tls_ca_file != b.control_tls_ca_file) out.insert("control_tls_ca_file");
  if (a.control_tls_cert_file != b.control_tls_cert_file) out.insert("control_tls_cert_file");
  if (a.control_tls_key_file != b.control_tls_key_file) out.insert("control_tls_key_file");
  if (a.heartbeat_interval != b.heartbeat_interval) out.insert("heartbeat_interval");
  if (a.provider_isolation != b.provider_isolation) out.insert("provider_isolation");
  if (a.provider_host_exe != b.provider_host_exe) out.insert("provider_host_exe");
  if (a.provider_seccomp != b.provider_seccomp) out.insert("provider_seccomp");
  if (a.provider_pid_namespace != b.provider_pid_namespace) out.insert("provider_pid_namespace");
  if (a.dumpable != b.dumpable) out.insert("dumpable");
  if (a.provider_max_memory_mb != b.provider_max_memory_mb) out.insert("provider_max_memory_mb");
  if (a.provider_user != b.provider_user) out.insert("provider_user");
  if (a.provider_max_open_files != b.provider_max_open_files) {
    out.insert("provider_max_open_files");
  }
  if (a.max_actor_calls != b.max_actor_calls) out.insert("max_actor_calls");
  if (a.http_admin != b.http_admin) out.insert("http_admin");
  if (a.allow_unsigned_providers != b.allow_unsigned_providers) {
    out.insert("allow_unsigned_providers");
  }
  return out;
}

// A lookup over a fixed environment, for ApplyEnvironment.
struct FakeEnv {
  std::map<std::string, std::string> vars;
  std::vector<std::string> asked;
  std::function<const char*(const char*)> Lookup() {
    return [this](const char* name) -> const char* {
      asked.emplace_back(name);
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

Status ApplyEnv(HostConfig& config, std::map<std::string, std::string> vars) {
  FakeEnv env{std::move(vars), {}};
  return ApplyEnvironment(config, env.Lookup());
}

TEST(ConfigOptionsTest, NamesAreTheOnesTheHeaderGives) {
  struct Expected {
    std::string_view flag, env;
    bool is_switch, repeatable;
  };
  const std::vector<Expected> expected = {
      {"--host-seed", "WASMCLOUD_HOST_SEED", false, false},
      {"--workers", "WASMCLOUD_WORKERS", false, false},
      {"--call-timeout-ms", "WASMCLOUD_CALL_TIMEOUT_MS", false, false},
      {"--max-memory-pages", "WASMCLOUD_MAX_MEMORY_PAGES", false, false},
      {"--max-actor-memory-mb", "WASMCLOUD_MAX_ACTOR_MEMORY_MB", false, false},
      {"--instance-recycle-mb", "WASMCLOUD_INSTANCE_RECYCLE_MB", false, false},
      {"--max-table-elements", "WASMCLOUD_MAX_TABLE_ELEMENTS", false, false},
      {"--max-total-table-elements", "WASMCLOUD_MAX_TOTAL_TABLE_ELEMENTS", false, false},
      {"--max-module-bytes", "WASMCLOUD_MAX_MODULE_BYTES", false, false},
      {"--max-response-bytes", "WASMCLOUD_MAX_RESPONSE_BYTES", false, false},
      {"--max-host-call-bytes", "WASMCLOUD_MAX_HOST_CALL_BYTES", false, false},
      {"--allowed-issuer", "WASMCLOUD_ALLOWED_ISSUERS", false, true},
      {"--lax-key-types", "WASMCLOUD_LAX_KEY_TYPES", true, false},
      {"--allow-unsigned-providers", "WASMCLOUD_ALLOW_UNSIGNED_PROVIDERS", true, false},
      {"--allow-live-updates", "WASMCLOUD_ALLOW_LIVE_UPDATES", true, false},
      {"--disable-strict-update-check", "WASMCLOUD_DISABLE_STRICT_UPDATE_CHECK", true, false},
      {"--allow-oci-latest", "WASMCLOUD_OCI_ALLOW_LATEST", true, false},
      {"--allowed-insecure", "WASMCLOUD_OCI_ALLOWED_INSECURE", false, true},
      {"--oci-ca-file", "WASMCLOUD_OCI_CA_FILE", false, false},
      {"--oci-cache-dir", "WASMCLOUD_OCI_CACHE_DIR", false, false},
      {"--oci-connect-timeout-ms", "WASMCLOUD_OCI_CONNECT_TIMEOUT_MS", false, false},
      {"--oci-timeout-ms", "WASMCLOUD_OCI_TIMEOUT_MS", false, false},
      {"--oci-tag-ttl-s", "WASMCLOUD_OCI_TAG_TTL_S", false, false},
      {"--oci-offline", "WASMCLOUD_OCI_OFFLINE", true, false},
      {"--code-cache-dir", "WASMCLOUD_CODE_CACHE_DIR", false, false},
      {"--no-code-cache", "WASMCLOUD_NO_CODE_CACHE", true, false},
      {"--code-cache-max-mb", "WASMCLOUD_CODE_CACHE_MAX_MB", false, false},
      {"--label", "WASMCLOUD_LABELS", false, true},
      {"--log-level", "WASMCLOUD_LOG_LEVEL", false, false},
      {"--log-format", "WASMCLOUD_LOG_FORMAT", false, false},
      {"--dumpable", "WASMCLOUD_DUMPABLE", true, false},
      {"--rpc-host", "RPC_HOST", false, false},
      {"--no-lattice", "WASMCLOUD_NO_LATTICE", true, false},
      {"--rpc-port", "RPC_PORT", false, false},
      {"--rpc-jwt", "RPC_JWT", false, false},
      {"--rpc-seed", "RPC_SEED", false, false},
      {"--rpc-credsfile", "RPC_CREDS", false, false},
      {"--rpc-tls", "WASMCLOUD_RPC_TLS", true, false},
      {"--rpc-tls-ca-file", "WASMCLOUD_RPC_TLS_CA_FILE", false, false},
      {"--rpc-tls-cert-file", "WASMCLOUD_RPC_TLS_CERT_FILE", false, false},
      {"--rpc-tls-key-file", "WASMCLOUD_RPC_TLS_KEY_FILE", false, false},
      {"--nsprefix", "WASMCLOUD_LATTICE_PREFIX", false, false},
      {"--rpc-timeout-ms", "WASMCLOUD_RPC_TIMEOUT_MS", false, false},
      {"--invocation-issuers", "WASMCLOUD_INVOCATION_ISSUERS", false, false},
      {"--lattice-replicas", "WASMCLOUD_LATTICE_REPLICAS", false, false},
      {"--js-domain", "WASMCLOUD_JS_DOMAIN", false, false},
      {"--control-host", "CONTROL_HOST", false, false},
      {"--control-port", "CONTROL_PORT", false, false},
      {"--control-jwt", "CONTROL_JWT", false, false},
      {"--control-seed", "CONTROL_SEED", false, false},
      {"--control-credsfile", "CONTROL_CREDS", false, false},
      {"--control-tls", "WASMCLOUD_CONTROL_TLS", true, false},
      {"--control-tls-ca-file", "WASMCLOUD_CONTROL_TLS_CA_FILE", false, false},
      {"--control-tls-cert-file", "WASMCLOUD_CONTROL_TLS_CERT_FILE", false, false},
      {"--control-tls-key-file", "WASMCLOUD_CONTROL_TLS_KEY_FILE", false, false},
      {"--heartbeat-interval", "HEARTBEAT_INTERVAL_S", false, false},
      {"--provider-isolation", "WASMCLOUD_PROVIDER_ISOLATION", false, false},
      {"--provider-host-exe", "WASMCLOUD_PROVIDER_HOST_EXE", false, false},
      {"--no-provider-seccomp", "WASMCLOUD_NO_PROVIDER_SECCOMP", true, false},
      {"--no-provider-pid-namespace", "WASMCLOUD_NO_PROVIDER_PID_NAMESPACE", true, false},
      {"--provider-max-memory-mb", "WASMCLOUD_PROVIDER_MAX_MEMORY_MB", false, false},
      {"--provider-max-open-files", "WASMCLOUD_PROVIDER_MAX_OPEN_FILES", false, false},
      {"--provider-user", "WASMCLOUD_PROVIDER_USER", false, false},
      {"--max-actor-calls", "WASMCLOUD_MAX_ACTOR_CALLS", false, false},
      {"--http-admin", "WASMCLOUD_HTTP_ADMIN", false, false},
  };
  auto options = ConfigOptions();
  ASSERT_EQ(options.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    SCOPED_TRACE(expected[i].flag);
    EXPECT_EQ(options[i].flag, expected[i].flag);
    EXPECT_EQ(options[i].env, expected[i].env);
    EXPECT_EQ(options[i].value_name.empty(), expected[i].is_switch);
    EXPECT_EQ(options[i].repeatable, expected[i].repeatable);
    EXPECT_FALSE(options[i].help.empty());
    EXPECT_NE(options[i].apply, nullptr);
  }
}

TEST(ConfigOptionsTest, FlagAndEnvironmentNamesAreUnique) {
  std::set<std::string_view> flags, envs;
  for (const ConfigOption& o : ConfigOptions()) {
    EXPECT_TRUE(o.flag.starts_with("--")) << o.flag;
    // WASMCLOUD_*, or the names 0.18 read for the lattice's NATS connections and the
    // heartbeat (spec §7.7, §8.2).
    EXPECT_TRUE(o.env.starts_with("WASMCLOUD_") || o.env.starts_with("RPC_") ||
                o.env.starts_with("CONTROL_") || o.env == "HEARTBEAT_INTERVAL_S")
        << o.env;
    EXPECT_TRUE(flags.insert(o.flag).second) << o.flag;
    EXPECT_TRUE(envs.insert(o.env).second) << o.env;
  }
}

TEST(ConfigOptionsTest, DefaultsAreTheDocumentedOnes) {
  HostConfig c;
  EXPECT_EQ(c.provider_isolation, ProviderIsolation::kAuto);
  EXPECT_EQ(c.provider_host_exe, "");
  EXPECT_TRUE(c.provider_seccomp);
  EXPECT_TRUE(c.provider_pid_namespace);
  EXPECT_FALSE(c.dumpable);
  EXPECT_EQ(c.provider_max_memory_mb, 0u);
  EXPECT_EQ(c.provider_max_open_files, 0u);
  EXPECT_FALSE(c.provider_user.has_value());
  EXPECT_EQ(c.max_actor_calls, 0u);
  EXPECT_EQ(c.http_admin, "");
  EXPECT_EQ(c.log_format, LogFormat::kText);
  EXPECT_EQ(c.host_seed, "");
  EXPECT_EQ(c.workers, 0u);
  EXPECT_EQ(c.call_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(c.max_memory_pages, 16384u);
  EXPECT_EQ(c.max_actor_memory_mb, 4096u);
  EXPECT_EQ(c.instance_recycle_mb, 64u);
  EXPECT_EQ(c.max_table_elements, 1000000u);
  EXPECT_EQ(c.max_total_table_elements, 2000000u);
  EXPECT_EQ(c.max_module_bytes, 64u << 20);
  EXPECT_EQ(c.max_response_bytes, 64u << 20);
  EXPECT_EQ(c.max_host_call_bytes, 64u << 20);
  EXPECT_EQ(c.oci_tag_ttl, std::chrono::seconds(300));
  EXPECT_FALSE(c.oci_offline);
  EXPECT_EQ(c.code_cache_dir, "");
  EXPECT_FALSE(c.no_code_cache);
  EXPECT_EQ(c.code_cache_max_mb, 256u);
  EXPECT_TRUE(c.allowed_issuers.empty());
  EXPECT_FALSE(c.lax_key_types);
  EXPECT_FALSE(c.allow_live_updates);
  EXPECT_TRUE(c.strict_update_check);
  EXPECT_FALSE(c.allow_oci_latest);
  EXPECT_TRUE(c.allowed_insecure.empty());
  EXPECT_EQ(c.oci_ca_file, "");
  EXPECT_EQ(c.oci_cache_dir, "");
  EXPECT_TRUE(c.labels.empty());
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
  EXPECT_EQ(c.rpc_host, "");
  EXPECT_FALSE(c.no_lattice);
  EXPECT_EQ(c.rpc_port, 4222);
  EXPECT_EQ(c.lattice_prefix, "default");
  EXPECT_EQ(c.rpc_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(c.invocation_issuers, "any");
  EXPECT_EQ(c.lattice_replicas, 1u);
  EXPECT_EQ(c.js_domain, "");
  EXPECT_EQ(c.control_host, "");
  EXPECT_EQ(c.control_port, 0);
  EXPECT_EQ(c.heartbeat_interval, std::chrono::seconds(30));
}

// A valid value for each option that differs from the default.
const std::map<std::string_view, std::string> kSampleValues = {
    {"--host-seed", "/etc/wasmcloud/host.seed"},
    {"--workers", "8"},
    {"--call-timeout-ms", "2500"},
    {"--max-memory-pages", "256"},
    {"--max-actor-memory-mb", "512"},
    {"--instance-recycle-mb", "0"},
    {"--max-table-elements", "5000"},
    {"--max-total-table-elements", "8000"},
    {"--max-module-bytes", "1048576"},
    {"--max-response-bytes", "65536"},
    {"--max-host-call-bytes", "32768"},
    {"--oci-tag-ttl-s", "0"},
    {"--oci-offline", "true"},
    {"--code-cache-dir", "/var/cache/wasmcloud/code"},
    {"--no-code-cache", "true"},
    {"--code-cache-max-mb", "64"},
    {"--allowed-issuer", std::string(kAccount)},
    {"--lax-key-types", "true"},
    {"--allow-live-updates", "true"},
    {"--disable-strict-update-check", "true"},
    {"--allow-oci-latest", "true"},
    {"--allowed-insecure", "localhost:5000"},
    {"--oci-ca-file", "/etc/wasmcloud/registry-ca.pem"},
    {"--oci-cache-dir", "/var/cache/wasmcloud/oci"},
    {"--oci-connect-timeout-ms", "1500"},
    {"--oci-timeout-ms", "60000"},
    {"--label", "region=eu-west"},
    {"--log-level", "debug"},
    {"--rpc-host", "127.0.0.1"},
    {"--no-lattice", "true"},
    {"--rpc-port", "4333"},
    {"--rpc-jwt", "/etc/wasmcloud/user.jwt"},
    {"--rpc-seed", "/etc/wasmcloud/user.nk"},
    {"--rpc-credsfile", "/etc/wasmcloud/lattice.creds"},
    {"--rpc-tls", "true"},
    {"--rpc-tls-ca-file", "/etc/wasmcloud/nats-ca.pem"},
    {"--rpc-tls-cert-file", "/etc/wasmcloud/host.pem"},
    {"--rpc-tls-key-file", "/etc/wasmcloud/host-key.pem"},
    {"--nsprefix", "prod-1"},
    {"--rpc-timeout-ms", "5000"},
    {"--invocation-issuers", "NAB2CB576PHBBPQ5ODORRZ2LYCMWPZGWGCN2KDK7DXOIMZASKUY3RSWB"},
    {"--lattice-replicas", "3"},
    {"--js-domain", "leaf"},
    {"--control-host", "ctl.example"},
    {"--control-port", "4223"},
    {"--control-jwt", "/etc/wasmcloud/ctl.jwt"},
    {"--control-seed", "/etc/wasmcloud/ctl.nk"},
    {"--control-credsfile", "/etc/wasmcloud/ctl.creds"},
    {"--control-tls", "true"},
    {"--control-tls-ca-file", "/etc/wasmcloud/ctl-ca.pem"},
    {"--control-tls-cert-file", "/etc/wasmcloud/ctl-host.pem"},
    {"--control-tls-key-file", "/etc/wasmcloud/ctl-host-key.pem"},
    {"--heartbeat-interval", "5"},
    {"--provider-isolation", "process"},
    {"--provider-host-exe", "/usr/bin/wasmcloud"},
    {"--no-provider-seccomp", "true"},
    {"--no-provider-pid-namespace", "true"},
    {"--dumpable", "1"},
    {"--provider-max-memory-mb", "512"},
    {"--provider-max-open-files", "256"},
    {"--provider-user", "4242:4343"},
    {"--max-actor-calls", "3"},
    {"--allow-unsigned-providers", "true"},
    {"--http-admin", "[::1]:9090"},
    {"--log-format", "JSON"},
};

TEST(ConfigOptionsTest, EveryFieldIsReachableThroughExactlyOneOption) {
  std::map<std::string, std::vector<std::string_view>> options_of_field;
  for (const ConfigOption& o : ConfigOptions()) {
    SCOPED_TRACE(o.flag);
    auto sample = kSampleValues.find(o.flag);
    ASSERT_NE(sample, kSampleValues.end());
    HostConfig config;
    ASSERT_TRUE(o.apply(config, sample->second).ok());
    auto changed = ChangedFields(config, HostConfig{});
    ASSERT_EQ(changed.size(), 1u);
    options_of_field[*changed.begin()].push_back(o.flag);

    // And the same through its environment variable.
    HostConfig from_env;
    ASSERT_TRUE(ApplyEnv(from_env, {{std::string(o.env), sample->second}}).ok());
    EXPECT_TRUE(ChangedFields(from_env, config).empty());
  }
  EXPECT_EQ(options_of_field.size(), 65u);
  for (const auto& [field, flags] : options_of_field) {
    EXPECT_EQ(flags.size(), 1u) << field;
  }
}

TEST(ConfigOptionsTest, SampleValuesLandInTheirFields) {
  HostConfig c;
  for (const auto& [flag, value] : kSampleValues) ASSERT_TRUE(Apply(c, flag, value).ok()) << flag;
  EXPECT_EQ(c.host_seed, "/etc/wasmcloud/host.seed");
  EXPECT_EQ(c.workers, 8u);
  EXPECT_EQ(c.call_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(c.max_memory_pages, 256u);
  EXPECT_EQ(c.max_actor_memory_mb, 512u);
  EXPECT_EQ(c.instance_recycle_mb, 0u);
  EXPECT_EQ(c.max_table_elements, 5000u);
  EXPECT_EQ(c.max_total_table_elements, 8000u);
  EXPECT_EQ(c.max_module_bytes, 1048576u);
  EXPECT_EQ(c.max_response_bytes, 65536u);
  EXPECT_EQ(c.max_host_call_bytes, 32768u);
  EXPECT_EQ(c.oci_tag_ttl, std::chrono::seconds(0));
  EXPECT_TRUE(c.oci_offline);
  EXPECT_EQ(c.code_cache_dir, "/var/cache/wasmcloud/code");
  EXPECT_TRUE(c.no_code_cache);
  EXPECT_EQ(c.code_cache_max_mb, 64u);
  EXPECT_EQ(c.allowed_issuers, std::vector<std::string>{std::string(kAccount)});
  EXPECT_TRUE(c.lax_key_types);
  EXPECT_TRUE(c.allow_live_updates);
  EXPECT_FALSE(c.strict_update_check);
  EXPECT_TRUE(c.allow_oci_latest);
  EXPECT_EQ(c.allowed_insecure, std::vector<std::string>{"localhost:5000"});
  EXPECT_EQ(c.oci_ca_file, "/etc/wasmcloud/registry-ca.pem");
  EXPECT_EQ(c.oci_cache_dir, "/var/cache/wasmcloud/oci");
  EXPECT_EQ(c.oci_connect_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(c.oci_request_timeout, std::chrono::milliseconds(60000));
  EXPECT_EQ(c.labels, (std::map<std::string, std::string>{{"region", "eu-west"}}));
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_TRUE(c.no_lattice);
  EXPECT_EQ(c.control_host, "ctl.example");
  EXPECT_EQ(c.control_port, 4223);
  EXPECT_EQ(c.control_credsfile, "/etc/wasmcloud/ctl.creds");
  EXPECT_TRUE(c.rpc_tls);
  EXPECT_EQ(c.rpc_tls_ca_file, "/etc/wasmcloud/nats-ca.pem");
  EXPECT_EQ(c.rpc_tls_cert_file, "/etc/wasmcloud/host.pem");
  EXPECT_EQ(c.rpc_tls_key_file, "/etc/wasmcloud/host-key.pem");
  EXPECT_TRUE(c.control_tls);
  EXPECT_EQ(c.control_tls_ca_file, "/etc/wasmcloud/ctl-ca.pem");
  EXPECT_EQ(c.control_tls_cert_file, "/etc/wasmcloud/ctl-host.pem");
  EXPECT_EQ(c.control_tls_key_file, "/etc/wasmcloud/ctl-host-key.pem");
  EXPECT_EQ(c.heartbeat_interval, std::chrono::seconds(5));
  EXPECT_EQ(c.provider_isolation, ProviderIsolation::kProcess);
  EXPECT_EQ(c.provider_host_exe, "/usr/bin/wasmcloud");
  EXPECT_FALSE(c.provider_seccomp);
  EXPECT_FALSE(c.provider_pid_namespace);
  EXPECT_TRUE(c.dumpable);
  EXPECT_EQ(c.provider_max_memory_mb, 512u);
  EXPECT_EQ(c.provider_max_open_files, 256u);
  EXPECT_EQ(c.provider_user, (HostConfig::RunAs{4242, 4343}));
  EXPECT_EQ(c.max_actor_calls, 3u);
  EXPECT_EQ(c.http_admin, "[::1]:9090");
  EXPECT_EQ(c.log_format, LogFormat::kJson);
}

TEST(ConfigOptionsTest, ProviderIsolationTakesThreeWords) {
  for (auto [text, want] : {std::pair{"auto", ProviderIsolation::kAuto},
                            std::pair{"process", ProviderIsolation::kProcess},
                            std::pair{"in-process", ProviderIsolation::kInProcess}}) {
    HostConfig c;
    c.provider_isolation = ProviderIsolation::kProcess;
    ASSERT_TRUE(Apply(c, "--provider-isolation", text).ok()) << text;
    EXPECT_EQ(c.provider_isolation, want);
  }
  EXPECT_EQ(ErrorOf("--provider-isolation", "inprocess"),
            "expected auto, process or in-process, got \"inprocess\"");
}

TEST(ConfigOptionsTest, ProviderUserTakesNamesOrNumbers) {
  HostConfig c;
  ASSERT_TRUE(Apply(c, "--provider-user", "65534:65534").ok());
  EXPECT_EQ(c.provider_user, (HostConfig::RunAs{65534, 65534}));
  // Names come from the password and group databases; without a group, the user's own.
  // (daemon is in every Debian's base-passwd.)
  passwd* daemon = ::getpwnam("daemon");
  ASSERT_NE(daemon, nullptr);
  ASSERT_TRUE(Apply(c, "--provider-user", "daemon").ok());
  EXPECT_EQ(c.provider_user, (HostConfig::RunAs{static_cast<uint32_t>(daemon->pw_uid),
                                                static_cast<uint32_t>(daemon->pw_gid)}));
  ASSERT_TRUE(Apply(c, "--provider-user", "4242:daemon").ok());
  EXPECT_EQ(c.provider_user, (HostConfig::RunAs{4242, static_cast<uint32_t>(daemon->pw_gid)}));
  EXPECT_EQ(ErrorOf("--provider-user", "no-such-user-here"),
            "no user named \"no-such-user-here\" in the password database");
  EXPECT_EQ(ErrorOf("--provider-user", "daemon:no-such-group-here"),
            "no group named \"no-such-group-here\" in the group database");
  if (::getpwuid(4242) == nullptr) {
    EXPECT_EQ(ErrorOf("--provider-user", "4242"),
              "user id 4242 is not in the password database: give its group too (USER:GROUP)");
  }
  EXPECT_EQ(ErrorOf("--provider-user", ":1"),
            "expected USER or USER:GROUP (names or numbers), got \":1\"");
  EXPECT_EQ(ErrorOf("--provider-user", "1:"),
            "expected USER or USER:GROUP (names or numbers), got \"1:\"");
  // Root's user or group would give the provider the host's power over its files.
  for (std::string_view root : {"root", "0:65534", "65534:0", "daemon:root"}) {
    EXPECT_THAT(ErrorOf("--provider-user", root),
                ::testing::StartsWith("a provider may not run as root"))
        << root;
  }
}

TEST(ConfigOptionsTest, SwitchesTakeTheUsualWordsInAnyCase) {
  for (std::string_view on : {"1", "true", "TRUE", "yes", "Yes"}) {
    HostConfig c;
    ASSERT_TRUE(Apply(c, "--allow-live-updates", on).ok()) << on;
    EXPECT_TRUE(c.allow_live_updates);
    ASSERT_TRUE(Apply(c, "--disable-strict-update-check", on).ok());
    EXPECT_FALSE(c.strict_update_check);
  }
  for (std::string_view off : {"0", "false", "False", "no", "NO"}) {
    HostConfig c;
    c.allow_live_updates = true;
    c.strict_update_check = false;
    ASSERT_TRUE(Apply(c, "--allow-live-updates", off).ok()) << off;
    EXPECT_FALSE(c.allow_live_updates);
    ASSERT_TRUE(Apply(c, "--disable-strict-update-check", off).ok());
    EXPECT_TRUE(c.strict_update_check);
  }
  for (std::string_view bad : {"on", "", "2", "tru", " true"}) {
    EXPECT_EQ(ErrorOf("--lax-key-types", bad),
              "expected true or false (or 1/0, yes/no), got \"" + std::string(bad) + "\"");
  }
}

TEST(ConfigOptionsTest, TheLogFormatIsTextOrJson) {
  EXPECT_EQ(ErrorOf("--log-format", "yaml"), "expected text or json, got \"yaml\"");
  EXPECT_EQ(ErrorOf("--log-format", ""), "expected text or json, got \"\"");
}

TEST(ConfigOptionsTest, TheAdminAddressIsIpColonPort) {
  HostConfig c;
  for (std::string_view good : {"127.0.0.1:9090", "[::1]:0", "0.0.0.0:80", "off"}) {
    ASSERT_TRUE(Apply(c, "--http-admin", good).ok()) << good;
    EXPECT_EQ(c.http_admin, good);
  }
  for (std::string_view bad : {"9090", "", "127.0.0.1:", "http://127.0.0.1:9090", "a b:1"}) {
    EXPECT_EQ(ErrorOf("--http-admin", bad),
              "expected IP:PORT such as 127.0.0.1:9090, or off, got \"" + std::string(bad) + "\"");
  }
}

TEST(ConfigOptionsTest, NumbersAreCheckedAgainstTheirRanges) {
  HostConfig c;
  ASSERT_TRUE(Apply(c, "--heartbeat-interval", "0").ok());
  EXPECT_EQ(c.heartbeat_interval, std::chrono::seconds(0));
  for (std::string_view bad : {"-1", "86401", "1.5", "30s"}) {
    EXPECT_EQ(ErrorOf("--heartbeat-interval", bad),
              "expected a number of seconds from 0 (no heartbeat) to 86400, got \"" +
                  std::string(bad) + "\"");
  }
  EXPECT_EQ(ErrorOf("--control-port", "0"), "expected a port from 1 to 65535, got \"0\"");
  ASSERT_TRUE(Apply(c, "--workers", "0").ok());
  EXPECT_EQ(c.workers, 0u);
  ASSERT_TRUE(Apply(c, "--workers", "1024").ok());
  EXPECT_EQ(c.workers, 1024u);
  for (std::string_view bad :
       {"x", "", "-1", "1025", "+4", " 4", "4 ", "1e3", "99999999999999999999"}) {
    EXPECT_EQ(ErrorOf("--workers", bad),
              "expected a whole number from 0 to 1024 (0: one per core, plus one), got \"" +
                  std::string(bad) + "\"");
  }

  ASSERT_TRUE(Apply(c, "--call-timeout-ms", "1").ok());
  EXPECT_EQ(c.call_timeout, std::chrono::milliseconds(1));
  ASSERT_TRUE(Apply(c, "--call-timeout-ms", "86400000").ok());
  for (std::string_view flag :
       {"--call-timeout-ms", "--oci-connect-timeout-ms", "--oci-timeout-ms"}) {
    for (std::string_view bad : {"0", "86400001", "1.5", "10s"}) {
      EXPECT_EQ(ErrorOf(flag, bad),
                "expected a whole number of milliseconds from 1 to 86400000 (one day), got \"" +
                    std::string(bad) + "\"");
    }
  }

  ASSERT_TRUE(Apply(c, "--max-memory-pages", "1").ok());
  ASSERT_TRUE(Apply(c, "--max-memory-pages", "65536").ok());
  EXPECT_EQ(c.max_memory_pages, 65536u);
  for (std::string_view bad : {"0", "65537", "lots"}) {
    EXPECT_EQ(ErrorOf("--max-memory-pages", bad),
              "expected a whole number of 64 KiB pages from 1 to 65536, got \"" + std::string(bad) +
                  "\"");
  }
}

TEST(ConfigOptionsTest, LogLevel) {
  HostConfig c;
  ASSERT_TRUE(Apply(c, "--log-level", "WARN").ok());
  EXPECT_EQ(c.log_level, LogLevel::kWarn);
  ASSERT_TRUE(Apply(c, "--log-level", "off").ok());
  EXPECT_EQ(c.log_level, LogLevel::kOff);
  EXPECT_EQ(ErrorOf("--log-level", "loud"),
            "expected one of trace, debug, info, warn, error, off, got \"loud\"");
  // A failed value leaves the field alone.
  EXPECT_FALSE(Apply(c, "--log-level", "verbose").ok());
  EXPECT_EQ(c.log_level, LogLevel::kOff);
}

TEST(ConfigOptionsTest, Labels) {
  HostConfig c;
  ASSERT_TRUE(Apply(c, "--label", "zone=a=b").ok());
  ASSERT_TRUE(Apply(c, "--label", "empty=").ok());
  ASSERT_TRUE(Apply(c, "--label", "HOSTCORE_ok=1").ok());
  ASSERT_TRUE(Apply(c, "--label", "zone=c").ok());  // a later value wins
  EXPECT_EQ(c.labels, (std::map<std::string, std::string>{
                          {"zone", "c"}, {"empty", ""}, {"HOSTCORE_ok", "1"}}));
  EXPECT_EQ(ErrorOf("--label", "novalue"),
            "expected KEY=VALUE with a non-empty KEY, got \"novalue\"");
  EXPECT_EQ(ErrorOf("--label", "=v"), "expected KEY=VALUE with a non-empty KEY, got \"=v\"");
  EXPECT_EQ(ErrorOf("--label", "hostcore.os=plan9"),
            "label keys starting with \"hostcore.\" are set by the host, got "
            "\"hostcore.os=plan9\"");
  // Printed by ctl, carried in every heartbeat: bounded, one line of text.
  EXPECT_EQ(ErrorOf("--label", "big=" + std::string(5000, 'v')),
            "label big: its value has 5000 bytes, more than 4096");
  EXPECT_EQ(ErrorOf("--label", std::string(300, 'k') + "=v"),
            "label " + std::string(64, 'k') +
                " [236 more bytes cut]: its key has 300 bytes, more than 256");
  EXPECT_EQ(ErrorOf("--label", "k=a\nInjected: 1"), "label k: its value holds a control character");
  EXPECT_EQ(ErrorOf("--label", "k=caf\xe9"), "label k: its value is not valid UTF-8");
  HostConfig many;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(Apply(many, "--label", "k" + std::to_string(i) + "=v").ok());
  }
  EXPECT_TRUE(Apply(many, "--label", "k0=again").ok());
  EXPECT_EQ(Apply(many, "--label", "k100=v").message(), "more than 100 labels");
}

TEST(ConfigOptionsTest, TheRpcTimeoutStaysWithinAnInvocationsLife) {
  HostConfig c;
  ASSERT_TRUE(Apply(c, "--rpc-timeout-ms", "60000").ok());
  EXPECT_EQ(c.rpc_timeout, std::chrono::milliseconds(60000));
  EXPECT_EQ(ErrorOf("--rpc-timeout-ms", "70000"),
            "expected a whole number of milliseconds from 1 to 60000 (a receiver refuses an "
            "invocation valid for longer than 60 s), got \"70000\"");
}

TEST(ConfigOptionsTest, AllowedIssuersMustBeAccountKeys) {
  HostConfig c;
  ASSERT_TRUE(Apply(c, "--allowed-issuer", kAccount).ok());
  ASSERT_TRUE(Apply(c, "--allowed-issuer", kAccount2).ok());
  ASSERT_TRUE(Apply(c, "--allowed-issuer", kAccount).ok());  // once is enough
  EXPECT_EQ(c.allowed_issuers,
            (std::vector<std::string>{std::string(kAccount), std::string(kAccount2)}));

  EXPECT_EQ(ErrorOf("--allowed-issuer", kModule),
            "expected an account public key (starting with A), got \"" + std::string(kModule) +
                "\", a key of type module");
  EXPECT_EQ(ErrorOf("--allowed-issuer", "ACME"),
            "expected an account public key (56 characters starting with A), got \"ACME\": bad "
            "length: a public key has 56 characters, this one has 4");
  std::string bad_checksum(kAccount);
  bad_checksum[10] = bad_checksum[10] == 'A' ? 'B' : 'A';
  EXPECT_THAT(ErrorOf("--allowed-issuer", bad_checksum), HasSubstr("bad checksum"));
}

TEST(ConfigOptionsTest, AllowedInsecureRegistries) {
  HostConfig c;
  ASSERT_TRUE(Apply(c, "--allowed-insecure", "localhost:5000").ok());
  ASSERT_TRUE(Apply(c, "--allowed-insecure", "registry.local").ok());
  ASSERT_TRUE(Apply(c, "--allowed-insecure", "localhost:5000").ok());
  EXPECT_EQ(c.allowed_insecure, (std::vector<std::string>{"localhost:5000", "registry.local"}));
  for (std::string_view bad : {"", "http://localhost:5000", "a b"}) {
    EXPECT_EQ(
        ErrorOf("--allowed-insecure", bad),
        "expected a registry host[:port] such as localhost:5000, got \"" + std::string(bad) + "\"");
  }
}

TEST(ConfigOptionsTest, OciPathsAreNonEmptyWithoutControlCharacters) {
  for (std::string_view flag : {"--oci-ca-file", "--oci-cache-dir", "--code-cache-dir"}) {
    SCOPED_TRACE(flag);
    EXPECT_EQ(ErrorOf(flag, ""), "expected a path, got \"\"");
    EXPECT_EQ(ErrorOf(flag, "a\nb"), "expected a path, got \"a\\x0ab\"");
    EXPECT_EQ(ErrorOf(flag, "relative/dir"), "");
  }
}

TEST(ConfigOptionsTest, TheCodeCacheBoundIsSomeMebibytes) {
  EXPECT_EQ(ErrorOf("--code-cache-max-mb", "1"), "");
  for (std::string_view bad : {"0", "1048577", "1.5", "256M"}) {
    EXPECT_EQ(ErrorOf("--code-cache-max-mb", bad),
              "expected a whole number from 1 to 1048576, got \"" + std::string(bad) + "\"");
  }
}

TEST(CodeCacheDirTest, IsPerUserByDefault) {
  FakeEnv env;
  env.vars = {{"XDG_CACHE_HOME", "/home/u/.xdg"}, {"HOME", "/home/u"}, {"TMPDIR", "/var/tmp"}};
  EXPECT_EQ(DefaultCodeCacheDir(env.Lookup()), "/home/u/.xdg/wasmcloud/code");
  env.vars["XDG_CACHE_HOME"] = "relative";  // ignored, as the XDG specification says
  EXPECT_EQ(DefaultCodeCacheDir(env.Lookup()), "/home/u/.cache/wasmcloud/code");
  env.vars.erase("XDG_CACHE_HOME");
  env.vars["HOME"] = "/root/";
  EXPECT_EQ(DefaultCodeCacheDir(env.Lookup()), "/root/.cache/wasmcloud/code");
  env.vars["HOME"] = "/";
  EXPECT_EQ(DefaultCodeCacheDir(env.Lookup()), "/.cache/wasmcloud/code");
  env.vars.erase("HOME");
  const std::string uid = std::to_string(geteuid());
  EXPECT_EQ(DefaultCodeCacheDir(env.Lookup()), "/var/tmp/wasmcloud_codecache_" + uid);
  env.vars.clear();
  EXPECT_EQ(DefaultCodeCacheDir(env.Lookup()), "/tmp/wasmcloud_codecache_" + uid);
}

TEST(CodeCacheDirTest, TheFlagsChooseOrTurnItOff) {
  FakeEnv env;
  env.vars = {{"HOME", "/home/u"}};
  HostConfig c;
  EXPECT_EQ(CodeCacheDir(c, env.Lookup()), "/home/u/.cache/wasmcloud/code");
  ASSERT_TRUE(Apply(c, "--code-cache-dir", "/srv/code").ok());
  EXPECT_EQ(CodeCacheDir(c, env.Lookup()), "/srv/code");
  ASSERT_TRUE(Apply(c, "--no-code-cache", "true").ok());
  EXPECT_EQ(CodeCacheDir(c, env.Lookup()), "");
  HostConfig off;
  ASSERT_TRUE(ApplyEnv(off, {{"WASMCLOUD_NO_CODE_CACHE", "1"}}).ok());
  EXPECT_EQ(CodeCacheDir(off, env.Lookup()), "");
}

TEST(ConfigOptionsTest, HostSeedIsASeedOrAPath) {
  auto server = crypto::KeyPair::Generate(crypto::KeyType::kServer);
  std::string seed = server.EncodedSeed();
  HostConfig c;
  ASSERT_TRUE(Apply(c, "--host-seed", seed).ok());
  EXPECT_EQ(c.host_seed, seed);
  for (std::string_view path : {"host.seed", "/run/secrets/wasmcloud", "./SN"}) {
    ASSERT_TRUE(Apply(c, "--host-seed", path).ok()) << path;
    EXPECT_EQ(c.host_seed, path);
  }

  std::string account_seed = crypto::KeyPair::Generate(crypto::KeyType::kAccount).EncodedSeed();
  EXPECT_EQ(ErrorOf("--host-seed", account_seed),
            "expected a server seed (starting with SN), got a seed of type account");

  std::string broken = seed;
  broken[20] = broken[20] == 'A' ? 'B' : 'A';
  std::string message = ErrorOf("--host-seed", broken);
  EXPECT_THAT(message, HasSubstr("looks like a seed but is not a valid one (bad checksum"));
  // The secret is never repeated in a message.
  EXPECT_THAT(message, Not(HasSubstr(broken.substr(2, 20))));
  EXPECT_THAT(ErrorOf("--host-seed", account_seed), Not(HasSubstr(account_seed.substr(2, 20))));

  EXPECT_EQ(ErrorOf("--host-seed", ""),
            "expected a server seed (58 characters starting with SN) or the path of a file "
            "holding one, got an empty value");
}

TEST(ApplyEnvironmentTest, ReadsEveryVariableAndNothingElse) {
  FakeEnv env;
  HostConfig c;
  ASSERT_TRUE(ApplyEnvironment(c, env.Lookup()).ok());
  EXPECT_TRUE(ChangedFields(c, HostConfig{}).empty());
  std::set<std::string> asked(env.asked.begin(), env.asked.end());
  std::set<std::string> names;
  for (const ConfigOption& o : ConfigOptions()) names.insert(std::string(o.env));
  EXPECT_EQ(asked, names);
}

TEST(ApplyEnvironmentTest, ListsAreSplitAtCommas) {
  HostConfig c;
  ASSERT_TRUE(ApplyEnv(c, {{"WASMCLOUD_ALLOWED_ISSUERS",
                            std::string(kAccount) + ", " + std::string(kAccount2) + ",,"},
                           {"WASMCLOUD_OCI_ALLOWED_INSECURE", "localhost:5000,registry.local"},
                           {"WASMCLOUD_LABELS", "a=1, b=x=y ,c="}})
                  .ok());
  EXPECT_EQ(c.allowed_issuers,
            (std::vector<std::string>{std::string(kAccount), std::string(kAccount2)}));
  EXPECT_EQ(c.allowed_insecure, (std::vector<std::string>{"localhost:5000", "registry.local"}));
  EXPECT_EQ(c.labels, (std::map<std::string, std::string>{{"a", "1"}, {"b", "x=y"}, {"c", ""}}));
}

TEST(ApplyEnvironmentTest, SingleValuesAreNotSplit) {
  HostConfig c;
  EXPECT_EQ(
      ApplyEnv(c, {{"WASMCLOUD_WORKERS", "1,2"}}).message(),
      "WASMCLOUD_WORKERS: expected a whole number from 0 to 1024 (0: one per core, plus one), got "
      "\"1,2\"");
}

TEST(ApplyEnvironmentTest, EmptyVariablesCountAsUnset) {
  HostConfig c;
  ASSERT_TRUE(ApplyEnv(c, {{"WASMCLOUD_WORKERS", ""},
                           {"WASMCLOUD_HOST_SEED", ""},
                           {"WASMCLOUD_LAX_KEY_TYPES", ""},
                           {"WASMCLOUD_LABELS", ""}})
                  .ok());
  EXPECT_TRUE(ChangedFields(c, HostConfig{}).empty());
}

TEST(ApplyEnvironmentTest, ErrorsNameTheVariable) {
  struct Case {
    std::string var, value, message;
  };
  const std::vector<Case> cases = {
      {"WASMCLOUD_WORKERS", "x",
       "WASMCLOUD_WORKERS: expected a whole number from 0 to 1024 (0: one per core, plus one), got "
       "\"x\""},
      {"WASMCLOUD_CALL_TIMEOUT_MS", "0",
       "WASMCLOUD_CALL_TIMEOUT_MS: expected a whole number of milliseconds from 1 to 86400000 "
       "(one day), got \"0\""},
      {"WASMCLOUD_MAX_MEMORY_PAGES", "70000",
       "WASMCLOUD_MAX_MEMORY_PAGES: expected a whole number of 64 KiB pages from 1 to 65536, "
       "got \"70000\""},
      {"WASMCLOUD_LAX_KEY_TYPES", "on",
       "WASMCLOUD_LAX_KEY_TYPES: expected true or false (or 1/0, yes/no), got \"on\""},
      {"WASMCLOUD_LOG_LEVEL", "chatty",
       "WASMCLOUD_LOG_LEVEL: expected one of trace, debug, info, warn, error, off, got "
       "\"chatty\""},
      {"WASMCLOUD_LABELS", "a=1,hostcore.arch=x",
       "WASMCLOUD_LABELS: label keys starting with \"hostcore.\" are set by the host, got "
       "\"hostcore.arch=x\""},
      {"WASMCLOUD_ALLOWED_ISSUERS", std::string(kAccount) + "," + std::string(kModule),
       "WASMCLOUD_ALLOWED_ISSUERS: expected an account public key (starting with A), got \"" +
           std::string(kModule) + "\", a key of type module"},
      {"WASMCLOUD_OCI_ALLOWED_INSECURE", "https://r",
       "WASMCLOUD_OCI_ALLOWED_INSECURE: expected a registry host[:port] such as "
       "localhost:5000, got \"https://r\""},
  };
  for (const Case& k : cases) {
    HostConfig c;
    Status s = ApplyEnv(c, {{k.var, k.value}});
    ASSERT_FALSE(s.ok()) << k.var;
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
    EXPECT_EQ(s.message(), k.message);
  }
}

TEST(ApplyEnvironmentTest, ControlCharactersInValuesAreEscapedAndLongValuesCut) {
  HostConfig c;
  Status s = ApplyEnv(c, {{"WASMCLOUD_LOG_LEVEL", "a\nb\x1b" + std::string(100, 'z')}});
  EXPECT_EQ(s.message(),
            "WASMCLOUD_LOG_LEVEL: expected one of trace, debug, info, warn, error, "
            "off, got \"a\\x0ab\\x1b" +
                std::string(76, 'z') + "...\"");
}

TEST(ApplyEnvironmentTest, UsesTheProcessEnvironmentByDefault) {
  ASSERT_EQ(setenv("WASMCLOUD_MAX_MEMORY_PAGES", "32", 1), 0);
  HostConfig c;
  Status s = ApplyEnvironment(c);
  unsetenv("WASMCLOUD_MAX_MEMORY_PAGES");
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.max_memory_pages, 32u);
}

}  // namespace
}  // namespace wasmcloud::host
