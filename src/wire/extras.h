// wasmcloud:extras payloads (spec §4.2, actor-extras 0.1.1). Every op (RequestGuid,
// RequestRandom, RequestSequence) takes a GeneratorRequest and answers a
// GeneratorResult; note the mixed key casing of the result (sequenceNumber,
// random_number).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "core/status.h"
#include "wire/msgpack.h"

namespace wasmcloud::wire {

// {guid: bool, sequence: bool, random: bool, min: u32, max: u32}
struct GeneratorRequest {
  bool guid = false;
  bool sequence = false;
  bool random = false;
  uint32_t min = 0;
  uint32_t max = 0;
  bool operator==(const GeneratorRequest&) const = default;
};

// {guid: string|nil, sequenceNumber: u64, random_number: u32}
struct GeneratorResult {
  std::optional<std::string> guid;
  uint64_t sequence_number = 0;
  uint32_t random_number = 0;
  bool operator==(const GeneratorResult&) const = default;
};

Bytes Encode(const GeneratorRequest& v);
Bytes Encode(const GeneratorResult& v);

Result<GeneratorRequest> DecodeGeneratorRequest(ByteView data);
Result<GeneratorResult> DecodeGeneratorResult(ByteView data);

}  // namespace wasmcloud::wire
