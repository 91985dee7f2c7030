#include "lattice/rpc_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <string>

#include "core/bytes.h"
#include "crypto/nkeys.h"
#include "lattice/memory_transport.h"
#include "lattice/transport_conformance.h"

namespace wasmcloud::lattice {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

// Passes everything to a MemoryTransport and records what Request saw (a fake that
// records: the client's retries become visible).
class RecordingTransport final : public Transport {
 public:
  explicit RecordingTransport(MemoryTransportOptions options = {}) : inner_(options) {}

  Status Publish(std::string_view subject, ByteView data, std::string_view reply = {},
                 const Headers& headers = {}) override {
    return inner_.Publish(subject, data, reply, headers);
  }
  Result<Message> Request(std::string_view subject, ByteView data, milliseconds timeout,
                          const Headers& headers = {}) override {
    Result<Message> r = inner_.Request(subject, data, timeout, headers);
    std::lock_guard lock(mu_);
    ++requests_;
    if (!r.ok() && IsNoResponders(r.status())) ++no_responders_;
    changed_.notify_all();
    return r;
  }
  Result<std::unique_ptr<Subscription>> Subscribe(std::string_view subject,
                                                  std::string_view queue_group,
                                                  MessageHandler handler) override {
    return inner_.Subscribe(subject, queue_group, std::move(handler));
  }
  Status Flush(milliseconds timeout) override { return inner_.Flush(timeout); }
  size_t MaxPayload() const override { return inner_.MaxPayload(); }

  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int no_responders() {
    std::lock_guard lock(mu_);
    return no_responders_;
  }
  // True once `n` requests were answered "no responders".
  bool WaitForNoResponders(int n) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, kWaitLimit, [&] { return no_responders_ >= n; });
  }

 private:
  MemoryTransport inner_;
  std::mutex mu_;
  std::condition_variable changed_;
  int requests_ = 0;
  int no_responders_ = 0;
};

class RpcClientTest : public ::testing::Test {
 protected:
  RpcClientTest()
      : host_key_(crypto::KeyPair::Generate(crypto::KeyType::kServer)),
        actor_key_(crypto::KeyPair::Generate(crypto::KeyType::kModule)),
        subject_("wasmbus.rpc.default." + actor_key_.public_key_text()) {}

  Invocation MakeInvocation(std::string_view body = "hello") {
    Result<Invocation> inv =
        NewInvocation(host_key_, Entity::System(), Entity::Actor(actor_key_.public_key_text()),
                      "HandleRequest", ToBytes(body));
    EXPECT_TRUE(inv.ok()) << inv.status().message();
    return inv.ok() ? std::move(inv).value() : Invocation{};
  }

  // Serves subject_ as a host would: decodes the invocation and answers with `answer`.
  std::unique_ptr<Subscription> Serve(std::function<InvocationResponse(const Invocation&)> answer) {
    auto sub =
        transport_->Subscribe(subject_, subject_, [this, answer = std::move(answer)](Message m) {
          Result<Invocation> inv = DecodeInvocation(m.data);
          InvocationResponse resp =
              inv.ok() ? answer(*inv) : ErrorResponse("", inv.status().message());
          EXPECT_TRUE(transport_->Publish(m.reply, Encode(resp)).ok());
        });
    EXPECT_TRUE(sub.ok()) << sub.status().message();
    return sub.ok() ? std::move(sub).value() : nullptr;
  }

  // Answers every message with these bytes.
  std::unique_ptr<Subscription> ServeRaw(Bytes reply) {
    auto sub = transport_->Subscribe(subject_, subject_, [this, reply](Message m) {
      EXPECT_TRUE(transport_->Publish(m.reply, reply).ok());
    });
    EXPECT_TRUE(sub.ok()) << sub.status().message();
    return sub.ok() ? std::move(sub).value() : nullptr;
  }

  static InvocationResponse Echo(const Invocation& inv) {
    return SuccessResponse(inv, ToBytes("echo:" + std::string(AsChars(inv.msg))));
  }

  crypto::KeyPair host_key_;
  crypto::KeyPair actor_key_;
  std::string subject_;
  std::shared_ptr<RecordingTransport> transport_ = std::make_shared<RecordingTransport>();
  RpcClient client_{transport_};
};

TEST_F(RpcClientTest, ReturnsTheResponderAnswer) {
  auto sub = Serve(Echo);
  ASSERT_NE(sub, nullptr);
  Invocation inv = MakeInvocation("ping");

  Result<InvocationResponse> resp = client_.Call(inv, subject_, Clock::now() + kWaitLimit);
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(std::string(AsChars(resp->msg)), "echo:ping");
  EXPECT_EQ(resp->error, std::nullopt);
  EXPECT_EQ(resp->invocation_id, inv.id);
  EXPECT_EQ(transport_->requests(), 1);
}

TEST_F(RpcClientTest, TheRemoteErrorIsAnAnswerNotAFailure) {
  auto sub = Serve([](const Invocation& inv) { return ErrorResponse(inv.id, "actor said no"); });
  ASSERT_NE(sub, nullptr);
  Invocation inv = MakeInvocation();

  Result<InvocationResponse> resp = client_.Call(inv, subject_, Clock::now() + kWaitLimit);
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->error, "actor said no");
}

