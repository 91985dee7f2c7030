// The wasmcloud:httpclient contract on the wire: decodes an actor's "Request" (wire/
// httpclient.h), performs it with an HttpClient under the actor's settings and encodes
// the Response. Independent of any provider ABI.
#pragma once

#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "httpclient/client.h"

namespace wasmcloud::httpclient {

// Runs `operation` with its msgpack `payload`; the msgpack Response, or an error whose
// message the calling actor receives:
//   kMalformed      the payload is not a RequestArgs ("Request: malformed payload: ...")
//   kUnimplemented  an operation other than "Request" (named in the message)
//   others          HttpClient::Perform's errors, prefixed with "Request: "
// A response with any status code (404, 500, ...) is a reply, not an error.
Result<Bytes> HandleHttpClientCall(HttpClient& client, const ClientSettings& settings,
                                   std::string_view operation, ByteView payload);

}  // namespace wasmcloud::httpclient
