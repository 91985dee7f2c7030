#include "lattice/transport_conformance.h"

#include <gmock/gmock.h>

#include <atomic>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/bytes.h"

namespace wasmcloud::lattice {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

void TransportConformance::SetUp() {
  Result<std::unique_ptr<TransportServer>> server = GetParam().start();
  ASSERT_TRUE(server.ok()) << GetParam().name << ": " << server.status().message();
  server_ = std::move(server).value();
  a_ = Connect();
  b_ = Connect();
  c_ = Connect();
  ASSERT_TRUE(a_ && b_ && c_);
}

void TransportConformance::TearDown() {
  a_.reset();
  b_.reset();
  c_.reset();
  server_.reset();
}

std::shared_ptr<Transport> TransportConformance::Connect() {
  if (!server_) return nullptr;
  Result<std::shared_ptr<Transport>> conn = server_->Connect();
  if (!conn.ok()) {
    ADD_FAILURE() << "connect: " << conn.status().message();
    return nullptr;
  }
  return std::move(conn).value();
}

std::unique_ptr<Subscription> SubscribeAndFlush(Transport& conn, std::string_view subject,
                                                std::string_view queue_group,
                                                MessageHandler handler) {
  Result<std::unique_ptr<Subscription>> sub =
      conn.Subscribe(subject, queue_group, std::move(handler));
  if (!sub.ok()) {
    ADD_FAILURE() << "subscribe to " << subject << ": " << sub.status().message();
    return nullptr;
  }
  Status flushed = conn.Flush(kWaitLimit);
  if (!flushed.ok()) {
    ADD_FAILURE() << "flush after subscribing to " << subject << ": " << flushed.message();
    return nullptr;
  }
  return std::move(sub).value();
}

namespace {

std::string Text(const Bytes& b) { return std::string(AsChars(b)); }

// The value of header `name`, or "(none)".
std::string HeaderOf(const Message& m, const std::string& name) {
  auto it = m.headers.find(name);
  return it == m.headers.end() ? "(none)" : it->second;
}

// A handler that answers every request with `prefix` + its body, on `conn`.
MessageHandler Responder(Transport* conn, std::string prefix, Headers headers = {}) {
  return [conn, prefix = std::move(prefix), headers = std::move(headers)](Message m) {
    if (m.reply.empty()) return;
    std::string body = prefix + Text(m.data);
    Status s = conn->Publish(m.reply, AsBytes(body), {}, headers);
    EXPECT_TRUE(s.ok()) << s.message();
  };
}

TEST_P(TransportConformance, PublishReachesSubscribersOfOtherConnections) {
  Collector got;
  auto sub = SubscribeAndFlush(*b_, "conf.ps", "", got.Handler());
  ASSERT_NE(sub, nullptr);
  Collector got_too;
  auto sub_too = SubscribeAndFlush(*c_, "conf.ps", "", got_too.Handler());
  ASSERT_NE(sub_too, nullptr);

  // Nobody subscribes to this one: dropped, not an error.
  EXPECT_TRUE(a_->Publish("conf.nobody", AsBytes("lost")).ok());
  EXPECT_TRUE(a_->Publish("conf.other", AsBytes("not for us")).ok());
  EXPECT_TRUE(a_->Publish("conf.ps", AsBytes("hello")).ok());
  EXPECT_TRUE(a_->Publish("conf.ps", {}).ok());
  ASSERT_TRUE(got.WaitFor(2));
  ASSERT_TRUE(got_too.WaitFor(2));

  std::vector<Message> m = got.Messages();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].subject, "conf.ps");
  EXPECT_EQ(Text(m[0].data), "hello");
  EXPECT_EQ(m[0].reply, "");
  EXPECT_TRUE(m[1].data.empty());
  EXPECT_EQ(Text(got_too.Messages()[0].data), "hello");
  EXPECT_TRUE(a_->Flush(kWaitLimit).ok());
}

