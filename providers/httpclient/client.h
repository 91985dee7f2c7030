// The HTTP client behind the wasmcloud:httpclient provider: performs an actor's request
// (wire::HttpClientRequest) with libcurl under per-actor limits, and gives back the
// response as the contract's Response. Independent of the provider ABI, so it is tested
// without a host. See docs/httpclient.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "wire/httpclient.h"

namespace wasmcloud::httpclient {

// What one actor's link allows. The defaults are what a link without values gets.
struct ClientSettings {
  static constexpr std::chrono::milliseconds kDefaultTimeout{5000};
  static constexpr long kDefaultMaxRedirects = 10;
  static constexpr uint64_t kDefaultMaxResponseBytes = 16 * 1024 * 1024;

  // The whole request: connecting, sending, waiting and reading the body.
  std::chrono::milliseconds timeout = kDefaultTimeout;
  // Redirects followed (http and https only); 0 answers the 3xx itself.
  long max_redirects = kDefaultMaxRedirects;
  // The largest response body accepted; a larger one fails the request.
  uint64_t max_response_bytes = kDefaultMaxResponseBytes;

  bool operator==(const ClientSettings&) const = default;
};

// Reads the settings from a link's values. Names are matched without regard to case;
// other values (the host's __wasmcloud_* ones included) are ignored:
//   TIMEOUT_MS          milliseconds, 1..3600000
//   timeout             seconds, 1..3600 (the 0.18 provider's name and unit)
//   max_redirects       0..100 (the 0.18 provider's name)
//   MAX_RESPONSE_BYTES  0..1073741824
// kInvalidArgument naming the value and the accepted range when one does not parse or is
// out of range, when a name is given twice in different cases, or when both TIMEOUT_MS
// and timeout are given.
Result<ClientSettings> ParseClientSettings(const std::map<std::string, std::string>& values);

// The methods the provider sends (the 0.18 provider's list without CONNECT).
bool IsSupportedMethod(const std::string& method);

// The canonical reason phrase of a status code ("OK", "Not Found"), "" for a code
// without one. The contract's Response.status carries it, as 0.18's did.
std::string ReasonPhrase(long status_code);

// One client per provider instance. Thread-safe: Perform runs on many threads at once,
// each with an easy handle of its own, taken from a small pool of idle handles (which
// keep their connections alive between calls). Holds a reference on libcurl's global
// state from construction to destruction.
class HttpClient {
 public:
  static constexpr size_t kMaxIdleHandles = 8;
  static constexpr size_t kMaxResponseHeaderBytes = 256 * 1024;

  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs `request` under `settings`. A response of any status (404, 500, ...) is a
  // result, not an error. Errors, each starting with `<METHOD> <url without user info>: `
  // except for those about the method or the URL itself:
  //   kInvalidArgument    a method not supported, a body with HEAD or TRACE, a URL that
  //                       does not parse, a header name or value that cannot be sent
  //   kPermissionDenied   a scheme other than http or https (also as a redirect target)
  //   kUnavailable        the host does not resolve, the connection is refused or fails,
  //                       TLS fails, the server closes without a response
  //   kDeadlineExceeded   no complete response within settings.timeout
  //   kResourceExhausted  the body is larger than settings.max_response_bytes, or the
  //                       headers larger than kMaxResponseHeaderBytes
  //   kFailedPrecondition more redirects than settings.max_redirects; Stop was called
  Result<wire::HttpClientResponse> Perform(const wire::HttpClientRequest& request,
                                           const ClientSettings& settings);

  // Requests in flight end soon (within about a second) with an error, and later ones
  // fail at once. Idle connections are closed.
  void Stop();

 private:
  void* TakeHandle();
  void ReturnHandle(void* handle);

  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL*, reset, with their live connections
};

}  // namespace wasmcloud::httpclient
