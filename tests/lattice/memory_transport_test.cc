#include "lattice/memory_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "core/bytes.h"
#include "lattice/transport_conformance.h"

namespace wasmcloud::lattice {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

// In memory, "a server" is one MemoryTransport and every connection shares it.
class MemoryServer final : public TransportServer {
 public:
  Result<std::shared_ptr<Transport>> Connect() override {
    return std::shared_ptr<Transport>(transport_);
  }

 private:
  std::shared_ptr<MemoryTransport> transport_ = std::make_shared<MemoryTransport>();
};

INSTANTIATE_TEST_SUITE_P(Memory, TransportConformance,
                         ::testing::Values(TransportImplementation{
                             "Memory",
                             []() -> Result<std::unique_ptr<TransportServer>> {
                               return std::unique_ptr<TransportServer>(
                                   std::make_unique<MemoryServer>());
                             }}),
                         TransportImplementationName);

TEST(MemoryTransport, CloseFailsWaitingRequestsAndLaterCalls) {
  MemoryTransport transport;
  Collector silent;
  auto sub = transport.Subscribe("mem.silent", "", silent.Handler());
  ASSERT_TRUE(sub.ok());

  auto waiting = std::async(std::launch::async, [&] {
    return transport.Request("mem.silent", AsBytes("x"), milliseconds(60000));
  });
  // Delivered means registered: the request is waiting for its reply now.
  ASSERT_TRUE(silent.WaitFor(1));
  transport.Close();
  ASSERT_EQ(waiting.wait_for(kWaitLimit), std::future_status::ready);
  Result<Message> r = waiting.get();
  // Delivered, so not kUnavailable ("not delivered, try again"): as a timeout.
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded) << r.status().message();
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("may have been delivered"));

  EXPECT_EQ(transport.Publish("mem.silent", AsBytes("x")).code(), Code::kUnavailable);
  EXPECT_EQ(transport.Request("mem.silent", AsBytes("x"), milliseconds(10)).status().code(),
            Code::kUnavailable);
  EXPECT_EQ(transport.Subscribe("mem.other", "", [](Message) {}).status().code(),
            Code::kUnavailable);
  EXPECT_EQ(transport.Flush(milliseconds(10)).code(), Code::kUnavailable);
  transport.Close();  // idempotent
  sub->reset();       // a subscription may go after the transport closed
}

TEST(MemoryTransport, SubscriptionMayOutliveTheTransport) {
  std::unique_ptr<Subscription> sub;
  {
    MemoryTransport transport;
    auto s = transport.Subscribe("mem.a", "", [](Message) {});
    ASSERT_TRUE(s.ok());
    sub = std::move(s).value();
  }
  sub.reset();
}

TEST(MemoryTransport, CountsPublishedMessages) {
  MemoryTransport transport;
  EXPECT_EQ(transport.published(), 0u);
  ASSERT_TRUE(transport.Publish("mem.nobody", AsBytes("1")).ok());
  ASSERT_TRUE(transport.Publish("mem.nobody", AsBytes("2")).ok());
  // Refused: not published.
  EXPECT_FALSE(transport.Publish("mem.*", AsBytes("3")).ok());
  EXPECT_EQ(transport.published(), 2u);

  auto sub = transport.Subscribe(
      "mem.echo", "", [&](Message m) { EXPECT_TRUE(transport.Publish(m.reply, m.data).ok()); });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(transport.Request("mem.echo", AsBytes("4"), kWaitLimit).ok());
  EXPECT_EQ(transport.published(), 4u);  // the request and its reply
  // No responders: nothing was sent.
  EXPECT_FALSE(transport.Request("mem.nobody", AsBytes("5"), kWaitLimit).ok());
  EXPECT_EQ(transport.published(), 4u);
}

TEST(MemoryTransport, BlockedHandlerDoesNotStopOtherSubscriptions) {
  MemoryTransport transport(MemoryTransportOptions{.delivery_threads = 2});
  Flag entered, release;
  std::atomic<int> slow_calls{0};
  auto slow = transport.Subscribe("mem.slow", "", [&](Message) {
    slow_calls.fetch_add(1);
    entered.Set();
    EXPECT_TRUE(release.Wait());
  });
  Collector fast;
  auto quick = transport.Subscribe("mem.fast", "", fast.Handler());
  ASSERT_TRUE(slow.ok() && quick.ok());

  ASSERT_TRUE(transport.Publish("mem.slow", AsBytes("1")).ok());
  ASSERT_TRUE(transport.Publish("mem.slow", AsBytes("2")).ok());
  ASSERT_TRUE(entered.Wait());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(transport.Publish("mem.fast", AsBytes("x")).ok());
  EXPECT_TRUE(fast.WaitFor(100));
  // The second slow message waits for the first: one at a time per subscription.
  EXPECT_EQ(slow_calls.load(), 1);
  release.Set();
}

