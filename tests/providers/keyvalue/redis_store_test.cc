// What only RedisStore has: the URL, connecting (unreachable, silent, restarted servers),
// AUTH and SELECT, expiry as Redis keeps it, and its connection pool under concurrent
// callers. Each test starts its own redis-server on a free port.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "keyvalue/store.h"
#include "redis_server.h"
#include "support/require_tool.h"
#include "support/status_assert.h"

namespace wasmcloud::keyvalue {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FreePort;
using ::testing::HasSubstr;
using testing::RedisServer;
using ::testing::StartsWith;

using wasmcloud::testing::Ok;

RedisAddress Address(const std::string& url) {
  auto a = ParseRedisUrl(url);
  EXPECT_TRUE(Ok(a)) << url;
  return a.ok() ? *a : RedisAddress{};
}

// --- URL -------------------------------------------------------------------------------

TEST(RedisUrlTest, ParsesTheFormsThe018ProviderAccepted) {
  EXPECT_EQ(Address("redis://127.0.0.1:6379"), (RedisAddress{"127.0.0.1", 6379, 0, "", ""}));
  EXPECT_EQ(Address("redis://0.0.0.0:6379/"), (RedisAddress{"0.0.0.0", 6379, 0, "", ""}));
  EXPECT_EQ(Address("redis://cache.local"), (RedisAddress{"cache.local", 6379, 0, "", ""}));
  EXPECT_EQ(Address("redis://localhost:7000/3"), (RedisAddress{"localhost", 7000, 3, "", ""}));
  EXPECT_EQ(Address("redis://:s3cret@h:1/2"), (RedisAddress{"h", 1, 2, "", "s3cret"}));
  EXPECT_EQ(Address("redis://me:p%40ss%3a@h"), (RedisAddress{"h", 6379, 0, "me", "p@ss:"}));
  EXPECT_EQ(Address("redis://[::1]:6380/1"), (RedisAddress{"::1", 6380, 1, "", ""}));
  EXPECT_EQ(Address("redis://[::1]"), (RedisAddress{"::1", 6379, 0, "", ""}));
}

TEST(RedisUrlTest, RejectsWhatItCannotUseAndSaysWhy) {
  struct Case {
    std::string url, why;
  };
  for (const Case& c : std::vector<Case>{
           {"", "does not start with redis://"},
           {"http://h:1", "does not start with redis://"},
           {"127.0.0.1:6379", "does not start with redis://"},
           {"rediss://h:1", "TLS"},
           {"redis://", "host is empty"},
           {"redis://:6379", "host is empty"},
           {"redis://h:", "port is empty"},
           {"redis://h:0", "not 1-65535"},
           {"redis://h:65536", "not 1-65535"},
           {"redis://h:12ab", "not 1-65535"},
           {"redis://h:1/x", "database \"x\" is not a number"},
           {"redis://h:1/-1", "is not a number"},
           {"redis://h?db=1", "query parameters"},
           {"redis://[::1", "lacks its ']'"},
           {"redis://[::1]x", "unexpected text"},
           {"redis://:p%zz@h", "bad % escape in the password"},
       }) {
    auto a = ParseRedisUrl(c.url);
    ASSERT_FALSE(a.ok()) << c.url;
    EXPECT_EQ(a.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(a.status().message(), HasSubstr(c.why)) << c.url;
    EXPECT_THAT(a.status().message(), HasSubstr("\"" + c.url + "\""));
  }
}

// --- Connecting --------------------------------------------------------------------------

TEST(RedisStoreTest, UnreachableServerFailsQuicklyWithAClearError) {
  const int port = FreePort();  // nothing listens there
  RedisStore store(Address("redis://127.0.0.1:" + std::to_string(port)));
  const auto start = std::chrono::steady_clock::now();
  auto r = store.Add("k", 1);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_EQ(r.status().message(), "cannot connect to Redis at 127.0.0.1:" + std::to_string(port) +
                                      ": Connection refused");
  EXPECT_LT(took, seconds(1));
  Status health = store.Health();
  EXPECT_EQ(health.code(), Code::kUnavailable);
  EXPECT_THAT(health.message(), StartsWith("cannot connect to Redis at 127.0.0.1:"));
}

TEST(RedisStoreTest, UnknownHostFailsWithAClearError) {
  RedisStore store(Address("redis://no-such-host.invalid:6379"));
  auto r = store.Get("k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_THAT(r.status().message(),
              StartsWith("cannot connect to Redis at no-such-host.invalid:6379: "));
}

// A listening socket that never answers: connects succeed (the kernel completes them),
// commands get no reply.
class SilentServer {
 public:
  SilentServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentServer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(RedisStoreTest, ServerThatDoesNotAnswerTimesOut) {
  SilentServer silent;
  RedisOptions options;
  options.command_timeout = milliseconds(200);
  RedisStore store(Address("redis://127.0.0.1:" + std::to_string(silent.port())), options);
  const auto start = std::chrono::steady_clock::now();
  auto r = store.Push("k", "v");
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kDeadlineExceeded);
  EXPECT_EQ(r.status().message(), "Redis at 127.0.0.1:" + std::to_string(silent.port()) +
                                      " did not answer LPUSH within 200 ms");
  EXPECT_GE(took, milliseconds(150));
  EXPECT_LT(took, seconds(2));
}

TEST(RedisStoreTest, HandshakeOnASilentServerTimesOutAtConnect) {
  SilentServer silent;
  RedisOptions options;
  options.connect_timeout = milliseconds(200);
  RedisStore store(Address("redis://127.0.0.1:" + std::to_string(silent.port()) + "/1"), options);
  const auto start = std::chrono::steady_clock::now();
  auto r = store.Get("k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_THAT(r.status().message(), StartsWith("cannot connect to Redis at 127.0.0.1:"));
  EXPECT_THAT(r.status().message(), HasSubstr("SELECT failed"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(2));
}

class RedisServerTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }
  void StartServer(std::vector<std::string> args) {
    WC_REQUIRE_TOOL(!RedisServer::Binary().empty(), "redis-server");
    auto s = RedisServer::Start(std::move(args));
    ASSERT_TRUE(Ok(s));
    server_ = std::move(*s);
  }
  std::string Redis(const std::vector<std::string>& args, int db = 0) {
    auto r = server_->Command(args, db);
    EXPECT_TRUE(Ok(r));
    return r.ok() ? *r : "";
  }
  std::unique_ptr<RedisServer> server_;
};

TEST_F(RedisServerTest, WritesAreWhatRedisHolds) {
  RedisStore store(Address(server_->Url()));
  ASSERT_TRUE(Ok(store.Set("s", "v", seconds(0))));
  ASSERT_TRUE(Ok(store.Add("n", 7)));
  ASSERT_TRUE(Ok(store.Push("l", "a")));
  ASSERT_TRUE(Ok(store.Push("l", "b")));
  ASSERT_TRUE(Ok(store.SetAdd("set", "m")));
  EXPECT_EQ(Redis({"GET", "s"}), "v");
  EXPECT_EQ(Redis({"GET", "n"}), "7");
  EXPECT_EQ(Redis({"LRANGE", "l", "0", "-1"}), "b\na");  // LPUSH: newest first
  EXPECT_EQ(Redis({"TYPE", "set"}), "set");
  EXPECT_EQ(Redis({"SMEMBERS", "set"}), "m");
}

TEST_F(RedisServerTest, ExpiryIsRedisTtl) {
  RedisStore store(Address(server_->Url()));
  ASSERT_TRUE(Ok(store.Set("k", "v", seconds(100))));
  const int ttl = std::stoi(Redis({"TTL", "k"}));
  EXPECT_GT(ttl, 90);
  EXPECT_LE(ttl, 100);
  ASSERT_TRUE(Ok(store.Add("k2", 1)));
  ASSERT_TRUE(Ok(store.Set("k2", "5", seconds(100))));
  ASSERT_TRUE(Ok(store.Add("k2", 1)));
  EXPECT_GT(std::stoi(Redis({"TTL", "k2"})), 90);  // INCRBY keeps the TTL
  ASSERT_TRUE(Ok(store.Set("k", "v", seconds(0))));
  EXPECT_EQ(Redis({"TTL", "k"}), "-1");  // SET without EX drops it
  ASSERT_TRUE(Ok(store.Set("neg", "v", seconds(-3))));
  EXPECT_EQ(Redis({"TTL", "neg"}), "-1");

  // And the key does go: 1 s is the shortest EX.
  ASSERT_TRUE(Ok(store.Set("short", "v", seconds(1))));
  const auto deadline = std::chrono::steady_clock::now() + seconds(5);
  while (*store.KeyExists("short") && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_FALSE(*store.KeyExists("short"));
  EXPECT_FALSE(store.Get("short")->has_value());
}

TEST_F(RedisServerTest, DatabaseFromTheUrl) {
  RedisStore store(Address(server_->Url(5)));
  ASSERT_TRUE(Ok(store.Set("k", "in five", seconds(0))));
  EXPECT_EQ(Redis({"GET", "k"}, 5), "in five");
  EXPECT_EQ(Redis({"GET", "k"}, 0), "(nil)");

  RedisStore bad(Address(server_->Url(99)));  // the default config has 16 databases
  auto r = bad.Get("k");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("refused SELECT: ERR DB index is out of range"));
}

TEST_F(RedisServerTest, PasswordFromTheUrl) {
  server_.reset();
  StartServer({"--requirepass", "s3cret"});
  const std::string where = "127.0.0.1:" + std::to_string(server_->port());

  RedisStore good(Address("redis://:s3cret@" + where));
  ASSERT_TRUE(Ok(good.Set("k", "v", seconds(0))));
  EXPECT_EQ(Redis({"GET", "k"}), "v");
  RedisStore with_user(Address("redis://default:s3cret@" + where));
  EXPECT_EQ(*with_user.Get("k"), "v");

  RedisStore wrong(Address("redis://:nope@" + where));
  auto r = wrong.Get("k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(r.status().message(), StartsWith("Redis at " + where + " refused AUTH: WRONGPASS"));

  RedisStore none(Address("redis://" + where));
  r = none.Get("k");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(r.status().message(), StartsWith("NOAUTH"));
}

TEST_F(RedisServerTest, ReconnectsAfterTheServerRestarts) {
  RedisStore store(Address(server_->Url()));
  EXPECT_EQ(*store.Add("n", 1), 1);  // leaves a connection in the pool

  server_->Kill();
  auto down = store.Add("n", 1);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), Code::kUnavailable);
  EXPECT_THAT(down.status().message(), HasSubstr("Redis at 127.0.0.1:"));
  EXPECT_EQ(store.Health().code(), Code::kUnavailable);

  ASSERT_TRUE(Ok(server_->Restart()));
  EXPECT_EQ(*store.Add("n", 1), 1);  // a fresh server: persistence is off
  EXPECT_TRUE(Ok(store.Health()));
}

TEST_F(RedisServerTest, PooledConnectionsClosedByTheServerAreReplacedTransparently) {
  RedisStore store(Address(server_->Url()));
  ASSERT_TRUE(Ok(store.Set("k", "v", seconds(0))));
  // The server drops every client connection (as on an idle timeout): the pooled
  // connection is dead, but the command goes through on a new one, once.
  Redis({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  EXPECT_EQ(*store.Add("n", 1), 1);
  EXPECT_EQ(Redis({"GET", "n"}), "1");
  EXPECT_EQ(*store.Get("k"), "v");
}

TEST_F(RedisServerTest, ConcurrentCallersShareThePoolAndLoseNoUpdate) {
  RedisOptions options;
  options.max_idle_connections = 2;  // fewer than threads: some connections are closed
  RedisStore store(Address(server_->Url()), options);
  constexpr int kThreads = 6;
  constexpr int kEach = 300;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (!store.Add("n", 1).ok() || !store.Push("l", "x").ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Redis({"GET", "n"}), std::to_string(kThreads * kEach));
  EXPECT_EQ(Redis({"LLEN", "l"}), std::to_string(kThreads * kEach));
  // Idle connections are capped: the test's own connection plus at most two.
  const std::string info = Redis({"INFO", "clients"});
  const size_t at = info.find("connected_clients:");
  ASSERT_NE(at, std::string::npos) << info;
  EXPECT_LE(std::stoi(info.substr(at + 18)), 3) << info;
}

TEST_F(RedisServerTest, StoresAreIndependentOfEachOther) {
  auto a = std::make_unique<RedisStore>(Address(server_->Url()));
  RedisStore b(Address(server_->Url()));
  ASSERT_TRUE(Ok(a->Add("n", 1)));
  a.reset();  // closes its connections, nothing else
  EXPECT_EQ(*b.Add("n", 1), 2);
}

}  // namespace
}  // namespace wasmcloud::keyvalue
