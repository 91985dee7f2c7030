// A small HTTP client on libcurl for the registry client: one request at a time, bodies
// in memory and bounded, headers kept, errors as Status. Internal to src/oci.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::oci {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PUT
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // sent as "Name: value"
  ByteView body;                                             // for POST and PUT
  uint64_t max_response_size = 4u << 20;                     // a longer body is kResourceExhausted
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  Bytes body;
  std::string effective_url;  // after redirects

  // The first header of that (lowercase) name, or empty.
  std::string Header(std::string_view lowercase_name) const;
};

struct HttpOptions {
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{300000};
  std::string ca_file;  // PEM bundle used in addition to the system's CA directory
  // A request during which nothing arrives for this long fails (a registry that accepts
  // connections and never answers), however long request_timeout is. Whole seconds
  // (curl's granularity), at least 1.
  std::chrono::milliseconds stall_timeout{30000};
  // When set and true, a request in progress ends within about a second (and a new one
  // does not start) with kCancelled-like kUnavailable "…: cancelled". A host sets it when
  // it stops.
  std::shared_ptr<const std::atomic<bool>> cancel;
};

class HttpSession {
 public:
  explicit HttpSession(HttpOptions options);
  ~HttpSession();
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Performs the request, following redirects (at most 5, to http or https; an
  // Authorization header is not sent to another host). Any HTTP status is a response.
  // Errors: kDeadlineExceeded when a timeout passed, kResourceExhausted when the body is
  // longer than `max_response_size`, kUnavailable for every other transport failure
  // (refused, no route, DNS, TLS); the message names the URL and curl's reason.
  Result<HttpResponse> Perform(const HttpRequest& request);

  // How many requests were performed (sent, whatever their outcome).
  uint64_t requests() const { return requests_; }

 private:
  HttpOptions options_;
  void* curl_ = nullptr;  // CURL*, reused so that connections are kept
  uint64_t requests_ = 0;
};

// "%XX"-escapes what is not unreserved (RFC 3986), for query values.
std::string UrlEscape(std::string_view text);

}  // namespace wasmcloud::oci
