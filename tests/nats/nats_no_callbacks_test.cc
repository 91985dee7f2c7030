// NatsConnection with NatsConnectionOptions::callbacks false (the messaging provider's
// mode: code in a library the host unloads, which libnats must never call) against real
// nats-servers: publish, subscribe and request through raw(); a failed first connect
// fails at once instead of retrying; jwt + seed against an operator-mode server (an
// operator, an account and users made like `nsc` makes them) through a .creds file of
// mode 0600 that lives as long as the connection and serves reconnects; an nkey seed
// alone; wrong credentials; and nothing logged. That libnats calls nothing of an
// unloaded library is checked by messaging_unload_test, which unloads the provider.
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "nats/nats_connection.h"
#include "providers/messaging/nats_auth.h"
#include "providers/messaging/nats_server.h"
#include "support/require_tool.h"
#include "support/run_command.h"

namespace wasmcloud::nats {
namespace {

using messaging::testing::FreePort;
using messaging::testing::MakeNkeyUser;
using messaging::testing::NatsOperatorAuth;
using messaging::testing::NatsServer;
using messaging::testing::NatsUserCredentials;
using messaging::testing::NkeyServerArgs;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Clock = std::chrono::steady_clock;

template <typename Condition>
bool WaitUntil(Condition condition, milliseconds limit = milliseconds(10000)) {
  const auto deadline = Clock::now() + limit;
  while (!condition()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return true;
}

NatsConnectionOptions Options(const NatsServer& server) {
  NatsConnectionOptions options;
  options.servers = {server.Url()};
  options.name = "nats_no_callbacks_test";
  options.connect_timeout = milliseconds(2000);
  options.reconnect_wait = milliseconds(50);
  options.callbacks = false;
  return options;
}

// Answers every request on `subject` with "re: <body>" on a thread of its own (no
// libnats callback), until destroyed.
class Responder {
 public:
  Responder(NatsConnection& connection, const std::string& subject) {
    EXPECT_EQ(natsConnection_SubscribeSync(&sub_, connection.raw(), subject.c_str()), NATS_OK);
    EXPECT_EQ(natsConnection_FlushTimeout(connection.raw(), 2000), NATS_OK);
    nc_ = connection.raw();
    thread_ = std::thread([this] {
      for (;;) {
        natsMsg* msg = nullptr;
        const natsStatus s = natsSubscription_NextMsg(&msg, sub_, 100);
        if (s == NATS_TIMEOUT) continue;
        if (s != NATS_OK) break;
        const std::string reply =
            "re: " + std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg));
        if (natsMsg_GetReply(msg) != nullptr) {
          natsConnection_PublishString(nc_, natsMsg_GetReply(msg), reply.c_str());
        }
        natsMsg_Destroy(msg);
      }
      nats_ReleaseThreadMemory();
    });
  }
  ~Responder() {
    natsSubscription_Unsubscribe(sub_);
    thread_.join();
    natsSubscription_Destroy(sub_);
  }

 private:
  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
  std::thread thread_;
};

// The body of the reply to a request, or "<natsStatus text>".
std::string Ask(NatsConnection& connection, const std::string& subject, const std::string& body) {
  natsMsg* reply = nullptr;
  const natsStatus s =
      natsConnection_RequestString(&reply, connection.raw(), subject.c_str(), body.c_str(), 2000);
  if (s != NATS_OK) return std::string("<") + natsStatus_GetText(s) + ">";
  std::string out(natsMsg_GetData(reply), natsMsg_GetDataLength(reply));
  natsMsg_Destroy(reply);
  return out;
}

// $TMPDIR pointed at a directory of its own for the test, so that the credentials files
// NatsConnection writes can be seen.
class NoCallbacksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
    const char* old = std::getenv("TMPDIR");
    had_tmpdir_ = old != nullptr;
    if (had_tmpdir_) old_tmpdir_ = old;
    tmpdir_ = wasmcloud::testing::MakeTempDir();
    setenv("TMPDIR", tmpdir_.c_str(), 1);
    SetLogSink([this](LogLevel, std::string_view component, std::string_view msg) {
      std::lock_guard lock(mu_);
      lines_.push_back(std::string(component) + ": " + std::string(msg));
    });
  }
  void TearDown() override {
    SetLogSink(nullptr);
    if (tmpdir_.empty()) return;
    if (had_tmpdir_) {
      setenv("TMPDIR", old_tmpdir_.c_str(), 1);
    } else {
      unsetenv("TMPDIR");
    }
    std::error_code ec;
    std::filesystem::remove_all(tmpdir_, ec);
  }

  // The files in the test's $TMPDIR.
  std::vector<std::filesystem::path> TempFiles() const {
    std::vector<std::filesystem::path> out;
    for (const auto& e : std::filesystem::directory_iterator(tmpdir_)) out.push_back(e.path());
    return out;
  }
  std::vector<std::string> Lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

  std::string tmpdir_;

 private:
  bool had_tmpdir_ = false;
  std::string old_tmpdir_;
  std::mutex mu_;
  std::vector<std::string> lines_;
};

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(NoCallbacksTest, PublishesSubscribesAndRequestsThroughRaw) {
  auto server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().message();
  auto a = NatsConnection::Connect(Options(**server));
  ASSERT_TRUE(a.ok()) << a.status().message();
  auto b = NatsConnection::Connect(Options(**server));
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_TRUE((*a)->connected());
  EXPECT_EQ((*a)->max_payload(), 1024u * 1024u);

  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, (*a)->raw(), "events.>"), NATS_OK);
  ASSERT_EQ(natsConnection_FlushTimeout((*a)->raw(), 2000), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString((*b)->raw(), "events.one", "hello"), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sub, 5000), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetSubject(msg)), "events.one");
  EXPECT_EQ(std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)), "hello");
  natsMsg_Destroy(msg);
  natsSubscription_Destroy(sub);

  {
    Responder responder(**a, "svc");
    EXPECT_EQ(Ask(**b, "svc", "ping"), "re: ping");
  }
  EXPECT_EQ(Ask(**b, "nobody.listens", "x"), "<No responders available for request>");

  // Close flushes and closes; later use fails; Close again is harmless.
  (*b)->Close();
  EXPECT_FALSE((*b)->connected());
  EXPECT_EQ(natsConnection_PublishString((*b)->raw(), "events.two", "late"),
            NATS_CONNECTION_CLOSED);
  (*b)->Close();

  // Nothing logged (the library's log facade is not the host's), no file written.
  EXPECT_THAT(Lines(), ::testing::IsEmpty());
  EXPECT_THAT(TempFiles(), ::testing::IsEmpty());
}

