#include "wire/httpclient.h"

namespace wasmcloud::wire {

Bytes Encode(const HttpClientRequest& v) {
  Writer w;
  w.MapHeader(4);
  w.Str("method");
  w.Str(v.method);
  w.Str("url");
  w.Str(v.url);
  w.Str("headers");
  w.StrMap(v.headers);
  w.Str("body");
  w.Bin(v.body);
  return w.Take();
}

Result<HttpClientRequest> DecodeHttpClientRequest(ByteView data) {
  HttpClientRequest v;
  StructReader s("RequestArgs");
  s.Str("method", &v.method);
  s.Str("url", &v.url);
  s.StrMap("headers", &v.headers);
  s.Bin("body", &v.body);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

}  // namespace wasmcloud::wire
