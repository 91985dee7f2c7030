#include "oci/client.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <memory>
#include <utility>

#include <sys/stat.h>
#include "core/encoding.h"
#include "core/log.h"

#include "core/private_dir.h"
#include "oci/cache.h"
#include "oci/credentials.h"
#include "oci/http.h"
#include "oci/registry_answers.h"

namespace wasmcloud::oci {
namespace {

using Json = nlohmann::ordered_json;
constexpr std::string_view kLog = "oci";
constexpr std::string_view kEmptyConfig = "{}";

std::string TmpDir() {
  const char* tmp = std::getenv("TMPDIR");
  return tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
}

std::string StatusText(const HttpResponse& r) {
  std::string s = "HTTP " + std::to_string(r.status);
  std::string m = RegistryMessage(r.body);
  if (!m.empty()) s += ": " + m;
  return s;
}

// --- one registry conversation -----------------------------------------------------------

// Talks to one registry for one repository: the /v2/ probe, the authentication it asks
// for, then requests with the Authorization that works.
class Registry {
 public:
  Registry(const ClientConfig& config, const Reference& ref, bool push, uint64_t* requests)
      : config_(config),
        ref_(ref),
        push_(push),
        requests_(requests),
        http_(HttpOptions{config.connect_timeout, config.request_timeout, config.ca_file,
                          config.stall_timeout, config.cancel}) {
    insecure_ = false;
    for (const auto& host : config.allowed_insecure) {
      if (host == ref.registry) insecure_ = true;
    }
    base_ = std::string(insecure_ ? "http://" : "https://") + ref.ApiHost();
  }
  ~Registry() { *requests_ += http_.requests(); }

  const std::string& base() const { return base_; }
  std::string RepoUrl() const { return base_ + "/v2/" + ref_.repository; }

  // GET /v2/ and whatever authentication it asks for.
  Status Authenticate() {
    auto probe = Send(HttpRequest{"GET", base_ + "/v2/", {}, {}, 64 << 10}, false);
    if (!probe.ok()) return probe.status();
    if (probe->status == 200) return Status::Ok();
    if (probe->status != 401) {
      return Unavailable(ref_.registry + " does not answer as an OCI registry (GET " + base_ +
                         "/v2/ gave " + StatusText(*probe) + ")");
    }
    Challenge challenge = ParseChallenge(probe->Header("www-authenticate"));
    WC_ASSIGN_OR_RETURN(credentials_, CredentialsFor(config_, ref_.registry));
    if (challenge.scheme == "bearer") return FetchToken(challenge);
    if (challenge.scheme == "basic") {
      if (!credentials_) {
        return PermissionDenied("registry " + ref_.registry +
                                " requires credentials (HTTP basic) and none were given: use "
                                "--user/--password, OCI_REGISTRY_USER and OCI_REGISTRY_PASSWORD, "
                                "or a credentials file");
      }
      authorization_ =
          "Basic " + Base64Encode(AsBytes(credentials_->username + ":" + credentials_->password));
      auto again = Send(HttpRequest{"GET", base_ + "/v2/", {}, {}, 64 << 10}, false);
      if (!again.ok()) return again.status();
      if (again->status == 401 || again->status == 403) {
        return PermissionDenied("registry " + ref_.registry +
                                " refused the credentials of user \"" + credentials_->username +
                                "\" (" + StatusText(*again) + ")");
      }
      return Status::Ok();
    }
    return PermissionDenied("registry " + ref_.registry +
                            " asks for an authentication scheme this client does not support (" +
                            probe->Header("www-authenticate") + ")");
  }

  // Sends a request with the current authorization. A 401 carrying a Bearer challenge
  // (a new scope) gets one new token and one retry.
  Result<HttpResponse> Send(HttpRequest request, bool retry_on_challenge = true) {
    if (!authorization_.empty()) request.headers.emplace_back("Authorization", authorization_);
    auto r = http_.Perform(request);
    if (!r.ok()) return Transport(r.status());
    if (r->status == 401 && retry_on_challenge && bearer_) {
      Challenge challenge = ParseChallenge(r->Header("www-authenticate"));
      if (challenge.scheme == "bearer" && challenge.params.contains("scope")) {
        WC_RETURN_IF_ERROR(FetchToken(challenge));
        request.headers.back().second = authorization_;
        r = http_.Perform(request);
        if (!r.ok()) return Transport(r.status());
      }
    }
    return r;
  }

