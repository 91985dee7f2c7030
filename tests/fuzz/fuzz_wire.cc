// Fuzz target for the wire codecs (src/wire): any input must decode or give a
// kMalformed error, never crash; and what decodes must round-trip: re-encoding the
// decoded payload and decoding it again gives the same payload, and re-encoding that
// gives the same bytes (Encode is a fixed point). A violated property aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "core/bytes.h"
#include "core/status.h"
#include "fuzz_check.h"
#include "wire/core.h"
#include "wire/extras.h"
#include "wire/http.h"
#include "wire/httpclient.h"
#include "wire/keyvalue.h"
#include "wire/messaging.h"

namespace {

using namespace wasmcloud;
using namespace wasmcloud::wire;

template <typename D>
void Check(ByteView data, D decode) {
  auto v = decode(data);
  if (!v.ok()) {
    FUZZ_CHECK(v.status().code() == Code::kMalformed);
    return;
  }
  Bytes once = Encode(*v);
  auto again = decode(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *v);
  FUZZ_CHECK(Encode(*again) == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  Check(in, DecodeHealthRequest);
  Check(in, DecodeHealthResponse);
  Check(in, DecodeCapabilityConfiguration);
  Check(in, DecodeGeneratorRequest);
  Check(in, DecodeGeneratorResult);
  Check(in, DecodeHttpRequest);
  Check(in, DecodeHttpResponse);
  Check(in, DecodeHttpClientRequest);
  Check(in, DecodeKeyArgs);
  Check(in, DecodeKeyValueArgs);
  Check(in, DecodeKeysArgs);
  Check(in, DecodeAddArgs);
  Check(in, DecodeSetArgs);
  Check(in, DecodeRangeArgs);
  Check(in, DecodeGetResponse);
  Check(in, DecodeAddResponse);
  Check(in, DecodeSetResponse);
  Check(in, DecodeDelResponse);
  Check(in, DecodeListRangeResponse);
  Check(in, DecodeListResponse);
  Check(in, DecodeSetOperationResponse);
  Check(in, DecodeSetQueryResponse);
  Check(in, DecodePublishArgs);
  Check(in, DecodePublishResponse);
  Check(in, DecodeRequestArgs);
  Check(in, DecodeBrokerMessage);
  Check(in, DecodeWriteLog);
  return 0;
}