TEST_P(TransportConformance, StarMatchesExactlyOneToken) {
  Collector first, middle;
  auto s1 = SubscribeAndFlush(*b_, "conf.w.*", "", first.Handler());
  auto s2 = SubscribeAndFlush(*b_, "conf.*.x", "", middle.Handler());
  ASSERT_TRUE(s1 && s2);

  for (const char* subject : {"conf.w", "conf.w.a", "conf.w.a.b", "conf.q.x", "conf.w.x",
                              "conf.q.x.y", "conf.x", "other.w.a", "conf.w.zend", "conf.zend.x"}) {
    ASSERT_TRUE(a_->Publish(subject, AsBytes(subject)).ok()) << subject;
  }
  // One publisher: each subscription sees its messages in order, so the last one it
  // matches says it has seen everything.
  ASSERT_TRUE(first.WaitForSubject("conf.w.zend"));
  ASSERT_TRUE(middle.WaitForSubject("conf.zend.x"));
  EXPECT_EQ(first.Subjects(), (std::vector<std::string>{"conf.w.a", "conf.w.x", "conf.w.zend"}));
  EXPECT_EQ(middle.Subjects(), (std::vector<std::string>{"conf.q.x", "conf.w.x", "conf.zend.x"}));
  EXPECT_EQ(Text(first.Messages()[0].data), "conf.w.a");
}

TEST_P(TransportConformance, GreaterThanMatchesOneOrMoreTrailingTokens) {
  Collector rest, star_rest;
  auto s1 = SubscribeAndFlush(*b_, "conf.g.>", "", rest.Handler());
  auto s2 = SubscribeAndFlush(*c_, "conf.*.>", "", star_rest.Handler());
  ASSERT_TRUE(s1 && s2);

  for (const char* subject :
       {"conf.g", "conf.g.a", "conf.gx.a", "conf.g.a.b.c", "conf", "other.g.a", "conf.g.end"}) {
    ASSERT_TRUE(a_->Publish(subject, AsBytes("x")).ok()) << subject;
  }
  ASSERT_TRUE(rest.WaitForSubject("conf.g.end"));
  ASSERT_TRUE(star_rest.WaitForSubject("conf.g.end"));
  EXPECT_EQ(rest.Subjects(), (std::vector<std::string>{"conf.g.a", "conf.g.a.b.c", "conf.g.end"}));
  EXPECT_EQ(star_rest.Subjects(),
            (std::vector<std::string>{"conf.g.a", "conf.gx.a", "conf.g.a.b.c", "conf.g.end"}));
}

TEST_P(TransportConformance, QueueGroupGetsEachMessageOnceWhilePlainSubscribersGetAll) {
  constexpr int kMessages = 100;
  // Every delivery to a queue member, by group, as the message's number.
  std::mutex mu;
  std::map<std::string, std::vector<std::string>> by_group;
  Flag workers_done, others_done;
  auto member = [&](std::string group, Flag* done) {
    return [&, group, done](Message m) {
      std::lock_guard lock(mu);
      std::vector<std::string>& seen = by_group[group];
      seen.push_back(Text(m.data));
      if (seen.size() >= static_cast<size_t>(kMessages)) done->Set();
    };
  };
  Collector plain_a, plain_b;
  std::vector<std::unique_ptr<Subscription>> subs;
  subs.push_back(SubscribeAndFlush(*a_, "conf.q", "workers", member("workers", &workers_done)));
  subs.push_back(SubscribeAndFlush(*b_, "conf.q", "workers", member("workers", &workers_done)));
  subs.push_back(SubscribeAndFlush(*c_, "conf.q", "workers", member("workers", &workers_done)));
  subs.push_back(SubscribeAndFlush(*b_, "conf.q", "others", member("others", &others_done)));
  subs.push_back(SubscribeAndFlush(*c_, "conf.*", "others", member("others", &others_done)));
  subs.push_back(SubscribeAndFlush(*a_, "conf.q", "", plain_a.Handler()));
  subs.push_back(SubscribeAndFlush(*b_, "conf.q", "", plain_b.Handler()));
  for (const auto& s : subs) ASSERT_NE(s, nullptr);

  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(c_->Publish("conf.q", AsBytes(std::to_string(i))).ok());
  }
  ASSERT_TRUE(plain_a.WaitFor(kMessages));
  ASSERT_TRUE(plain_b.WaitFor(kMessages));
  ASSERT_TRUE(workers_done.Wait());
  ASSERT_TRUE(others_done.Wait());
  subs.clear();  // no delivery after this

  // When a group had seen 100 deliveries, they were 100 different messages: none twice.
  std::lock_guard lock(mu);
  for (const auto& [group, seen] : by_group) {
    EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages)) << group;
    EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(),
              static_cast<size_t>(kMessages))
        << group;
  }
  EXPECT_EQ(plain_a.size(), static_cast<size_t>(kMessages));
  EXPECT_EQ(plain_b.size(), static_cast<size_t>(kMessages));
}