  // An error for a response that is not what was expected.
  Status Unexpected(const HttpResponse& r, const std::string& what) const {
    std::string text = what + ": " + StatusText(r);
    if (r.status == 401 || r.status == 403) {
      return PermissionDenied("registry " + ref_.registry + " refused access to " + what + " (" +
                              StatusText(r) + ")");
    }
    if (r.status == 404) return NotFound(text);
    return Unavailable("registry " + ref_.registry + " failed " + text);
  }

 private:
  Status Transport(const Status& s) const {
    std::string hint;
    if (!insecure_ && s.code() == Code::kUnavailable &&
        (s.message().find("SSL") != std::string::npos ||
         s.message().find("TLS") != std::string::npos ||
         s.message().find("certificate") != std::string::npos)) {
      hint = " (if " + ref_.registry + " serves plain HTTP, allow it with --allowed-insecure " +
             ref_.registry +
             "; if its certificate comes from a private CA, pass that CA with --ca-file)";
    }
    if (s.code() == Code::kDeadlineExceeded) {
      return DeadlineExceeded("registry " + ref_.registry + " did not answer in time (" +
                              s.message() + ")");
    }
    if (s.code() == Code::kResourceExhausted) return s;
    return Unavailable("cannot reach registry " + ref_.registry + ": " + s.message() + hint);
  }

  Status FetchToken(const Challenge& challenge) {
    bearer_ = true;
    auto realm = challenge.params.find("realm");
    if (realm == challenge.params.end() || realm->second.empty()) {
      return Unavailable("registry " + ref_.registry + " asks for a bearer token without a realm");
    }
    std::string scope = "repository:" + ref_.repository + (push_ ? ":pull,push" : ":pull");
    if (auto s = challenge.params.find("scope"); s != challenge.params.end()) scope = s->second;
    std::string url = realm->second;
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += "scope=" + UrlEscape(scope);
    if (auto s = challenge.params.find("service"); s != challenge.params.end()) {
      url += "&service=" + UrlEscape(s->second);
    }
    HttpRequest request{"GET", url, {}, {}, 1 << 20};
    if (credentials_) {
      // Basic credentials go only to an HTTPS realm, or an HTTP one allowed insecure.
      bool https = realm->second.starts_with("https://");
      bool allowed = false;
      if (realm->second.starts_with("http://")) {
        std::string host = realm->second.substr(7);
        host = host.substr(0, host.find_first_of("/?"));
        for (const auto& h : config_.allowed_insecure) allowed = allowed || h == host;
      }
      if (!https && !allowed) {
        return PermissionDenied("registry " + ref_.registry + " sends credentials to " +
                                realm->second +
                                ", which is not HTTPS: refused (allow its host with "
                                "--allowed-insecure to send them anyway)");
      }
      request.headers.emplace_back(
          "Authorization",
          "Basic " + Base64Encode(AsBytes(credentials_->username + ":" + credentials_->password)));
    }
    auto r = http_.Perform(request);
    if (!r.ok()) {
      return Unavailable("cannot get a token for " + ref_.registry + " from " + realm->second +
                         ": " + r.status().message());
    }
    if (r->status == 401 || r->status == 403) {
      return PermissionDenied(
          "the token service of registry " + ref_.registry + " (" + realm->second + ") refused " +
          (credentials_ ? "the credentials of user \"" + credentials_->username + "\""
                        : std::string("anonymous access")) +
          " (" + StatusText(*r) + ")");
    }
    if (r->status != 200) {
      return Unavailable("the token service of registry " + ref_.registry +
                         " failed: " + StatusText(*r));
    }
    std::string token = TokenFromAnswer(r->body);
    if (token.empty()) {
      return Unavailable("the token service of registry " + ref_.registry +
                         " answered without a token");
    }
    authorization_ = "Bearer " + token;
    return Status::Ok();
  }

