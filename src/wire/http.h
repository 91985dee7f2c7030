// wasmcloud:httpserver payloads (spec §4.4, http-server 0.1.2): op "HandleRequest"
// takes a Request and answers a Response. Bodies are msgpack bin (serde_bytes).
#pragma once

#include <cstdint>
#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "wire/msgpack.h"

namespace wasmcloud::wire {

// {method, path, queryString, header, body: bin}
struct HttpRequest {
  std::string method;
  std::string path;
  std::string query_string;  // without the '?'
  StringMap header;          // lowercase names; encoded in sorted order
  Bytes body;
  bool operator==(const HttpRequest&) const = default;
};

// {statusCode: u32, status, header, body: bin}
struct HttpResponse {
  uint32_t status_code = 200;
  std::string status;
  StringMap header;
  Bytes body;
  bool operator==(const HttpResponse&) const = default;
};

Bytes Encode(const HttpRequest& v);
Bytes Encode(const HttpResponse& v);

Result<HttpRequest> DecodeHttpRequest(ByteView data);
Result<HttpResponse> DecodeHttpResponse(ByteView data);

}  // namespace wasmcloud::wire