TEST(MemoryTransport, ReplyReachesTheRequesterWhileEveryDeliveryThreadIsBusy) {
  MemoryTransport transport(MemoryTransportOptions{.delivery_threads = 1});
  std::mutex mu;
  std::string inbox;
  Flag asked, blocking, release;
  // The responder hands the work on (as a handler should) and returns.
  auto ask = transport.Subscribe("mem.ask", "", [&](Message m) {
    std::lock_guard lock(mu);
    inbox = m.reply;
    asked.Set();
  });
  auto block = transport.Subscribe("mem.block", "", [&](Message) {
    blocking.Set();
    EXPECT_TRUE(release.Wait());
  });
  ASSERT_TRUE(ask.ok() && block.ok());

  auto waiting = std::async(std::launch::async, [&] {
    return transport.Request("mem.ask", AsBytes("q"), milliseconds(60000));
  });
  ASSERT_TRUE(asked.Wait());
  ASSERT_TRUE(transport.Publish("mem.block", AsBytes("x")).ok());
  ASSERT_TRUE(blocking.Wait());  // the only delivery thread is taken now
  {
    std::lock_guard lock(mu);
    ASSERT_TRUE(transport.Publish(inbox, AsBytes("answer")).ok());
  }
  bool ready = waiting.wait_for(kWaitLimit) == std::future_status::ready;
  release.Set();
  ASSERT_TRUE(ready) << "the reply waited for a delivery thread";
  Result<Message> r = waiting.get();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(std::string(AsChars(r->data)), "answer");
}

TEST(MemoryTransport, QueueGroupSpreadsMessagesOverMembers) {
  MemoryTransport transport;
  constexpr int kMessages = 400;
  std::atomic<int> counts[4] = {};
  std::atomic<int> total{0};
  Flag all;
  std::vector<std::unique_ptr<Subscription>> subs;
  for (int i = 0; i < 4; ++i) {
    auto s = transport.Subscribe("mem.q", "group", [&, i](Message) {
      counts[i].fetch_add(1);
      if (total.fetch_add(1) + 1 == kMessages) all.Set();
    });
    ASSERT_TRUE(s.ok());
    subs.push_back(std::move(s).value());
  }
  for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(transport.Publish("mem.q", AsBytes("x")).ok());
  ASSERT_TRUE(all.Wait());
  subs.clear();
  EXPECT_EQ(total.load(), kMessages);
  // Random choice: each member gets some (the chance that one gets none is 4 × 0.75^400).
  for (int i = 0; i < 4; ++i) EXPECT_GT(counts[i].load(), 0) << "member " << i;
}

TEST(MemoryTransport, CloseFromInsideAHandler) {
  auto transport = std::make_shared<MemoryTransport>();
  Flag closed;
  auto sub = transport->Subscribe("mem.close", "", [&](Message) {
    transport->Close();
    closed.Set();
  });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(transport->Publish("mem.close", AsBytes("x")).ok());
  ASSERT_TRUE(closed.Wait());
  EXPECT_EQ(transport->Publish("mem.close", AsBytes("x")).code(), Code::kUnavailable);
  sub->reset();
}

TEST(MemoryTransport, ErrorMessagesSayWhatIsWrong) {
  MemoryTransport transport(MemoryTransportOptions{.max_payload = 8});
  EXPECT_THAT(transport.Publish("a..b", AsBytes("x")).message(), HasSubstr("empty token"));
  EXPECT_THAT(transport.Publish("a.*", AsBytes("x")).message(), HasSubstr("wildcard"));
  EXPECT_THAT(transport.Publish("a b", AsBytes("x")).message(), HasSubstr("whitespace"));
  EXPECT_THAT(transport.Subscribe("a.>.b", "", [](Message) {}).status().message(),
              HasSubstr("'>' must be the last token"));
  EXPECT_THAT(transport.Publish("a", AsBytes("123456789")).message(),
              HasSubstr("exceeds the maximum payload of 8"));
  EXPECT_EQ(transport.MaxPayload(), 8u);
}

}  // namespace
}  // namespace wasmcloud::lattice