  const ClientConfig& config_;
  const Reference& ref_;
  bool push_;
  uint64_t* requests_;
  HttpSession http_;
  bool insecure_ = false;
  bool bearer_ = false;
  std::string base_;
  std::string authorization_;
  std::optional<Credentials> credentials_;
};

// --- manifests -----------------------------------------------------------------------------

Status LatestRefused(const Reference& ref, bool push) {
  if (ref.tag != "latest") return Status::Ok();
  std::string how = ref.implicit_tag ? " (a reference without a tag means :latest)" : "";
  if (push) {
    return InvalidArgument("Pushing images tagged 'latest' is refused unless allowed (" +
                           ref.ToString() + how + "): use a version tag, or --allow-oci-latest");
  }
  return InvalidArgument(
      "Fetching images tagged 'latest' is currently prohibited in this host. This option can "
      "be overridden with --allow-oci-latest (" +
      ref.ToString() + how + ")");
}

void Remember(const Cache* cache, const std::string& digest, ByteView data) {
  if (cache == nullptr) return;
  if (Status s = cache->WriteBlob(digest, data); !s.ok()) {
    Log(LogLevel::kWarn, kLog, "not cached: " + s.message());
  }
}

// The artefact `digest` names when the cache holds its manifest and every layer.
std::optional<PulledArtifact> FromCache(const Cache& cache, const std::string& digest,
                                        const std::string& name, uint64_t max_artifact_size) {
  std::optional<Bytes> manifest = cache.ReadBlob(digest);
  if (!manifest) return std::nullopt;
  auto layers = ParseManifest(*manifest, "", name, max_artifact_size);
  if (!layers.ok()) return std::nullopt;
  PulledArtifact out;
  for (const Layer& layer : *layers) {
    auto blob = cache.ReadBlob(layer.digest);
    if (!blob) return std::nullopt;
    out.data.insert(out.data.end(), blob->begin(), blob->end());
  }
  out.manifest_digest = digest;
  out.media_type = layers->front().media_type;
  out.reference = name;
  out.from_cache = true;
  return out;
}

}  // namespace

std::string_view ArtifactKindName(ArtifactKind kind) {
  return kind == ArtifactKind::kActor ? "actor" : "provider";
}

Result<ArtifactKind> ArtifactKindOf(ByteView data) {
  if (data.size() >= 4 && data[0] == 0 && data[1] == 'a' && data[2] == 's' && data[3] == 'm') {
    return ArtifactKind::kActor;
  }
  if (data.size() >= 2 && data[0] == 0x1f && data[1] == 0x8b) return ArtifactKind::kProvider;
  if (data.size() >= 262 && AsChars(data.subspan(257, 5)) == "ustar") {
    return ArtifactKind::kProvider;
  }
  return InvalidArgument(
      "neither a wasm module (actor) nor a provider archive (.par.gz): the content starts with "
      "neither \\0asm nor the gzip or tar magic");
}

std::string DefaultCacheDir() { return TmpDir() + "/wasmcloud_ocicache"; }
std::string DefaultProviderCacheDir() { return TmpDir() + "/wasmcloudcache"; }

std::vector<std::string> AllowedInsecureFromEnv() {
  std::vector<std::string> out;
  const char* env = std::getenv("WASMCLOUD_OCI_ALLOWED_INSECURE");
  if (env == nullptr) return out;
  std::string_view list(env);
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

ClientConfig ClientConfig::FromEnvironment() {
  ClientConfig c;
  c.cache_dir = DefaultCacheDir();
  c.allowed_insecure = AllowedInsecureFromEnv();
  const char* user = std::getenv("OCI_REGISTRY_USER");
  const char* password = std::getenv("OCI_REGISTRY_PASSWORD");
  if (user != nullptr && password != nullptr) c.env_credentials = Credentials{user, password};
  if (const char* file = std::getenv("WASMCLOUD_OCI_CREDENTIALS"); file != nullptr && *file) {
    c.credentials_file = file;
  }
  return c;
}

Client::Client(ClientConfig config) : config_(std::move(config)) {}

Result<PulledArtifact> Client::Pull(std::string_view ref) {
  WC_ASSIGN_OR_RETURN(Reference parsed, ParseReference(ref));
  return Pull(parsed);
}

Result<PulledArtifact> Client::Pull(const Reference& ref) {
  if (!config_.allow_latest) WC_RETURN_IF_ERROR(LatestRefused(ref, false));
  const std::string name = ref.ToString();
  std::unique_ptr<Cache> cache;
  if (!config_.cache_dir.empty()) {
    // One that exists is checked before anything in it is read; one that does not is
    // made (0700) when the first thing is written to it (Cache).
    struct stat st {};
    if (::lstat(config_.cache_dir.c_str(), &st) == 0) {
      WC_RETURN_IF_ERROR(EnsurePrivateDirectory(config_.cache_dir, "OCI cache"));
    }
    cache = std::make_unique<Cache>(config_.cache_dir);
  }

  // 1. The cache: the digest given, or the one this tag resolved to before.
  const bool pinned = !ref.digest.empty();
  std::optional<ReferenceRecord> record;
  std::optional<PulledArtifact> cached;
  if (cache) {
    std::optional<std::string> digest;
    if (pinned) {
      digest = ref.digest;
    } else if ((record = cache->LookupReferenceRecord(name))) {
      if (record->plain_http && !AllowsPlainHttp(ref.registry)) {
        // Resolved over plain HTTP by a host allowed to (a shared cache): this host may
        // only ask the registry over TLS, so it does not take that answer's word.
        Log(LogLevel::kInfo, kLog,
            "the cached resolution of " + name +
                " was made over plain HTTP, which this host does not allow for " + ref.registry +
                " (--allowed-insecure): asking the registry");
        record.reset();
      } else {
        digest = record->digest;
      }
    }
    if (digest) cached = FromCache(*cache, *digest, name, config_.max_artifact_size);
  }
  if (cached && (pinned || config_.offline)) return std::move(*cached);
  const auto now = Now();
  std::optional<std::chrono::system_clock::duration> age;
  if (record && record->resolved_at && *record->resolved_at <= now) {
    age = now - *record->resolved_at;
  }
  // A record without a time (an older version's) or with one in the future (the clock
  // was set back) counts as expired.
  if (cached && age && *age < config_.tag_ttl) return std::move(*cached);

  if (config_.offline) {
    return Unavailable(name + " is not cached" +
                       (cache ? " (OCI cache " + config_.cache_dir + ")" : " (no OCI cache)") +
                       " and the host is offline (--oci-offline): no registry is contacted");
  }

  // 2. The registry: the first pull of a reference, or a tag past its TTL.
  auto pulled = PullFromRegistry(ref, name, cache.get());
  if (pulled.ok() && cached && pulled->manifest_digest != cached->manifest_digest) {
    Log(LogLevel::kInfo, kLog,
        name + " was resolved again: it now names " + pulled->manifest_digest + " (was " +
            cached->manifest_digest + ")");
  }
  if (pulled.ok() || !cached) return pulled;
  // The tag's TTL has passed and asking again failed. The registry's own answers about
  // it (401/403, 404, a manifest or blob that fails its checks, a bad credentials file)
  // fail the pull; a registry that cannot be reached or does not answer does not stop a
  // host from using what it verified before.
  const Code code = pulled.status().code();
  const bool cancelled = config_.cancel && config_.cancel->load();
  if ((code != Code::kUnavailable && code != Code::kDeadlineExceeded) || cancelled) {
    return pulled;
  }
  std::string when = "at a time not recorded";
  if (age) {
    when =
        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*age).count()) + " s ago";
  }
  Log(LogLevel::kWarn, kLog,
      "serving " + name + " from the OCI cache as " + cached->manifest_digest + " (resolved " +
          when + ", tag TTL " + std::to_string(config_.tag_ttl.count()) +
          " s): the registry could not be asked again: " + pulled.status().message());
  cached->stale = true;
  return std::move(*cached);
}

