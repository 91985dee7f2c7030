// The sending side of lattice RPC (lattice.md, "Delivery"): one signed Invocation per
// call, sent once over a Transport. A call runs at most once: only "no responders" (the
// request was certainly not delivered) is sent again, with backoff, until the deadline;
// a timeout or a disconnect in flight is reported, never resent.
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "core/status.h"
#include "lattice/invocation.h"
#include "lattice/transport.h"

namespace wasmcloud::lattice {

class RpcClient {
 public:
  explicit RpcClient(std::shared_ptr<Transport> transport) : transport_(std::move(transport)) {}

  // Sends `inv` to `subject` and returns the decoded response (whose `error` may be set:
  // that is the remote side's answer, not a transport failure). Errors:
  //  - kNotFound "no responders for <subject> (…)": nobody served it until `deadline`;
  //    the call never ran;
  //  - kDeadlineExceeded "RPC call timed out after N ms": it may have run;
  //  - kUnavailable: the transport is down (it may have run if the disconnect came while
  //    waiting);
  //  - kMalformed "RPC - failed to deserialize invocation response: …";
  //  - kResourceExhausted: the invocation is larger than the transport accepts.
  Result<InvocationResponse> Call(const Invocation& inv, std::string_view subject,
                                  std::chrono::steady_clock::time_point deadline);

 private:
  std::shared_ptr<Transport> transport_;
};

}  // namespace wasmcloud::lattice
