// wasmcloud:httpclient payloads, as the 0.18-era actor interface defines them
// (wasmCloud/actor-interfaces http-client, tags http-client-v0.1.0 .. v0.2.1, the same
// shapes in each: httpclient.widl and rust/src/generated.rs). The actor calls operation
// "Request" with RequestArgs and gets a Response, which has the shape and field names of
// the httpserver Response (wire/http.h). Bodies are msgpack bin (serde_bytes). See
// docs/httpclient.md.
#pragma once

#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "wire/http.h"
#include "wire/msgpack.h"

namespace wasmcloud::wire {

// The operation an actor's http-client binding sends (generated.rs `host_call(...,
// "wasmcloud:httpclient", "Request", ...)`; lib.rs of v0.1.x names a constant
// "PerformRequest" that nothing sends).
inline constexpr std::string_view kHttpClientRequestOperation = "Request";

// RequestArgs: {method, url, headers: {str: str}, body: bin}.
struct HttpClientRequest {
  std::string method;
  std::string url;
  StringMap headers;  // encoded in sorted order (Rust's HashMap order is random)
  Bytes body;
  bool operator==(const HttpClientRequest&) const = default;
};

// Response: {statusCode: u32, status, header: {str: str}, body: bin}; the same struct as
// the httpserver Response.
using HttpClientResponse = HttpResponse;

Bytes Encode(const HttpClientRequest& v);
// Accepts what rmp-serde accepts: a map by field name in any order (unknown keys
// skipped) or an array by position; body as bin or an array of byte integers.
Result<HttpClientRequest> DecodeHttpClientRequest(ByteView data);

}  // namespace wasmcloud::wire
