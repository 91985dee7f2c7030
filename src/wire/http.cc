#include "wire/http.h"

namespace wasmcloud::wire {
namespace {

// An upper bound of what the map's entries take as msgpack strings (a header of 5 bytes at
// most each).
size_t StrMapBytes(const StringMap& m) {
  size_t n = 5;
  for (const auto& [k, v] : m) n += k.size() + v.size() + 10;
  return n;
}

}  // namespace

Bytes Encode(const HttpRequest& v) {
  Writer w;
  // The field names and headers (64 bytes), then the values: one allocation.
  w.Reserve(64 + v.method.size() + v.path.size() + v.query_string.size() + StrMapBytes(v.header) +
            v.body.size());
  w.MapHeader(5);
  w.Str("method");
  w.Str(v.method);
  w.Str("path");
  w.Str(v.path);
  w.Str("queryString");
  w.Str(v.query_string);
  w.Str("header");
  w.StrMap(v.header);
  w.Str("body");
  w.Bin(v.body);
  return w.Take();
}

Bytes Encode(const HttpResponse& v) {
  Writer w;
  w.Reserve(64 + v.status.size() + StrMapBytes(v.header) + v.body.size());
  w.MapHeader(4);
  w.Str("statusCode");
  w.Uint(v.status_code);
  w.Str("status");
  w.Str(v.status);
  w.Str("header");
  w.StrMap(v.header);
  w.Str("body");
  w.Bin(v.body);
  return w.Take();
}

Result<HttpRequest> DecodeHttpRequest(ByteView data) {
  HttpRequest v;
  StructReader s("HttpRequest");
  s.Str("method", &v.method);
  s.Str("path", &v.path);
  s.Str("queryString", &v.query_string);
  s.StrMap("header", &v.header);
  s.Bin("body", &v.body);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<HttpResponse> DecodeHttpResponse(ByteView data) {
  HttpResponse v;
  StructReader s("HttpResponse");
  s.U32("statusCode", &v.status_code);
  s.Str("status", &v.status);
  s.StrMap("header", &v.header);
  s.Bin("body", &v.body);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

}  // namespace wasmcloud::wire