TEST_F(RpcClientTest, RetriesNoRespondersUntilAResponderSubscribes) {
  Invocation inv = MakeInvocation("late");
  auto call = std::async(std::launch::async,
                         [&] { return client_.Call(inv, subject_, Clock::now() + kWaitLimit); });
  ASSERT_TRUE(transport_->WaitForNoResponders(2));
  auto sub = Serve(Echo);
  ASSERT_NE(sub, nullptr);

  ASSERT_EQ(call.wait_for(kWaitLimit), std::future_status::ready);
  Result<InvocationResponse> resp = call.get();
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(std::string(AsChars(resp->msg)), "echo:late");
  // Sent again only while it was certainly not delivered, and once after that.
  EXPECT_GE(transport_->no_responders(), 2);
  EXPECT_EQ(transport_->requests(), transport_->no_responders() + 1);
}

TEST_F(RpcClientTest, NoRespondersUntilTheDeadlineIsNotFound) {
  Invocation inv = MakeInvocation();
  const milliseconds budget(300);
  auto start = Clock::now();
  Result<InvocationResponse> resp = client_.Call(inv, subject_, start + budget);
  auto elapsed = Clock::now() - start;

  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kNotFound);
  EXPECT_THAT(resp.status().message(), HasSubstr("no responders for " + subject_));
  // It kept trying until the deadline, not past it (the upper bound only catches a
  // client that ignores the deadline, not a slow machine).
  EXPECT_GE(elapsed, budget);
  EXPECT_LT(elapsed, budget + kWaitLimit / 2);
  EXPECT_GE(transport_->requests(), 3);
  EXPECT_EQ(transport_->requests(), transport_->no_responders());
}

TEST_F(RpcClientTest, TimeoutIsDeadlineExceededAndNeverResent) {
  Collector silent;
  auto sub = transport_->Subscribe(subject_, subject_, silent.Handler());
  ASSERT_TRUE(sub.ok());
  Invocation inv = MakeInvocation();

  auto start = Clock::now();
  Result<InvocationResponse> resp = client_.Call(inv, subject_, start + milliseconds(200));
  auto elapsed = Clock::now() - start;
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kDeadlineExceeded);
  EXPECT_THAT(resp.status().message(), HasSubstr("RPC call timed out after"));
  EXPECT_GE(elapsed, milliseconds(195));
  EXPECT_EQ(transport_->requests(), 1);
  EXPECT_TRUE(silent.WaitFor(1));
  EXPECT_EQ(silent.size(), 1u);
}

TEST_F(RpcClientTest, GarbageReplyIsMalformed) {
  auto sub = ServeRaw(ToBytes("\xc1 this is not msgpack"));
  ASSERT_NE(sub, nullptr);

  Result<InvocationResponse> resp =
      client_.Call(MakeInvocation(), subject_, Clock::now() + kWaitLimit);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kMalformed);
  EXPECT_THAT(resp.status().message(),
              HasSubstr("RPC - failed to deserialize invocation response: "));
}

TEST_F(RpcClientTest, ReplyToAnotherInvocationIsMalformed) {
  auto sub = Serve([](const Invocation&) {
    return ErrorResponse("00000000-0000-4000-8000-000000000000", "not yours");
  });
  ASSERT_NE(sub, nullptr);
  Invocation inv = MakeInvocation();

  Result<InvocationResponse> resp = client_.Call(inv, subject_, Clock::now() + kWaitLimit);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), Code::kMalformed);
  EXPECT_THAT(resp.status().message(),
              HasSubstr("is for invocation \"00000000-0000-4000-8000-000000000000\""));
  EXPECT_THAT(resp.status().message(), HasSubstr(inv.id));
}

// A receiver that could not even read the invocation (so not its id) answers an error
// without an id: that error is the answer.
TEST_F(RpcClientTest, AnErrorWithoutAnInvocationIdIsTheAnswer) {
  auto sub = Serve([](const Invocation&) {
    return ErrorResponse("", "Invocation refused: malformed invocation: …");
  });
  ASSERT_NE(sub, nullptr);
  Result<InvocationResponse> resp =
      client_.Call(MakeInvocation(), subject_, Clock::now() + kWaitLimit);
  ASSERT_TRUE(resp.ok()) << resp.status().message();
  EXPECT_EQ(resp->error, std::optional<std::string>("Invocation refused: malformed invocation: …"));
}

TEST_F(RpcClientTest, InvocationLargerThanTheTransportAcceptsIsResourceExhausted) {
  auto small = std::make_shared<RecordingTransport>(MemoryTransportOptions{.max_payload = 64});
  RpcClient client(small);
  Result<InvocationResponse> resp =
      client.Call(MakeInvocation(), subject_, Clock::now() + kWaitLimit);
  EXPECT_EQ(resp.status().code(), Code::kResourceExhausted) << resp.status().message();
}

TEST_F(RpcClientTest, DeadlineAlreadyPassedSendsNothing) {
  auto sub = Serve(Echo);
  ASSERT_NE(sub, nullptr);
  Result<InvocationResponse> resp =
      client_.Call(MakeInvocation(), subject_, Clock::now() - milliseconds(1));
  EXPECT_EQ(resp.status().code(), Code::kDeadlineExceeded);
  EXPECT_EQ(transport_->requests(), 0);
}

}  // namespace
}  // namespace wasmcloud::lattice