TEST_F(NoCallbacksTest, ConnectionEventsNeedCallbacks) {
  NatsConnectionOptions options;
  options.servers = {"nats://127.0.0.1:4222"};
  options.callbacks = false;
  options.on_event = [](const NatsConnectionEvent&) {};
  auto c = NatsConnection::Connect(std::move(options));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "NATS connection options: on_event needs callbacks");
}

TEST_F(NoCallbacksTest, AServerThatIsNotThereFailsAtOnceWithoutRetrying) {
  const std::string nobody = "nats://127.0.0.1:" + std::to_string(FreePort());
  NatsConnectionOptions options;
  options.servers = {nobody, "nats://u:secret@127.0.0.1:" + std::to_string(FreePort())};
  options.connect_timeout = milliseconds(2000);
  options.callbacks = false;
  const auto start = Clock::now();
  auto c = NatsConnection::Connect(std::move(options));
  ASSERT_FALSE(c.ok());
  // A refused TCP connection fails each server at once: no retry for connect_timeout.
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_EQ(c.status().code(), Code::kUnavailable);
  EXPECT_THAT(c.status().message(),
              StartsWith("cannot connect to NATS at " + nobody + ",nats://u:***@127.0.0.1:"));
  EXPECT_THAT(c.status().message(), HasSubstr(": No server available for connection"));
  EXPECT_THAT(c.status().message(), ::testing::Not(HasSubstr("secret")));
}

