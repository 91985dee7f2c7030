#include "httpclient/dispatch.h"

#include <string>

#include "wire/httpclient.h"

namespace wasmcloud::httpclient {

Result<Bytes> HandleHttpClientCall(HttpClient& client, const ClientSettings& settings,
                                   std::string_view operation, ByteView payload) {
  if (operation != wire::kHttpClientRequestOperation) {
    return Unimplemented("wasmcloud:httpclient has no operation \"" + std::string(operation) +
                         "\" (it has \"Request\")");
  }
  auto request = wire::DecodeHttpClientRequest(payload);
  if (!request.ok()) return Malformed("Request: malformed payload: " + request.status().message());
  auto response = client.Perform(*request, settings);
  if (!response.ok()) return response.status().WithContext("Request");
  return wire::Encode(*response);
}

}  // namespace wasmcloud::httpclient