TEST_P(TransportConformance, RequestGetsTheReply) {
  Collector seen;
  auto sub = SubscribeAndFlush(*b_, "conf.rr", "", [&](Message m) {
    seen.Add(m);
    Responder(b_.get(), "re:")(std::move(m));
  });
  ASSERT_NE(sub, nullptr);

  Result<Message> reply = a_->Request("conf.rr", AsBytes("ping"), kWaitLimit);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(Text(reply->data), "re:ping");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen.Messages()[0].subject, "conf.rr");
  EXPECT_FALSE(seen.Messages()[0].reply.empty());
  EXPECT_NE(seen.Messages()[0].reply, "conf.rr");
}

TEST_P(TransportConformance, NoRespondersIsNotFoundAtOnce) {
  auto start = Clock::now();
  Result<Message> reply = a_->Request("conf.nobody.home", AsBytes("hello?"), kWaitLimit);
  auto elapsed = Clock::now() - start;
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kNotFound);
  EXPECT_TRUE(IsNoResponders(reply.status()));
  EXPECT_THAT(reply.status().message(), HasSubstr("no responders for conf.nobody.home"));
  // It did not wait for the timeout: nobody can answer.
  EXPECT_LT(elapsed, kWaitLimit / 2);
}

TEST_P(TransportConformance, RequestTimesOutWhenNobodyAnswers) {
  Collector silent;
  auto sub = SubscribeAndFlush(*b_, "conf.silent", "", silent.Handler());
  ASSERT_NE(sub, nullptr);

  auto start = Clock::now();
  Result<Message> reply = a_->Request("conf.silent", AsBytes("anyone?"), milliseconds(100));
  auto elapsed = Clock::now() - start;
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kDeadlineExceeded) << reply.status().message();
  EXPECT_GE(elapsed, milliseconds(95));
  // It was delivered, and nobody answered.
  EXPECT_TRUE(silent.WaitFor(1));
}

TEST_P(TransportConformance, DeliversInOrderPerPublisherOneAtATime) {
  constexpr int kPerPublisher = 1000;
  std::atomic<int> in_handler{0};
  std::atomic<bool> overlapped{false};
  Collector got;
  auto sub = SubscribeAndFlush(*b_, "conf.order", "", [&](Message m) {
    if (in_handler.fetch_add(1) != 0) overlapped = true;
    got.Add(std::move(m));
    in_handler.fetch_sub(1);
  });
  ASSERT_NE(sub, nullptr);

  auto publish = [&](Transport* conn, std::string name) {
    for (int i = 0; i < kPerPublisher; ++i) {
      Status s = conn->Publish("conf.order", AsBytes(name + ":" + std::to_string(i)));
      if (!s.ok()) {
        ADD_FAILURE() << s.message();
        return;
      }
    }
  };
  std::thread p1(publish, a_.get(), "a");
  std::thread p2(publish, c_.get(), "c");
  p1.join();
  p2.join();
  ASSERT_TRUE(got.WaitFor(2 * kPerPublisher));

  std::map<std::string, int> next;
  for (const Message& m : got.Messages()) {
    std::string text = Text(m.data);
    std::string name = text.substr(0, text.find(':'));
    int seq = std::stoi(text.substr(text.find(':') + 1));
    ASSERT_EQ(seq, next[name]) << "publisher " << name;
    ++next[name];
  }
  EXPECT_EQ(next["a"], kPerPublisher);
  EXPECT_EQ(next["c"], kPerPublisher);
  EXPECT_FALSE(overlapped) << "the handler ran on two threads at once";
}

