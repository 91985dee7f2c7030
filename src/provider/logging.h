// The built-in `wasmcloud:logging` provider: actors write lines into the host's log.
// (0.18 had no built-in logging provider; this one does what the wasmcloud-logging 0.9.3
// provider did, spec §4.1, but into the host's own log.)
#pragma once

#include <memory>
#include <string_view>

#include "provider/provider.h"

namespace wasmcloud::provider {

inline constexpr std::string_view kLoggingContractId = "wasmcloud:logging";

// Operations:
//   WriteLog       payload {target, level, text}; level error|warn|info|debug|trace in any
//                  case (anything else: kInvalidArgument). Writes one line through
//                  ProviderHost::Log at that level:
//                      [<actor public key>] <target>: <text>
//                  ("[<actor>] <text>" when the target is empty). Control characters and
//                  invalid UTF-8 in target and text are escaped (\n, \t, \xNN) so that an
//                  actor cannot forge further lines; text over 16 KiB is cut and marked.
//                  Reply: empty bytes, as wasmcloud-logging 0.9.3 (`Ok(vec![])`); the
//                  guest side (wasmcloud-actor-logging 0.1) ignores the reply.
//   HealthRequest  HealthResponse {healthy: true, message: ""}; the payload is ignored.
// A payload that does not decode is kMalformed; any other operation is kNotFound
// ("bad dispatch: ..."). WriteLog before Start or after Stop is kFailedPrecondition.
std::shared_ptr<Provider> NewLoggingProvider();

}  // namespace wasmcloud::provider
