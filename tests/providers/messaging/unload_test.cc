// The provider library loaded, stopped and unloaded several times in one process that,
// like the host, does not link libnats itself: libnats arrives with the first load and
// stays (pinned) while the provider's own library really goes; each later load finds
// libnats' global state as the previous instance left it, and works. Messages go
// through a raw-protocol publisher and the actor's own Publish. Then the same with
// CLIENT_JWT/CLIENT_SEED against an operator-mode server that restarts while linked:
// libnats reconnects and authenticates again without calling the provider (its
// NatsConnection has no callbacks), and after the unload libnats' threads finish their
// work without touching the unmapped library.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "nats_auth.h"
#include "nats_server.h"
#include "provider/native_library.h"
#include "provider/provider.h"
#include "support/require_tool.h"
#include "support/run_command.h"
#include "wire/messaging.h"

namespace wasmcloud::messaging {
namespace {

using testing::NatsOperatorAuth;
using testing::NatsServer;

constexpr char kLibrary[] = WC_MESSAGING_PROVIDER;
const std::string kActor = "MAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

std::string Maps() {
  std::ifstream in("/proc/self/maps");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class CountingHost final : public provider::ProviderHost {
 public:
  Result<Bytes> CallActor(std::string_view, std::string_view, ByteView payload) override {
    auto m = wire::DecodeBrokerMessage(payload);
    std::lock_guard lock(mu_);
    if (m.ok()) bodies_.emplace_back(AsChars(m->body));
    changed_.notify_all();
    return Bytes{};
  }
  void Log(LogLevel, std::string_view) override {}
  std::vector<std::string> WaitFor(size_t n) {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, std::chrono::seconds(10), [&] { return bodies_.size() >= n; });
    return bodies_;
  }
  // Waits until a body equal to `body` arrived.
  bool WaitForBody(const std::string& body) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] {
      return std::find(bodies_.begin(), bodies_.end(), body) != bodies_.end();
    });
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> bodies_;
};

TEST(MessagingUnloadTest, LoadStopUnloadAndLoadAgainWithLibnatsPinned) {
  WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
  ASSERT_EQ(Maps().find("libnats"), std::string::npos)
      << "this test must not link libnats: the provider brings it";
  auto server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().message();

  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    CountingHost host;
    auto p = provider::LoadNativeProvider(kLibrary, "wasmcloud:messaging");
    ASSERT_TRUE(p.ok()) << p.status().message();
    ASSERT_TRUE((*p)->Start(&host).ok());
    Status bound = (*p)->BindActor(kActor, {{"URL", (*server)->Url()}, {"SUBSCRIPTION", "loop"}});
    ASSERT_TRUE(bound.ok()) << bound.message();
    ASSERT_TRUE((*server)->Publish("loop", "from outside").ok());
    // The actor's own Publish comes back to it through its subscription.
    auto published = (*p)->HandleCall(
        kActor, "Publish", wire::Encode(wire::PublishArgs{"loop", "", ToBytes("from the actor")}));
    ASSERT_TRUE(published.ok()) << published.status().message();
    EXPECT_THAT(host.WaitFor(2), ::testing::ElementsAre("from outside", "from the actor"));
    // Deliveries in progress while Stop runs.
    for (int i = 0; i < 50; ++i) ASSERT_TRUE((*server)->Publish("loop", "more").ok());
    (*p)->Stop();
    p->reset();  // destroy and dlclose

    const std::string maps = Maps();
    EXPECT_EQ(maps.find("libwasmcloud_messaging"), std::string::npos)
        << "the provider library is still mapped after its last reference went";
    EXPECT_NE(maps.find("libnats"), std::string::npos) << "libnats was unloaded";
    // Messages keep coming to a server nobody here listens to any more; libnats' own
    // threads keep running in the process and must not touch the unloaded library.
    ASSERT_TRUE((*server)->Publish("loop", "after").ok());
  }
}

TEST(MessagingUnloadTest, CredentialsAndReconnectsNeverCallTheUnloadedLibrary) {
  WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
  // (libnats may be pinned here already, by the test above.)
  NatsOperatorAuth auth;
  const std::string dir = wasmcloud::testing::MakeTempDir();
  auto args = auth.ServerArgs(dir);
  ASSERT_TRUE(args.ok()) << args.status().message();
  auto server = NatsServer::Start(*args);
  ASSERT_TRUE(server.ok()) << server.status().message();
  // The .creds files the provider's connections write go here.
  const std::string tmpdir = wasmcloud::testing::MakeTempDir();
  const char* old_tmpdir = std::getenv("TMPDIR");
  const std::string saved = old_tmpdir != nullptr ? old_tmpdir : "";
  setenv("TMPDIR", tmpdir.c_str(), 1);
  auto files = [&] {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(tmpdir)) ++n;
    return n;
  };

  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const auto user = auth.User("wc-test-actor");
    CountingHost host;
    auto p = provider::LoadNativeProvider(kLibrary, "wasmcloud:messaging");
    ASSERT_TRUE(p.ok()) << p.status().message();
    ASSERT_TRUE((*p)->Start(&host).ok());
    Status bound = (*p)->BindActor(kActor, {{"URL", (*server)->Url()},
                                            {"SUBSCRIPTION", "loop"},
                                            {"CLIENT_JWT", user.jwt},
                                            {"CLIENT_SEED", user.seed}});
    ASSERT_TRUE(bound.ok()) << bound.message();
    EXPECT_EQ(files(), 1u);
    auto publish = [&](const std::string& body) {
      return (*p)->HandleCall(kActor, "Publish",
                              wire::Encode(wire::PublishArgs{"loop", "", ToBytes(body)}));
    };
    ASSERT_TRUE(publish("before").ok());
    EXPECT_TRUE(host.WaitForBody("before"));

    // The server restarts under the link: libnats reconnects and signs the new nonce
    // from the .creds file, on its own threads, calling nothing of the provider.
    (*server)->Kill();
    ASSERT_TRUE((*server)->Restart().ok());
    bool healed = false;
    for (int i = 0; i < 500 && !healed; ++i) {
      healed = publish("after the restart").ok() && host.WaitForBody("after the restart");
      if (!healed) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(healed) << "the link did not come back after the server restarted";

    (*p)->Stop();
    p->reset();  // destroy and dlclose
    EXPECT_EQ(files(), 0u) << "the .creds file outlived the link";
    EXPECT_EQ(Maps().find("libwasmcloud_messaging"), std::string::npos);
    // Whatever libnats' threads still do for the closed connections, they do it now,
    // with the library gone.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  if (old_tmpdir != nullptr) {
    setenv("TMPDIR", saved.c_str(), 1);
  } else {
    unsetenv("TMPDIR");
  }
  std::filesystem::remove_all(tmpdir);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wasmcloud::messaging
