#include "wire/core.h"

namespace wasmcloud::wire {

Bytes Encode(const HealthRequest& v) {
  Writer w;
  w.MapHeader(1);
  w.Str("placeholder");
  w.Bool(v.placeholder);
  return w.Take();
}

Bytes Encode(const HealthResponse& v) {
  Writer w;
  w.MapHeader(2);
  w.Str("healthy");
  w.Bool(v.healthy);
  w.Str("message");
  w.Str(v.message);
  return w.Take();
}

Bytes Encode(const CapabilityConfiguration& v) {
  Writer w;
  w.MapHeader(2);
  w.Str("module");
  w.Str(v.module);
  w.Str("values");
  w.StrMap(v.values);
  return w.Take();
}

Result<HealthRequest> DecodeHealthRequest(ByteView data) {
  HealthRequest v;
  StructReader s("HealthRequest");
  s.Bool("placeholder", &v.placeholder);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<HealthResponse> DecodeHealthResponse(ByteView data) {
  HealthResponse v;
  StructReader s("HealthResponse");
  s.Bool("healthy", &v.healthy);
  s.Str("message", &v.message);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

Result<CapabilityConfiguration> DecodeCapabilityConfiguration(ByteView data) {
  CapabilityConfiguration v;
  StructReader s("CapabilityConfiguration");
  s.Str("module", &v.module);
  s.StrMap("values", &v.values, /*required=*/false);
  WC_RETURN_IF_ERROR(s.Decode(data));
  return v;
}

}  // namespace wasmcloud::wire