bool Client::AllowsPlainHttp(const std::string& registry) const {
  return std::find(config_.allowed_insecure.begin(), config_.allowed_insecure.end(), registry) !=
         config_.allowed_insecure.end();
}

std::chrono::system_clock::time_point Client::Now() const {
  return config_.clock ? config_.clock() : std::chrono::system_clock::now();
}

Result<PulledArtifact> Client::PullFromRegistry(const Reference& ref, const std::string& name,
                                                const Cache* cache) {
  PulledArtifact out;
  out.reference = name;
  Registry registry(config_, ref, false, &requests_);
  WC_RETURN_IF_ERROR(registry.Authenticate());
  HttpRequest get{"GET",
                  registry.RepoUrl() + "/manifests/" + ref.TagOrDigest(),
                  {{"Accept", std::string(kManifestAccept)}},
                  {},
                  config_.max_manifest_size};
  auto response = registry.Send(get);
  if (!response.ok()) {
    if (response.status().code() == Code::kResourceExhausted) {
      return ResourceExhausted("the manifest of " + name + " is too large (over " +
                               std::to_string(config_.max_manifest_size) + " bytes)");
    }
    return response.status();
  }
  if (response->status != 200) {
    if (response->status == 404) {
      return NotFound(name + " was not found in the registry (" + StatusText(*response) + ")");
    }
    return registry.Unexpected(*response, "the manifest of " + name);
  }
  // The TTL of the record counts from the registry's answer, not from the layers' end.
  const auto resolved_at = Now();
  const Bytes& manifest = response->body;
  out.manifest_digest = Sha256Digest(manifest);
  if (!ref.digest.empty() && out.manifest_digest != ref.digest) {
    return Unauthenticated("digest mismatch: the manifest of " + name + " has " +
                           out.manifest_digest);
  }
  if (std::string claimed = response->Header("docker-content-digest");
      IsSha256Digest(claimed) && claimed != out.manifest_digest) {
    return Unauthenticated("digest mismatch: the registry says the manifest of " + name + " is " +
                           claimed + " but its bytes hash to " + out.manifest_digest);
  }
  WC_ASSIGN_OR_RETURN(
      std::vector<Layer> layers,
      ParseManifest(manifest, response->Header("content-type"), name, config_.max_artifact_size));
  out.media_type = layers.front().media_type;
  for (const Layer& layer : layers) {
    std::optional<Bytes> blob = cache ? cache->ReadBlob(layer.digest) : std::nullopt;
    if (!blob) {
      HttpRequest get_blob{
          "GET", registry.RepoUrl() + "/blobs/" + layer.digest, {}, {}, layer.size + 1};
      auto r = registry.Send(get_blob);
      if (!r.ok()) {
        if (r.status().code() == Code::kResourceExhausted) {
          return Unauthenticated("size mismatch: blob " + layer.digest + " of " + name +
                                 " is larger than the " + std::to_string(layer.size) +
                                 " bytes its manifest says");
        }
        return r.status();
      }
      if (r->status != 200) return registry.Unexpected(*r, "blob " + layer.digest + " of " + name);
      std::string got = Sha256Digest(r->body);
      if (got != layer.digest) {
        return Unauthenticated("digest mismatch: blob " + layer.digest + " of " + name + " has " +
                               got + " (" + std::to_string(r->body.size()) +
                               " bytes): the registry's copy is corrupt or was tampered with");
      }
      if (r->body.size() != layer.size) {
        return Unauthenticated("size mismatch: blob " + layer.digest + " of " + name + " has " +
                               std::to_string(r->body.size()) + " bytes, its manifest says " +
                               std::to_string(layer.size));
      }
      Remember(cache, layer.digest, r->body);
      blob = std::move(r->body);
    }
    out.data.insert(out.data.end(), blob->begin(), blob->end());
  }
  Remember(cache, out.manifest_digest, manifest);
  if (cache) {
    if (Status s = cache->RecordReference(name, out.manifest_digest, resolved_at,
                                          AllowsPlainHttp(ref.registry));
        !s.ok()) {
      Log(LogLevel::kWarn, kLog, "not cached: " + s.message());
    }
  }
  return out;
}

