// Fuzz target for what a host reads from the lattice data bucket, which it does not trust
// (src/lattice/lattice_store.h): arbitrary keys and values are written into a bucket, a
// LatticeStore starts on it (its watch applies each entry to the mirror) and everything
// is read back. Properties:
//   - the store starts (never crashes or hangs on hostile values);
//   - every link in the mirror came from the key its own content produces
//     (LINKDEF_ + LinkId), and re-encodes to JSON that parses back to it;
//   - every claim in the mirror is filed under its own subject;
//   - every alias and OCI reference in the mirror round-trips through EncodeKeyPart.
//
// Input: records of [prefix selector: 1 byte][key length: 1][key][value length: 2, big
// endian][value], until the input ends. The selector picks LINKDEF_, CLAIMS_, REFMAP_,
// ALIAS_ or nothing in front of the key, so that most entries reach a parser.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/log.h"
#include "fuzz_check.h"
#include "lattice/lattice_store.h"
#include "lattice/link_definition.h"
#include "lattice/memory_kv_bucket.h"

namespace {

using namespace wasmcloud;
using namespace wasmcloud::lattice;

constexpr std::string_view kPrefixes[] = {"LINKDEF_", "CLAIMS_", "REFMAP_", "ALIAS_", ""};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  SetLogLevel(LogLevel::kOff);  // every ignored value logs a warning
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto bucket = std::make_shared<MemoryKvBucket>("LATTICEDATA_fuzz");
  size_t pos = 0;
  int records = 0;
  while (pos + 4 <= size && records < 64) {
    std::string key(kPrefixes[data[pos] % 5]);
    size_t key_len = data[pos + 1];
    pos += 2;
    if (pos + key_len + 2 > size) break;
    key.append(reinterpret_cast<const char*>(data + pos), key_len);
    pos += key_len;
    size_t value_len = (static_cast<size_t>(data[pos]) << 8) | data[pos + 1];
    pos += 2;
    if (pos + value_len > size) value_len = size - pos;
    // Invalid keys are refused by the bucket, as a real one would.
    (void)bucket->Put(key, ByteView(data + pos, value_len));
    pos += value_len;
    ++records;
  }

  LatticeStore store(bucket);
  FUZZ_CHECK(store.Start(std::chrono::seconds(10)).ok());
  for (const LinkDefinition& link : store.Links()) {
    FUZZ_CHECK(store.FindLink(link.actor_id, link.contract_id, link.link_name).has_value());
    auto back = LinkFromJson(LinkToJson(link));
    FUZZ_CHECK(back.ok() && *back == link);
    auto stored = bucket->Get("LINKDEF_" + LinkId(link.actor_id, link.contract_id, link.link_name));
    FUZZ_CHECK(stored.ok() && stored->has_value());
  }
  for (const auto& [pk, claims] : store.AllClaims()) FUZZ_CHECK(claims.sub == pk);
  for (const auto& [ref, pk] : store.OciRefs()) {
    FUZZ_CHECK(store.ResolveOciRef(ref) == pk);
    auto decoded = DecodeKeyPart(EncodeKeyPart(ref));
    FUZZ_CHECK(decoded.ok() && *decoded == ref);
  }
  store.Stop();
  return 0;
}
