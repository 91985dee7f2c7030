// lattice::KvBucket over NATS JetStream key-value (libnats 3.4.1): a bucket bound, or
// created when missing, on a JetStream-enabled server; revisions are the stream's
// sequence numbers; writes return after the JetStream acknowledgement.
//
// A lost bucket (its stream KV_{name} deleted) comes back. A handle knows the stream it
// uses by its creation time. A write or read that finds no stream, and every watch every
// `check_interval`, check it: when the stream is gone the handle creates the bucket again
// with the settings it was opened with (bind-or-create, as Open: another host may create
// it first); when another client did, it takes that one. Either way every watch of the
// handle starts over on the new stream: kRestarted, its initial values (what others put
// back meanwhile), kInitialValuesDone, then changes (libnats' own watcher would resume
// at the old sequence and skip what the new stream holds below it). The write or read
// that found the bucket gone fails (kUnavailable, "the bucket was lost …"); it is not
// retried, and the next one goes to the recreated bucket. Putting the data back is the
// reader's part (lattice::LatticeStore re-fills it from its mirror).
//
// Threads: each watch reads its watcher on a thread of its own and calls the handler
// there, one event at a time, in revision order; the initial values are the puts of the
// keys that exist (delete markers among them are skipped), then kInitialValuesDone. The
// same thread checks the stream and starts the watch over.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "lattice/kv_bucket.h"
#include "nats/nats_connection.h"

namespace wasmcloud::nats {

struct NatsKvOptions {
  // Bucket settings used when the bucket is created (an existing bucket is bound as it
  // is): replicas (1 for a single server), history per key.
  int replicas = 1;
  int history = 5;
  size_t max_value_size = 1024 * 1024;
  // The JetStream domain (leaf nodes); empty for the server's own.
  std::string domain;
  // How long a JetStream API call (bind, create, get, put) may take.
  std::chrono::milliseconds timeout{5000};
  // How often each watch asks JetStream whether the bucket's stream is still the one it
  // reads (one stream-info request): the longest a lost bucket goes unnoticed by a host
  // that neither writes nor reads it.
  std::chrono::milliseconds check_interval{5000};
};

class NatsKvBucket final : public lattice::KvBucket {
 public:
  // Binds the bucket `name`, creating it when it does not exist. Errors: kUnavailable
  // "JetStream is not enabled on <server>" / "… not available" (with the hint to start
  // nats-server with -js), kInvalidArgument for a bad bucket name.
  static Result<std::shared_ptr<NatsKvBucket>> Open(std::shared_ptr<NatsConnection> connection,
                                                    std::string name, NatsKvOptions options = {});
  ~NatsKvBucket() override;

  std::string name() const override;
  Result<std::optional<lattice::KvEntry>> Get(std::string_view key) override;
  Result<uint64_t> Put(std::string_view key, ByteView value) override;
  Result<uint64_t> Create(std::string_view key, ByteView value) override;
  Result<uint64_t> Delete(std::string_view key) override;
  Result<uint64_t> Restore(std::string_view key, ByteView value) override;
  void CheckReplaced() override;
  Result<std::unique_ptr<lattice::KvWatch>> Watch(lattice::KvWatchHandler handler) override;

 private:
  struct State;
  explicit NatsKvBucket(std::shared_ptr<State> state) : state_(std::move(state)) {}
  std::shared_ptr<State> state_;
};

}  // namespace wasmcloud::nats
