// Fuzz target for the lattice codecs and the inbound invocation verifier (src/lattice):
//   - DecodeInvocation, DecodeInvocationResponse, DecodeLinkDefinition and LinkFromJson
//     either decode or give kMalformed, never crash; what decodes round-trips: encoding
//     it and decoding again gives the same value, and encoding that gives the same bytes;
//   - InvocationVerifier::Verify refuses with one of its documented codes unless the
//     bytes are a valid signed invocation for the entity served, which the crypto layer
//     confirms on its own; an accepted invocation is refused the second time (replay).
// The clock is fixed at the §12 example's iat, so that seed is accepted. A violated
// property aborts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "core/utf8.h"
#include "crypto/claims.h"
#include "crypto/verify.h"
#include "fuzz_check.h"
#include "lattice/invocation.h"
#include "lattice/invocation_verifier.h"
#include "lattice/link_definition.h"

namespace {

using namespace wasmcloud;
using namespace wasmcloud::lattice;

constexpr int64_t kNow = 1620000000;  // the iat of the §12 invocation

template <typename T>
void CheckRoundTrip(ByteView data, Result<T> (*decode)(ByteView)) {
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

bool AllUtf8(const LinkDefinition& l) {
  if (!IsValidUtf8(l.actor_id) || !IsValidUtf8(l.provider_id) || !IsValidUtf8(l.contract_id) ||
      !IsValidUtf8(l.link_name)) {
    return false;
  }
  for (const auto& [k, v] : l.values) {
    if (!IsValidUtf8(k) || !IsValidUtf8(v)) return false;
  }
  return true;
}

// JSON text that parses round-trips through LinkToJson (a fixed point after one step).
void CheckLinkJson(std::string_view text) {
  auto link = LinkFromJson(text);
  if (!link.ok()) {
    FUZZ_CHECK(link.status().code() == Code::kMalformed);
    return;
  }
  std::string json = LinkToJson(*link);
  auto again = LinkFromJson(json);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *link);
  FUZZ_CHECK(LinkToJson(*again) == json);
}

void CheckLinkMsgpack(ByteView data) {
  auto link = DecodeLinkDefinition(data);
  if (!link.ok()) {
    FUZZ_CHECK(link.status().code() == Code::kMalformed);
    return;
  }
  Bytes once = EncodeLinkDefinition(*link);
  auto again = DecodeLinkDefinition(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *link);
  FUZZ_CHECK(EncodeLinkDefinition(*again) == once);
  // JSON can carry only valid UTF-8; msgpack strings are not checked.
  if (AllUtf8(*link)) {
    auto from_json = LinkFromJson(LinkToJson(*link));
    FUZZ_CHECK(from_json.ok());
    FUZZ_CHECK(*from_json == *link);
  }
}

bool Documented(Code c) {
  return c == Code::kMalformed || c == Code::kPermissionDenied || c == Code::kUnauthenticated ||
         c == Code::kResourceExhausted;
}

void CheckVerifier(ByteView data) {
  auto decoded = DecodeInvocation(data);
  Entity served = decoded.ok() ? decoded->target : Entity::Actor("MSERVED");
  VerifierConfig config;
  config.now = [] { return kNow; };
  config.replay_capacity = 4;
  InvocationVerifier verifier(config);
  auto r = verifier.Verify(data, served);
  if (!r.ok()) {
    if (!Documented(r.status().code())) {
      std::fprintf(stderr, "undocumented refusal: %s\n", r.status().message().c_str());
    }
    FUZZ_CHECK(Documented(r.status().code()));
    FUZZ_CHECK(!r.status().message().empty());
    return;
  }
  // Accepted: it is what decodes, and the crypto layer agrees it is signed by its host
  // for exactly this call.
  FUZZ_CHECK(decoded.ok());
  FUZZ_CHECK(*r == *decoded);
  FUZZ_CHECK(r->target == served);
  crypto::VerifyOptions options = crypto::VerifyOptions::ForInvocation();
  options.now = [] { return kNow; };
  auto claims = crypto::VerifyInvocationToken(r->encoded_claims, options);
  FUZZ_CHECK(claims.ok());
  FUZZ_CHECK(claims->iss == r->host_id);
  FUZZ_CHECK(claims->sub == r->id);
  std::string origin_url = r->origin.Url();
  std::string target_url = r->target.OperationUrl(r->operation);
  FUZZ_CHECK(claims->wascap->origin_url == origin_url);
  FUZZ_CHECK(claims->wascap->target_url == target_url);
  FUZZ_CHECK(claims->wascap->hash == crypto::InvocationHash(origin_url, target_url, r->msg));
  // The same bytes again are a replay.
  auto replay = verifier.Verify(data, served);
  FUZZ_CHECK(!replay.ok());
  FUZZ_CHECK(replay.status().code() == Code::kPermissionDenied);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  CheckRoundTrip(in, DecodeInvocation);
  CheckRoundTrip(in, DecodeInvocationResponse);
  CheckLinkMsgpack(in);
  CheckLinkJson(std::string_view(reinterpret_cast<const char*>(data), size));
  CheckVerifier(in);
  return 0;
}
