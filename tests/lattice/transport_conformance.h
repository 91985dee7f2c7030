// The Transport conformance suite (transport.h): one set of cases every implementation
// passes. An implementation's test binary compiles transport_conformance.cc and adds
//
//   INSTANTIATE_TEST_SUITE_P(Memory, TransportConformance,
//                            ::testing::Values(TransportImplementation{"Memory", start}),
//                            TransportImplementationName);
//
// The fixture models a server and independent client connections to it: each case starts
// one TransportServer and connects three clients (a_, b_, c_; more with Connect()), so that
// publisher, subscriber and requester are separate connections: separate connections to
// one nats-server for NATS, one shared MemoryTransport in memory.
//
// Below the fixture: small thread-safe helpers (Collector, Flag) that the
// implementation-specific tests use too.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "lattice/transport.h"

namespace wasmcloud::lattice {

// A running server for the duration of one test case.
class TransportServer {
 public:
  virtual ~TransportServer() = default;
  // A new client connection to this server. Messages published on any connection reach
  // the subscribers of every connection. Connections are released before the server.
  virtual Result<std::shared_ptr<Transport>> Connect() = 0;
};

struct TransportImplementation {
  std::string name;  // the parameter's name in test names ("Memory", "Nats")
  // Starts a server for one case; an error fails the case with its message.
  std::function<Result<std::unique_ptr<TransportServer>>()> start;
};

inline void PrintTo(const TransportImplementation& impl, std::ostream* os) { *os << impl.name; }

inline std::string TransportImplementationName(
    const ::testing::TestParamInfo<TransportImplementation>& info) {
  return info.param.name;
}

class TransportConformance : public ::testing::TestWithParam<TransportImplementation> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // A new connection to this case's server; nullptr (and a failure) when it cannot connect.
  std::shared_ptr<Transport> Connect();

  std::unique_ptr<TransportServer> server_;
  std::shared_ptr<Transport> a_, b_, c_;  // three independent connections
};

// How long a test waits for something that should happen at once; only reached when it
// fails.
inline constexpr std::chrono::milliseconds kWaitLimit{10000};

// Records the messages a handler receives; waits for them with a deadline.
class Collector {
 public:
  // A handler that records into this collector (which must outlive the subscription).
  MessageHandler Handler() {
    return [this](Message m) { Add(std::move(m)); };
  }
  void Add(Message m) {
    std::lock_guard lock(mu_);
    messages_.push_back(std::move(m));
    changed_.notify_all();
  }
  // True once at least `n` messages arrived; false when `timeout` passes first.
  bool WaitFor(size_t n, std::chrono::milliseconds timeout = kWaitLimit) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return messages_.size() >= n; });
  }
  // True once a message on `subject` arrived.
  bool WaitForSubject(std::string_view subject, std::chrono::milliseconds timeout = kWaitLimit) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] {
      for (const Message& m : messages_) {
        if (m.subject == subject) return true;
      }
      return false;
    });
  }
  std::vector<Message> Messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }
  std::vector<std::string> Subjects() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const Message& m : messages_) out.push_back(m.subject);
    return out;
  }
  size_t size() {
    std::lock_guard lock(mu_);
    return messages_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Message> messages_;
};

// A one-shot event between threads.
class Flag {
 public:
  void Set() {
    std::lock_guard lock(mu_);
    set_ = true;
    changed_.notify_all();
  }
  bool IsSet() {
    std::lock_guard lock(mu_);
    return set_;
  }
  // True once set; false when `timeout` passes first.
  bool Wait(std::chrono::milliseconds timeout = kWaitLimit) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, timeout, [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  bool set_ = false;
};

// Subscribes on `conn` and flushes it, so that what other connections publish from now on
// reaches the handler. nullptr (and a failure) on error.
std::unique_ptr<Subscription> SubscribeAndFlush(Transport& conn, std::string_view subject,
                                                std::string_view queue_group,
                                                MessageHandler handler);

}  // namespace wasmcloud::lattice
