// The translation between HTTP and the actor's HandleRequest (spec §4.4), without any
// networking: what the actor is given for a request, and what the client is answered for
// the actor's reply or error. The statuses and texts are in docs/httpserver.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"

namespace wasmcloud::httpserver {

// A request target split as 0.18 gave it to actors: the path without the query, the query
// without its '?'. "/a/b?x=1" -> {"/a/b", "x=1"}; the absolute form
// "http://host:80/a?x" -> {"/a", "x"} ("/" when it has no path); "*" -> {"*", ""}.
struct Target {
  std::string path;
  std::string query;
};
Target SplitTarget(std::string_view target);

// What the server answers.
struct HttpReply {
  unsigned status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  Bytes body;
};

// A text/plain reply of the server itself (errors).
HttpReply TextReply(unsigned status, std::string_view text);

// Whether the host's error for a call to the actor says that the actor (or the host) is
// not there to answer, rather than that the actor failed: the host's own messages
// "actor M… is not running on this host (call from …)", "the host is not running",
// "the host is stopping", "call_actor: the host has stopped this provider", …
// An actor's own error never starts like these (0.18 actors answer "Guest call failed: …").
bool IsActorUnavailable(std::string_view host_message);

// Whether the host refused the call for lack of capacity ("host overloaded: no worker was
// free within …", "host overloaded: actor M… already runs …"): the client should retry.
bool IsHostOverloaded(std::string_view host_message);
// 503 with `Retry-After: 1` and `text`: the server or the host is saturated.
HttpReply OverloadedReply(std::string_view text);

// A new request id: 16 hex digits, unique within this process (a random start, then
// counting), for error replies and the log line that explains them.
std::string NewRequestId();

// A failure the client is told about briefly, its reason going to the log: `status`,
// the body "<text> (request <id>)", header `x-request-id: <id>`; *log (when given) is set
// to "request <id>: <status> <text>: <reason>".
HttpReply FailureReply(unsigned status, std::string_view text, std::string_view reason,
                       std::string* log);

// The reply for the outcome of HandleRequest. The client learns the status and what it
// can act on, never the internal reason (back-end addresses, trap texts, host errors),
// which goes to *log with the request id (FailureReply); *log stays empty when the actor
// answered.
//   the actor's Response          -> its statusCode, header and body; a statusCode outside
//                                    100..999 -> 500 "Malformed response from actor"
//   a reply that does not decode  -> 500 "Malformed response from actor"
//   IsActorUnavailable(error)     -> 503 "Actor unavailable"
//   IsHostOverloaded(error)       -> 503 "Service Unavailable: the host is overloaded; retry
//                                    later", Retry-After: 1
//   kDeadlineExceeded             -> 504 "Gateway Timeout: the actor did not answer in time"
//   any other error               -> 500 "Failed to handle request" (0.18's text)
// The actor's Content-Length, Transfer-Encoding and Connection headers are dropped (the
// server sets them), and so is any header whose name is not an HTTP token or whose value
// holds CR, LF or NUL (they would let the actor forge the framing of the response).
HttpReply ReplyFromActor(const Result<Bytes>& outcome, std::string* log);

// A header field of a request as parsed.
struct HeadField {
  std::string_view name;
  std::string_view value;
};

// Why a request head must be refused with 400 and its connection closed, before its body
// is read and before any actor runs (RFC 9112; the checks a smuggled request would
// otherwise slip past): nullopt when it is acceptable. Refused, with the reason given:
//   - a Transfer-Encoding other than exactly "chunked" (any other coding, a list, or a
//     coding after chunked: the body's length cannot be known the way every hop knows it)
//   - both Content-Length and Transfer-Encoding
//   - a header value holding CR, LF (an obs-fold line), NUL or another control character
//     but HTAB
//   - a header value that is not valid UTF-8 (an actor gets its headers as msgpack
//     strings, which must be; a Latin-1 value made every 0.18 actor fail with a 500)
//   - a target that is not valid UTF-8, holds a control character or space, or has a '%'
//     not followed by two hex digits
//   - Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1: its framing is faulty)
//   - an HTTP/1.1 request without Host, or any request with more than one (§3.2)
// `version` is Beast's: 10 or 11.
std::optional<std::string> RefuseRequestHead(unsigned version, std::string_view target,
                                             const std::vector<HeadField>& fields);

// Whether `name` may be sent as a header name / `value` as a header value.
bool IsValidHeaderName(std::string_view name);
bool IsValidHeaderValue(std::string_view value);

}  // namespace wasmcloud::httpserver
