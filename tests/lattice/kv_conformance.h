// The KvBucket conformance suite (KvConformance): one set of cases every implementation
// passes. An implementation's test binary compiles kv_conformance.cc and adds
//
//   INSTANTIATE_TEST_SUITE_P(Memory, KvConformance,
//                            ::testing::Values(KvImplementation{"Memory", create}),
//                            KvImplementationName);
//
// The LatticeStore suite (lattice_store_conformance.h) runs over the same implementations.
//
// The fixture models one bucket reached by independent clients: each case asks the
// implementation for a fresh, empty bucket (a KvTestBucket) and opens handles on it, one
// per host (JetStream: each handle on its own connection to one nats-server; in memory:
// the same object), so that writer and watcher are separate clients.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/status.h"
#include "lattice/kv_bucket.h"

namespace wasmcloud::lattice {

// One fresh, empty bucket for one test case (and whatever serves it: a nats-server).
// Handles are released before it.
class KvTestBucket {
 public:
  virtual ~KvTestBucket() = default;
  // A new handle on this bucket, as another host would open it (its own connection).
  // What is written through one handle is read and watched through every other.
  virtual Result<std::shared_ptr<KvBucket>> Open() = 0;
};

// What the case needs of its bucket.
struct KvBucketSpec {
  size_t max_value_size = 1024 * 1024;
};

struct KvImplementation {
  std::string name;  // the parameter's name in test names ("Memory", "JetStream")
  // Makes a fresh bucket for one case; an error fails the case with its message.
  std::function<Result<std::unique_ptr<KvTestBucket>>(const KvBucketSpec& spec)> create;
};

inline void PrintTo(const KvImplementation& impl, std::ostream* os) { *os << impl.name; }

inline std::string KvImplementationName(const ::testing::TestParamInfo<KvImplementation>& info) {
  return info.param.name;
}

// Records the events of a watch and waits for them, with deadlines.
class KvEventRecorder {
 public:
  KvWatchHandler Handler();
  std::vector<KvEvent> Events() const;
  // The events after kInitialValuesDone (empty when the marker did not come yet).
  std::vector<KvEvent> Changes() const;
  // The events before kInitialValuesDone.
  std::vector<KvEvent> InitialValues() const;
  bool WaitForMarker(std::chrono::milliseconds timeout);
  // Waits until `count` events came after the marker.
  bool WaitForChanges(size_t count, std::chrono::milliseconds timeout);
  bool WaitUntil(const std::function<bool(const std::vector<KvEvent>&)>& done,
                 std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<KvEvent> events_;
};

// How long a test waits for something that should happen (generous: CI under TSan).
inline constexpr std::chrono::milliseconds kKvWait{10000};

// Makes a bucket with `implementation` and opens its first handle; nullptr (and a test
// failure) on error. Used by both suites.
std::unique_ptr<KvTestBucket> CreateTestBucket(const KvImplementation& implementation,
                                               const KvBucketSpec& spec);
// A new handle on `bucket`; nullptr (and a test failure) on error.
std::shared_ptr<KvBucket> OpenHandle(KvTestBucket& bucket);

class KvConformance : public ::testing::TestWithParam<KvImplementation> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Replaces this case's bucket with a fresh one made with `spec`; its first handle.
  std::shared_ptr<KvBucket> NewBucket(const KvBucketSpec& spec);
  // The first handle on this case's bucket.
  std::shared_ptr<KvBucket> bucket() { return bucket_; }
  // Another handle on it (another connection); nullptr (and a failure) on error.
  std::shared_ptr<KvBucket> OpenAnother();

 private:
  std::unique_ptr<KvTestBucket> test_bucket_;
  std::shared_ptr<KvBucket> bucket_;
};

}  // namespace wasmcloud::lattice