TEST_F(NoCallbacksTest, JwtAndSeedAgainstAnOperatorModeServer) {
  NatsOperatorAuth auth;
  const std::string dir = wasmcloud::testing::MakeTempDir();
  auto args = auth.ServerArgs(dir);
  ASSERT_TRUE(args.ok()) << args.status().message();
  auto server = NatsServer::Start(*args);
  ASSERT_TRUE(server.ok()) << server.status().message();

  const NatsUserCredentials user = auth.User("wc-test-user");
  NatsConnectionOptions options = Options(**server);
  options.jwt = user.jwt;
  options.seed = user.seed;
  auto c = NatsConnection::Connect(options);
  ASSERT_TRUE(c.ok()) << c.status().message();

  // The chained .creds file libnats reads: mode 0600, in $TMPDIR, while connected.
  std::vector<std::filesystem::path> files = TempFiles();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_THAT(files[0].filename().string(), StartsWith("wasmcloud-nats-"));
  EXPECT_EQ(files[0].extension(), ".creds");
  struct stat st {};
  ASSERT_EQ(stat(files[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string text = ReadAll(files[0]);
  EXPECT_THAT(text, HasSubstr("-----BEGIN NATS USER JWT-----\n" + user.jwt + "\n"));
  EXPECT_THAT(text, HasSubstr("-----BEGIN USER NKEY SEED-----\n" + user.seed + "\n"));

  // Another user of the account answers; requests go through.
  const NatsUserCredentials other = auth.User("wc-test-responder");
  NatsConnectionOptions responder_options = Options(**server);
  responder_options.jwt = other.jwt;
  responder_options.seed = other.seed;
  auto r = NatsConnection::Connect(responder_options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(TempFiles().size(), 2u);
  {
    Responder responder(**r, "svc");
    EXPECT_EQ(Ask(**c, "svc", "one"), "re: one");

    // The server restarts: libnats reconnects, reading the .creds file again (no
    // callback), and the subscription is restored.
    (*server)->Kill();
    ASSERT_TRUE(WaitUntil([&] { return !(*c)->connected() && !(*r)->connected(); }));
    ASSERT_TRUE((*server)->Restart().ok());
    ASSERT_TRUE(WaitUntil([&] { return (*c)->connected() && (*r)->connected(); }));
    ASSERT_EQ(natsConnection_FlushTimeout((*r)->raw(), 2000), NATS_OK);
    EXPECT_EQ(Ask(**c, "svc", "two"), "re: two");
  }

  // Destroyed: its file is gone.
  r->reset();
  c->reset();
  EXPECT_THAT(TempFiles(), ::testing::IsEmpty());
  EXPECT_THAT(Lines(), ::testing::IsEmpty());

  // The default mode (credentials callbacks) is unchanged against the same server.
  NatsConnectionOptions with_callbacks = options;
  with_callbacks.callbacks = true;
  auto d = NatsConnection::Connect(with_callbacks);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_THAT(TempFiles(), ::testing::IsEmpty());
  std::filesystem::remove_all(dir);
}

TEST_F(NoCallbacksTest, WrongJwtOrSeedIsUnauthenticated) {
  NatsOperatorAuth auth;
  const std::string dir = wasmcloud::testing::MakeTempDir();
  auto args = auth.ServerArgs(dir);
  ASSERT_TRUE(args.ok()) << args.status().message();
  auto server = NatsServer::Start(*args);
  ASSERT_TRUE(server.ok()) << server.status().message();

  // A user of an account the server does not know.
  const NatsUserCredentials stranger = auth.Stranger("wc-test-stranger");
  NatsConnectionOptions options = Options(**server);
  options.jwt = stranger.jwt;
  options.seed = stranger.seed;
  auto c = NatsConnection::Connect(options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnauthenticated) << c.status().message();
  EXPECT_THAT(c.status().message(),
              StartsWith("NATS at " + (*server)->Url() + " refused the credentials: "));

  // A known user's JWT with another key's seed: the nonce's signature does not match.
  const NatsUserCredentials user = auth.User("wc-test-user");
  options.jwt = user.jwt;
  options.seed = auth.User("wc-test-other").seed;
  c = NatsConnection::Connect(options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnauthenticated) << c.status().message();

  // No credentials at all.
  c = NatsConnection::Connect(Options(**server));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnauthenticated) << c.status().message();

  // Not a seed, or a JWT that would break the file: refused before connecting.
  options.seed = "SUNOTASEED";
  c = NatsConnection::Connect(options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(c.status().message(), StartsWith("NATS seed: "));
  options.seed = user.seed;
  options.jwt = user.jwt + "\n-----BEGIN USER NKEY SEED-----";
  c = NatsConnection::Connect(options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(c.status().message(), "NATS JWT: it contains a blank or a control character");

  // The files of the failed attempts are gone too.
  EXPECT_THAT(TempFiles(), ::testing::IsEmpty());
  std::filesystem::remove_all(dir);
}

TEST_F(NoCallbacksTest, AnNkeySeedAloneGoesThroughASeedFile) {
  const auto allowed = MakeNkeyUser();
  const std::string dir = wasmcloud::testing::MakeTempDir();
  auto args = NkeyServerArgs(dir, allowed.public_key);
  ASSERT_TRUE(args.ok()) << args.status().message();
  auto server = NatsServer::Start(*args);
  ASSERT_TRUE(server.ok()) << server.status().message();

  NatsConnectionOptions options = Options(**server);
  options.seed = allowed.seed;
  auto c = NatsConnection::Connect(options);
  ASSERT_TRUE(c.ok()) << c.status().message();
  std::vector<std::filesystem::path> files = TempFiles();
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].extension(), ".nk");
  struct stat st {};
  ASSERT_EQ(stat(files[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    Responder responder(**c, "svc");
    EXPECT_EQ(Ask(**c, "svc", "self"), "re: self");
    // Reconnects sign the new nonce from the file.
    (*server)->Kill();
    ASSERT_TRUE(WaitUntil([&] { return !(*c)->connected(); }));
    ASSERT_TRUE((*server)->Restart().ok());
    ASSERT_TRUE(WaitUntil([&] { return (*c)->connected(); }));
    EXPECT_EQ(Ask(**c, "svc", "again"), "re: again");
  }
  c->reset();
  EXPECT_THAT(TempFiles(), ::testing::IsEmpty());

  options.seed = MakeNkeyUser().seed;  // not the allowed key
  c = NatsConnection::Connect(options);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnauthenticated) << c.status().message();
  EXPECT_THAT(TempFiles(), ::testing::IsEmpty());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wasmcloud::nats
