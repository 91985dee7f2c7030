// The 0.18 lattice call: Invocation and InvocationResponse with their msgpack codecs
// (byte-exact with rmp-serde, spec §7.2 and the worked 1,061-byte example of §12), and
// the anti-forgery token a sending host signs (§7.3, plus `exp` from lattice.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/claims.h"
#include "crypto/nkeys.h"
#include "lattice/entity.h"

namespace wasmcloud::lattice {

struct Invocation {
  Entity origin;
  Entity target;
  std::string operation;
  Bytes msg;
  std::string id;              // UUID v4, hyphenated lowercase
  std::string encoded_claims;  // the anti-forgery JWT, signed by host_id's key
  std::string host_id;         // the sending host's public key ("N…")
  bool operator==(const Invocation&) const = default;
};

struct InvocationResponse {
  Bytes msg;
  std::optional<std::string> error;  // nil when the call succeeded
  std::string invocation_id;
  bool operator==(const InvocationResponse&) const = default;
};

// Map of 7 in the order origin, target, operation, msg, id, encoded_claims, host_id;
// `msg` as an array of integers (§0.1: 0.18 peers cannot read bin there).
Bytes Encode(const Invocation& inv);
// Map of 3: msg (array of integers), error (str or nil), invocation_id.
Bytes Encode(const InvocationResponse& resp);

// Bounded decoders for untrusted bytes (a NATS message): a struct as a map by field name
// (any order, unknown keys skipped, duplicates refused) or an array by position; `msg` as
// an integer array or bin. kMalformed naming the field and offset on anything else;
// never throws, never allocates more than the input's size allows.
Result<Invocation> DecodeInvocation(ByteView data);
Result<InvocationResponse> DecodeInvocationResponse(ByteView data);

// What the sender may fix instead of generating (tests reproduce §12 with them).
struct SignOptions {
  std::string id;               // empty: a new UUID v4
  std::string jti;              // empty: a new 22-character token id
  std::optional<uint64_t> iat;  // none: now
  std::optional<uint64_t> exp;  // none: no exp (0.18 senders); our hosts set the deadline
};

// A signed invocation from this host: claims {exp?, jti, iat, iss = host key, sub = id,
// wascap {target_url = target.OperationUrl(operation), origin_url = origin.Url(),
// hash = crypto::InvocationHash(origin_url, target_url, msg)}}, signed with `host_key`
// (a server key, "S N…"; kInvalidArgument otherwise).
Result<Invocation> NewInvocation(const crypto::KeyPair& host_key, Entity origin, Entity target,
                                 std::string operation, Bytes msg, const SignOptions& options = {});

// A response to `inv`: msg on success, or the error text.
InvocationResponse SuccessResponse(const Invocation& inv, Bytes msg);
InvocationResponse ErrorResponse(std::string_view invocation_id, std::string error);

// The prefix of every refusal a receiving host sends (lattice.md, principle 2).
inline constexpr std::string_view kRefusedPrefix = "Invocation refused: ";

}  // namespace wasmcloud::lattice
