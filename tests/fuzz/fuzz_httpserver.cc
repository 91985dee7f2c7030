// Fuzz target for the HTTP server's own handling of untrusted bytes
// (providers/httpserver/exchange.h):
// - the actor's reply to HandleRequest (the guest writes it): whatever the bytes, the
//   client gets a status from 100 to 999, and no header that could forge the framing of
//   the response (a name that is not a token, a value with CR, LF or NUL,
//   Content-Length, Transfer-Encoding or Connection);
// - the host's error text for a failed call: 503 or 500, never anything else;
// - a request target as Beast hands it over: split without crashing, and a target in
//   origin form ("/...") comes back whole as path + "?" + query.
// A violated property aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "core/text.h"
#include "fuzz_check.h"
#include "httpserver/exchange.h"

namespace {

using namespace wasmcloud;
using namespace wasmcloud::httpserver;

void CheckReply(const HttpReply& r) {
  FUZZ_CHECK(r.status >= 100 && r.status <= 999);
  for (const auto& [name, value] : r.headers) {
    FUZZ_CHECK(IsValidHeaderName(name));
    FUZZ_CHECK(IsValidHeaderValue(value));
    const std::string lower = AsciiLower(name);
    FUZZ_CHECK(lower != "content-length" && lower != "transfer-encoding" && lower != "connection");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  std::string log;
  CheckReply(ReplyFromActor(Result<Bytes>(Bytes(in.begin(), in.end())), &log));
  FUZZ_CHECK(log.find('\n') == std::string::npos);

  HttpReply failed = ReplyFromActor(Result<Bytes>(Internal(std::string(text))), &log);
  CheckReply(failed);
  FUZZ_CHECK(failed.status == 500 || failed.status == 503);
  // The reason is logged as one line and never sent to the client.
  FUZZ_CHECK(log.find('\n') == std::string::npos && log.find('\r') == std::string::npos);
  FUZZ_CHECK(failed.body.size() < 120);

  // The head checks: the input as a target, and as a header value after its first byte.
  // The first byte chooses the version and whether a Host comes first.
  std::vector<HeadField> fields;
  const unsigned first = text.empty() ? 0 : static_cast<unsigned char>(text[0]);
  if (first & 2) fields.push_back({"Host", "h"});
  if (!text.empty()) fields.push_back({"Transfer-Encoding", text.substr(1)});
  if (std::optional<std::string> refused = RefuseRequestHead(first & 1 ? 10 : 11, text, fields)) {
    FUZZ_CHECK(refused->starts_with("Bad Request: "));
    FUZZ_CHECK(refused->find('\n') == std::string::npos);
  }

  Target target = SplitTarget(text);
  if (!text.empty() && text.front() == '/') {
    const size_t q = text.find('?');
    FUZZ_CHECK(target.path == text.substr(0, q));
    FUZZ_CHECK(q == std::string_view::npos ? target.query.empty()
                                           : target.query == text.substr(q + 1));
  }
  return 0;
}
