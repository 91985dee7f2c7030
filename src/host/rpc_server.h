// The receiving side of lattice RPC: a subscription per actor and provider running here
// (subject wasmbus.rpc.{ns}.{pk}[.{link}], queue group = the subject, so that one host
// of those running the entity gets each invocation). A message is handed from the
// transport's thread to the inbound executor, verified (lattice::InvocationVerifier:
// target binding, token, freshness, replay, signature, issuer policy), then given to the
// Dispatcher, and the response is published to the message's reply subject.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/rate_limiter.h"
#include "core/status.h"
#include "core/thread_pool.h"
#include "host/dispatcher.h"
#include "host/host_metrics.h"
#include "lattice/invocation_verifier.h"
#include "lattice/transport.h"

namespace wasmcloud::host {

struct RpcServerOptions {
  std::string lattice_name = "default";
  unsigned threads = 4;
  size_t max_queued = 1024;
  lattice::VerifierConfig verifier;
  HostMetrics* metrics = nullptr;  // counts refusals; outlives the server
};

class RpcServer {
 public:
  RpcServer(std::shared_ptr<lattice::Transport> transport, RpcServerOptions options,
            Dispatcher& dispatcher);
  ~RpcServer();  // Stop()

  // Serves `entity` (an actor, or a provider with its contract id and link name).
  // Idempotent. kInvalidArgument when its link name cannot be a subject token.
  Status Serve(const lattice::Entity& entity);
  // Stops serving it; invocations already handed over still complete.
  void Unserve(const lattice::Entity& entity);
  // Unsubscribes everything, then runs the invocations already queued. Idempotent.
  void Stop();
  // True on a thread of the inbound executor (inside an invocation from the lattice).
  bool OnExecutorThread() const { return executor_.OnPoolThread(); }

 private:
  void OnMessage(const lattice::Entity& served, lattice::Message message);
  void Handle(const lattice::Entity& served, const lattice::Message& message);
  // Logs a refusal (a refused or busy-answered invocation) at warn, at most
  // kRefusalLinesPerSecond a second: anyone who may publish on the lattice sends them.
  void LogRefusal(const std::string& line);

  std::shared_ptr<lattice::Transport> transport_;
  const RpcServerOptions options_;
  Dispatcher& dispatcher_;
  lattice::InvocationVerifier verifier_;
  ThreadPool executor_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<lattice::Subscription>> subscriptions_;  // by subject
  bool stopped_ = false;
  std::atomic<bool> said_reflection_{false};  // a refused reply subject was logged at warn
  static constexpr double kRefusalLinesPerSecond = 20;
  KeyedRateLimiter refusal_lines_{kRefusalLinesPerSecond, kRefusalLinesPerSecond, 1};
};

}  // namespace wasmcloud::host
