// Fuzz target for OCI references (src/oci/reference.h): any text parses or is refused
// with kInvalidArgument and a message naming the reference, never a crash; and what
// parses is well formed and round-trips:
//   - the registry, repository and tag or digest are non-empty, the repository is
//     lowercase, the digest (when any) is sha256 with 64 lowercase hex digits;
//   - the canonical text (ToString) parses back to the same fields, and is a fixed point.
// A violated property aborts with a message.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "oci/reference.h"

namespace {

using namespace wasmcloud;

bool SameFields(const oci::Reference& a, const oci::Reference& b) {
  return a.registry == b.registry && a.repository == b.repository && a.tag == b.tag &&
         a.digest == b.digest;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ref = oci::ParseReference(text);
  if (!ref.ok()) {
    FUZZ_CHECK(ref.status().code() == Code::kInvalidArgument);
    FUZZ_CHECK(ref.status().message().starts_with("invalid OCI reference \""));
    return 0;
  }
  FUZZ_CHECK(!ref->registry.empty());
  FUZZ_CHECK(!ref->repository.empty());
  FUZZ_CHECK(!ref->tag.empty() || !ref->digest.empty());
  FUZZ_CHECK(ref->digest.empty() || oci::IsSha256Digest(ref->digest));
  FUZZ_CHECK(ref->implicit_tag == (ref->tag == "latest" && text.find(":latest") == text.npos));
  for (char c : ref->repository) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
  FUZZ_CHECK(ref->repository.size() <= 255);
  const std::string canonical = ref->ToString();
  auto again = oci::ParseReference(canonical);
  if (!again.ok()) std::fprintf(stderr, "%s\n", again.status().message().c_str());
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(SameFields(*ref, *again));
  FUZZ_CHECK(again->ToString() == canonical);
  FUZZ_CHECK(!again->implicit_tag);
  FUZZ_CHECK(!ref->ApiHost().empty());
  return 0;
}