Result<PushedArtifact> Client::Push(const Reference& ref, ByteView data) {
  if (!ref.digest.empty()) {
    return InvalidArgument("cannot push to " + ref.ToString() +
                           ": a push needs a tag, not a digest (the digest is the result)");
  }
  if (!config_.allow_latest) WC_RETURN_IF_ERROR(LatestRefused(ref, true));
  WC_ASSIGN_OR_RETURN(ArtifactKind kind, ArtifactKindOf(data));
  if (config_.offline) {
    return Unavailable("cannot push to " + ref.ToString() +
                       ": the host is offline (--oci-offline): no registry is contacted");
  }
  const std::string name = ref.ToString();
  PushedArtifact out;
  out.kind = kind;
  out.reference = name;
  out.size = data.size();
  out.layer_digest = Sha256Digest(data);
  const std::string config_digest = Sha256Digest(AsBytes(kEmptyConfig));

  Registry registry(config_, ref, true, &requests_);
  WC_RETURN_IF_ERROR(registry.Authenticate());

  auto upload = [&](const std::string& digest, ByteView blob) -> Status {
    auto head = registry.Send(
        HttpRequest{"HEAD", registry.RepoUrl() + "/blobs/" + digest, {}, {}, 64 << 10});
    if (!head.ok()) return head.status();
    if (head->status == 200) return Status::Ok();  // the registry has it already
    auto start = registry.Send(
        HttpRequest{"POST", registry.RepoUrl() + "/blobs/uploads/", {}, {}, 64 << 10});
    if (!start.ok()) return start.status();
    if (start->status != 202) return registry.Unexpected(*start, "starting an upload to " + name);
    std::string location = start->Header("location");
    if (location.empty()) {
      return Unavailable("registry " + ref.registry + " started an upload without a Location");
    }
    if (location.front() == '/') location = registry.base() + location;
    location += location.find('?') == std::string::npos ? '?' : '&';
    location += "digest=" + UrlEscape(digest);
    auto put = registry.Send(HttpRequest{
        "PUT", location, {{"Content-Type", "application/octet-stream"}}, blob, 64 << 10});
    if (!put.ok()) return put.status();
    if (put->status != 201) return registry.Unexpected(*put, "uploading " + digest + " to " + name);
    return Status::Ok();
  };
  WC_RETURN_IF_ERROR(upload(config_digest, AsBytes(kEmptyConfig)));
  WC_RETURN_IF_ERROR(upload(out.layer_digest, data));

  Json manifest = Json::object();
  manifest["schemaVersion"] = 2;
  manifest["mediaType"] = kOciManifestMediaType;
  manifest["config"] = {{"mediaType", kind == ArtifactKind::kActor ? kActorConfigMediaType
                                                                   : kProviderConfigMediaType},
                        {"digest", config_digest},
                        {"size", kEmptyConfig.size()}};
  manifest["layers"] = Json::array(
      {{{"mediaType", kind == ArtifactKind::kActor ? kWasmLayerMediaType : kProviderLayerMediaType},
        {"digest", out.layer_digest},
        {"size", data.size()},
        {"annotations", {{std::string(kTitleAnnotation), out.layer_digest}}}}});
  std::string text = manifest.dump();
  out.manifest_digest = Sha256Digest(AsBytes(text));
  auto put = registry.Send(HttpRequest{"PUT",
                                       registry.RepoUrl() + "/manifests/" + ref.tag,
                                       {{"Content-Type", std::string(kOciManifestMediaType)}},
                                       AsBytes(text),
                                       64 << 10});
  if (!put.ok()) return put.status();
  if (put->status != 201) return registry.Unexpected(*put, "the manifest of " + name);
  return out;
}

}  // namespace wasmcloud::oci
