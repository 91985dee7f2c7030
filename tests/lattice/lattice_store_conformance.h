// The LatticeStore conformance suite (LatticeStoreConformance): the lattice data of
// several hosts over one bucket, run over every KvBucket implementation. An
// implementation's test binary compiles lattice_store_conformance.cc (and
// kv_conformance.cc) and adds
//
//   INSTANTIATE_TEST_SUITE_P(Memory, LatticeStoreConformance,
//                            ::testing::Values(KvImplementation{"Memory", create}),
//                            KvImplementationName);
//
// Each case makes one fresh bucket; every host (StoreHost) is a LatticeStore on its own
// handle of it, with a recording listener, as separate hosts of one lattice would be.
// Values that no store would write go in through a raw handle (RawHandle()).
// Implementation-specific hooks (pausing watches, outages) belong in the implementation's
// own tests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "crypto/claims.h"
#include "crypto/nkeys.h"
#include "lattice/kv_conformance.h"
#include "lattice/lattice_store.h"

namespace wasmcloud::lattice {

// Records every listener call, in order, and waits for them with deadlines.
class StoreRecorder : public LatticeStoreListener {
 public:
  struct Call {
    enum class Kind { kLinkPut, kLinkDeleted, kClaims, kAlias, kOciRef };
    Kind kind = Kind::kLinkPut;
    LinkDefinition link;                     // kLinkPut, kLinkDeleted
    std::optional<LinkDefinition> previous;  // kLinkPut
    ClaimsRecord claims;                     // kClaims
    std::string name;                        // kAlias: the alias; kOciRef: the reference
    std::string public_key;                  // kAlias, kOciRef
  };

  void OnLinkPut(const LinkDefinition& link,
                 const std::optional<LinkDefinition>& previous) override;
  void OnLinkDeleted(const LinkDefinition& link) override;
  void OnClaims(const ClaimsRecord& record) override;
  void OnAlias(const std::string& alias, const std::string& public_key) override;
  void OnOciRef(const std::string& oci_ref, const std::string& public_key) override;

  std::vector<Call> Calls() const;
  size_t size() const;
  // True once `done` holds for the calls so far; false when `timeout` passes first.
  bool WaitUntil(const std::function<bool(const std::vector<Call>&)>& done,
                 std::chrono::milliseconds timeout = kKvWait);
  // True once some call matches `match`.
  bool WaitForCall(const std::function<bool(const Call&)>& match,
                   std::chrono::milliseconds timeout = kKvWait);

 private:
  void Add(Call call);

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Call> calls_;
};

// Records OnDegraded calls (a lost bucket), in order, and waits for them.
class DegradedRecorder : public LatticeStoreListener {
 public:
  void OnDegraded(bool degraded, const std::string& why) override;
  std::vector<std::pair<bool, std::string>> Calls() const;
  // True once `count` calls came; false when `timeout` passes first.
  bool WaitFor(size_t count, std::chrono::milliseconds timeout = kKvWait);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<bool, std::string>> calls_;
};

// One host's lattice data: a store on its own handle of the case's bucket, and its
// recorder (declared before the store, so that it outlives the store's Stop()).
struct StoreHost {
  std::shared_ptr<KvBucket> handle;
  std::unique_ptr<StoreRecorder> recorder;
  std::unique_ptr<LatticeStore> store;
};

// Claims and the token that carries them.
struct SignedClaims {
  crypto::ActorClaims claims;
  std::string token;
};

// An actor identity for tests: a fresh account (the issuer) and module key.
struct TestActor {
  crypto::KeyPair account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  crypto::KeyPair module = crypto::KeyPair::Generate(crypto::KeyType::kModule);

  const std::string& public_key() const { return module.public_key_text(); }
  // Claims for this actor (iat = now) and their token, signed by its account.
  SignedClaims Sign(const crypto::ActorClaimsSpec& spec) const;
};

LinkDefinition MakeLink(std::string actor_id, std::string contract_id, std::string link_name,
                        std::string provider_id, LinkValues values = {});

class LatticeStoreConformance : public ::testing::TestWithParam<KvImplementation> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A host on a new handle of this case's bucket, its recorder added; not started.
  // nullptr (and a failure) when the handle cannot be opened.
  std::unique_ptr<StoreHost> NewHost(LatticeStoreOptions options = {});
  // NewHost, then Start; a failure when Start fails.
  std::unique_ptr<StoreHost> StartHost(LatticeStoreOptions options = {});
  // A handle that writes straight into the bucket (values no store would write).
  std::shared_ptr<KvBucket> RawHandle();

 private:
  std::unique_ptr<KvTestBucket> test_bucket_;
};

}  // namespace wasmcloud::lattice