TEST_P(TransportConformance, RefusesPayloadsOverMaxPayload) {
  const size_t max = a_->MaxPayload();
  ASSERT_GT(max, 0u);
  Collector got;
  auto sub = SubscribeAndFlush(*b_, "conf.big", "", got.Handler());
  ASSERT_NE(sub, nullptr);

  Bytes too_big(max + 1, 0x5a);
  Status s = a_->Publish("conf.big", too_big);
  EXPECT_EQ(s.code(), Code::kResourceExhausted) << s.message();
  Result<Message> r = a_->Request("conf.big", too_big, milliseconds(500));
  EXPECT_EQ(r.status().code(), Code::kResourceExhausted) << r.status().message();

  Bytes just_fits(max, 0x5a);
  ASSERT_TRUE(a_->Publish("conf.big", just_fits).ok());
  ASSERT_TRUE(got.WaitFor(1));
  EXPECT_EQ(got.Messages()[0].data.size(), max);
  EXPECT_EQ(got.size(), 1u);
}

TEST_P(TransportConformance, RefusesInvalidSubjects) {
  for (std::string_view subject :
       {"", ".", "a..b", ".a", "a.", "a b", "a\tb", "a\nb", "a.*", "a.>", "*", ">", "*.a"}) {
    Status p = a_->Publish(subject, AsBytes("x"));
    EXPECT_EQ(p.code(), Code::kInvalidArgument) << "publish \"" << subject << "\"";
    Result<Message> r = a_->Request(subject, AsBytes("x"), milliseconds(100));
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument) << "request \"" << subject << "\"";
  }
  for (std::string_view subject : {"", "a..b", ".a", "a.", "a b", "a.>.b", ">.a"}) {
    auto s = a_->Subscribe(subject, "", [](Message) {});
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument) << "subscribe \"" << subject << "\"";
  }
  auto bad_group = a_->Subscribe("conf.x", "bad group", [](Message) {});
  EXPECT_EQ(bad_group.status().code(), Code::kInvalidArgument);
  for (std::string_view subject : {"a.*", "a.>", "*", ">", "*.b.>"}) {
    auto s = a_->Subscribe(subject, "", [](Message) {});
    EXPECT_TRUE(s.ok()) << "subscribe \"" << subject << "\": " << s.status().message();
  }
}

TEST_P(TransportConformance, UnsubscribeWaitsForTheRunningHandlerThenStopsDelivery) {
  Flag entered, unsubscribing;
  std::atomic<bool> handler_finished{false};
  std::atomic<int> calls{0};
  Collector witness;
  auto witness_sub = SubscribeAndFlush(*c_, "conf.unsub", "", witness.Handler());
  auto sub = SubscribeAndFlush(*b_, "conf.unsub", "", [&](Message) {
    if (calls.fetch_add(1) != 0) return;
    entered.Set();
    EXPECT_TRUE(unsubscribing.Wait());
    // Still busy a while after the destructor started, so that it has to wait.
    std::this_thread::sleep_for(milliseconds(20));
    handler_finished = true;
  });
  ASSERT_TRUE(witness_sub && sub);

  ASSERT_TRUE(a_->Publish("conf.unsub", AsBytes("first")).ok());
  ASSERT_TRUE(entered.Wait());
  unsubscribing.Set();
  sub.reset();
  EXPECT_TRUE(handler_finished) << "the destructor returned while the handler ran";

  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a_->Publish("conf.unsub", AsBytes("later")).ok());
  // The witness got them all: they were delivered wherever they still could be.
  ASSERT_TRUE(witness.WaitFor(6));
  EXPECT_EQ(calls.load(), 1);
}

