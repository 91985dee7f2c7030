#include "lattice/rpc_client.h"

#include <algorithm>
#include <string>
#include <thread>

namespace wasmcloud::lattice {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// "No responders" means nobody subscribes yet (a host still starting, an actor moving):
// ask again soon, then less often.
constexpr milliseconds kFirstBackoff{5};
constexpr milliseconds kMaxBackoff{250};

// Whole milliseconds from now to `deadline`, rounded up so that a request never ends
// before the deadline; at least 1.
milliseconds Remaining(Clock::time_point now, Clock::time_point deadline) {
  auto left = std::chrono::ceil<milliseconds>(deadline - now);
  return std::max(left, milliseconds(1));
}

long long Millis(Clock::duration d) { return std::chrono::round<milliseconds>(d).count(); }

}  // namespace

Result<InvocationResponse> RpcClient::Call(const Invocation& inv, std::string_view subject,
                                           Clock::time_point deadline) {
  const Clock::time_point start = Clock::now();
  const Bytes body = Encode(inv);
  milliseconds backoff = kFirstBackoff;
  int attempts = 0;
  for (;;) {
    Clock::time_point now = Clock::now();
    if (now >= deadline) {
      if (attempts == 0) {
        return DeadlineExceeded("RPC call timed out after 0 ms: the deadline passed first");
      }
      return NotFound("no responders for " + std::string(subject) + " (" +
                      std::to_string(attempts) + " attempts in " +
                      std::to_string(Millis(now - start)) + " ms)");
    }
    ++attempts;
    Result<Message> reply = transport_->Request(subject, body, Remaining(now, deadline));
    if (!reply.ok()) {
      Status s = reply.status();
      if (s.code() == Code::kDeadlineExceeded) {
        const auto elapsed = std::to_string(Millis(Clock::now() - start));
        // Well before the deadline (libnats' timer may end a hair early): the connection
        // was lost while the reply was awaited.
        if (deadline - Clock::now() > milliseconds(5)) {
          return DeadlineExceeded("RPC call failed after " + elapsed + " ms: " + s.message());
        }
        return DeadlineExceeded("RPC call timed out after " + elapsed + " ms");
      }
      if (!IsNoResponders(s)) return s;
      // Certainly not delivered: wait, then send again, never past the deadline.
      std::this_thread::sleep_until(std::min(Clock::now() + backoff, deadline));
      backoff = std::min(backoff * 2, kMaxBackoff);
      continue;
    }
    Result<InvocationResponse> resp = DecodeInvocationResponse(reply->data);
    if (!resp.ok()) {
      return Malformed("RPC - failed to deserialize invocation response: " +
                       resp.status().message());
    }
    // A receiver that could not read the invocation's id answers its error without one.
    if (resp->invocation_id.empty() && resp->error) return resp;
    if (resp->invocation_id != inv.id) {
      return Malformed("RPC - invocation response is for invocation \"" + resp->invocation_id +
                       "\", not for the invocation sent (\"" + inv.id + "\")");
    }
    return resp;
  }
}

}  // namespace wasmcloud::lattice
