// Payloads every actor and provider sees (spec §4.3, actor-core): HealthRequest,
// HealthResponse and the CapabilityConfiguration of BindActor / RemoveActor.
#pragma once

#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "wire/msgpack.h"

namespace wasmcloud::wire {

// Op "HealthRequest": {placeholder: bool}.
struct HealthRequest {
  bool placeholder = true;
  bool operator==(const HealthRequest&) const = default;
};

// Reply to "HealthRequest": {healthy: bool, message: string}.
struct HealthResponse {
  bool healthy = true;
  std::string message;
  bool operator==(const HealthResponse&) const = default;
};

// Ops "BindActor" and "RemoveActor": {module: actor public key, values: link values}.
// `values` may be missing on decode (serde(default)). Encoded in sorted key order.
struct CapabilityConfiguration {
  std::string module;
  StringMap values;
  bool operator==(const CapabilityConfiguration&) const = default;
};

Bytes Encode(const HealthRequest& v);
Bytes Encode(const HealthResponse& v);
Bytes Encode(const CapabilityConfiguration& v);

Result<HealthRequest> DecodeHealthRequest(ByteView data);
Result<HealthResponse> DecodeHealthResponse(ByteView data);
Result<CapabilityConfiguration> DecodeCapabilityConfiguration(ByteView data);

}  // namespace wasmcloud::wire