TEST_P(TransportConformance, UnsubscribeFromInsideTheHandler) {
  std::mutex mu;
  std::unique_ptr<Subscription> self;
  std::atomic<int> calls{0};
  Flag returned;
  Collector witness;
  auto witness_sub = SubscribeAndFlush(*c_, "conf.self", "", witness.Handler());
  auto sub = SubscribeAndFlush(*b_, "conf.self", "", [&](Message) {
    calls.fetch_add(1);
    std::unique_ptr<Subscription> me;
    {
      std::lock_guard lock(mu);
      me = std::move(self);
    }
    me.reset();  // returns at once, although this handler is running
    returned.Set();
  });
  ASSERT_TRUE(witness_sub && sub);
  {
    std::lock_guard lock(mu);
    self = std::move(sub);
  }

  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a_->Publish("conf.self", AsBytes("x")).ok());
  ASSERT_TRUE(returned.Wait());
  ASSERT_TRUE(witness.WaitFor(5));
  EXPECT_EQ(calls.load(), 1);
  ASSERT_TRUE(a_->Publish("conf.self", AsBytes("after")).ok());
  ASSERT_TRUE(witness.WaitFor(6));
  EXPECT_EQ(calls.load(), 1);
}

TEST_P(TransportConformance, HandlerCanMakeARequest) {
  auto inner = SubscribeAndFlush(*c_, "conf.inner", "", Responder(c_.get(), "inner:"));
  auto outer = SubscribeAndFlush(*b_, "conf.outer", "", [&](Message m) {
    Result<Message> r = b_->Request("conf.inner", m.data, kWaitLimit);
    std::string body = r.ok() ? "outer:" + Text(r->data) : "error: " + r.status().message();
    EXPECT_TRUE(b_->Publish(m.reply, AsBytes(body)).ok());
  });
  ASSERT_TRUE(inner && outer);

  Result<Message> reply = a_->Request("conf.outer", AsBytes("x"), kWaitLimit);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(Text(reply->data), "outer:inner:x");
}

TEST_P(TransportConformance, ConcurrentRequestersEachGetTheirOwnReply) {
  constexpr int kThreads = 8;
  constexpr int kRequests = 200;
  auto sub = SubscribeAndFlush(*b_, "conf.echo", "", Responder(b_.get(), ""));
  ASSERT_NE(sub, nullptr);

  std::atomic<int> good{0};
  std::mutex mu;
  std::string first_problem;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Transport* conn = (t % 2 == 0) ? a_.get() : c_.get();
    threads.emplace_back([&, conn, t] {
      for (int i = 0; i < kRequests; ++i) {
        std::string body = "t" + std::to_string(t) + "-" + std::to_string(i);
        Result<Message> r = conn->Request("conf.echo", AsBytes(body), kWaitLimit);
        std::string problem;
        if (!r.ok()) {
          problem = body + ": " + r.status().message();
        } else if (Text(r->data) != body) {
          problem = body + ": got the reply " + Text(r->data);
        }
        if (problem.empty()) {
          good.fetch_add(1);
        } else {
          std::lock_guard lock(mu);
          if (first_problem.empty()) first_problem = problem;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(good.load(), kThreads * kRequests) << first_problem;
}

TEST_P(TransportConformance, HeadersArrive) {
  const Headers trace = {{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
                         {"tracestate", "congo=t61rcWkgMzE"}};
  Collector got;
  auto sub = SubscribeAndFlush(*b_, "conf.hdr", "", got.Handler());
  auto responder = SubscribeAndFlush(*b_, "conf.hdr.rr", "", [&](Message m) {
    got.Add(m);
    Responder(b_.get(), "", {{"answered-by", "b"}})(std::move(m));
  });
  ASSERT_TRUE(sub && responder);

  ASSERT_TRUE(a_->Publish("conf.hdr", AsBytes("x"), {}, trace).ok());
  Result<Message> reply = a_->Request("conf.hdr.rr", AsBytes("y"), kWaitLimit, trace);
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  ASSERT_TRUE(got.WaitFor(2));

  for (const Message& m : got.Messages()) {
    EXPECT_EQ(HeaderOf(m, "traceparent"), trace.at("traceparent")) << m.subject;
    EXPECT_EQ(HeaderOf(m, "tracestate"), trace.at("tracestate")) << m.subject;
  }
  EXPECT_EQ(HeaderOf(*reply, "answered-by"), "b");
}

}  // namespace
}  // namespace wasmcloud::lattice
