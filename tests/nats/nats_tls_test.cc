// NatsConnection over TLS against real nats-servers with TLS (certificates made by
// openssl for the test: tests/support/test_pki.h): the server verified against a CA file,
// or against the system's CAs (SSL_CERT_FILE pointed at the test's CA) for a tls:// URL;
// mutual TLS with a client certificate; and each way TLS cannot work failing at once with
// its reason instead of being retried until the connect timeout: an untrusted server, a
// server that requires TLS when it was not asked for, a server without TLS, a server
// that wants a client certificate (none, or one of another CA), unreadable or unmatched
// files. With and without connection callbacks (the lattice's mode and the messaging
// provider's).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nats/nats.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "nats/nats_connection.h"
#include "providers/messaging/nats_server.h"
#include "support/require_tool.h"
#include "support/run_command.h"
#include "support/test_pki.h"

namespace wasmcloud::nats {
namespace {

using messaging::testing::NatsServer;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

class NatsTlsTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
    WC_REQUIRE_TOOL(!testing::RunCommand({"openssl", "version"}).out.empty(), "openssl");
    std::filesystem::create_directories(dir_ + "/a");
    std::filesystem::create_directories(dir_ + "/b");
    auto pki = testing::MakeTestPki(dir_ + "/a");
    ASSERT_TRUE(pki.ok()) << pki.status().message();
    pki_ = *pki;
    auto other = testing::MakeTestPki(dir_ + "/b");  // another CA and its certificates
    ASSERT_TRUE(other.ok()) << other.status().message();
    other_ = *other;
  }
  void TearDown() override {
    unsetenv("SSL_CERT_FILE");
    std::filesystem::remove_all(dir_);
  }

  // A server that requires TLS; `verify`: and a client certificate signed by its CA.
  std::unique_ptr<NatsServer> TlsServer(bool verify) {
    std::vector<std::string> args = {"--tlscert", pki_.server_cert, "--tlskey", pki_.server_key};
    if (verify) {
      args.insert(args.end(), {"--tlsverify", "--tlscacert", pki_.ca_cert});
    } else {
      args.push_back("--tls");
    }
    auto server = NatsServer::Start(args);
    EXPECT_TRUE(server.ok()) << server.status().message();
    return server.ok() ? std::move(*server) : nullptr;
  }

  NatsConnectionOptions Options(const std::string& url) const {
    NatsConnectionOptions o;
    o.servers = {url};
    o.name = "nats_tls_test";
    o.callbacks = GetParam();
    o.connect_timeout = milliseconds(5000);
    return o;
  }

  static std::string Url(const NatsServer& server, const std::string& scheme = "nats") {
    return scheme + "://127.0.0.1:" + std::to_string(server.port());
  }

  std::string dir_ = testing::MakeTempDir();
  testing::TestPki pki_, other_;
};

// A message goes out and comes back on the connection: it really works.
void ExpectRoundTrip(NatsConnection& c) {
  natsSubscription* sub = nullptr;
  ASSERT_EQ(natsConnection_SubscribeSync(&sub, c.raw(), "tls.echo"), NATS_OK);
  ASSERT_EQ(natsConnection_PublishString(c.raw(), "tls.echo", "over TLS"), NATS_OK);
  natsMsg* msg = nullptr;
  ASSERT_EQ(natsSubscription_NextMsg(&msg, sub, 5000), NATS_OK);
  EXPECT_EQ(std::string(natsMsg_GetData(msg), natsMsg_GetDataLength(msg)), "over TLS");
  natsMsg_Destroy(msg);
  natsSubscription_Destroy(sub);
}

// A failure that must come at once, not after connect_timeout of retries.
template <typename F>
Result<std::shared_ptr<NatsConnection>> Timed(F connect, milliseconds* took) {
  const auto start = Clock::now();
  auto r = connect();
  *took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  return r;
}

TEST_P(NatsTlsTest, TheServerIsVerifiedAgainstTheCaFile) {
  auto server = TlsServer(false);
  ASSERT_TRUE(server);
  NatsConnectionOptions o = Options(Url(*server));
  o.tls = true;
  o.tls_ca_file = pki_.ca_cert;
  auto c = NatsConnection::Connect(o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ExpectRoundTrip(**c);
  // The CA file alone turns TLS on; localhost is in the certificate too.
  NatsConnectionOptions by_name = Options("nats://localhost:" + std::to_string(server->port()));
  by_name.tls_ca_file = pki_.ca_cert;
  auto named = NatsConnection::Connect(by_name);
  ASSERT_TRUE(named.ok()) << named.status().ToString();
  ExpectRoundTrip(**named);
}

TEST_P(NatsTlsTest, ATlsUrlIsVerifiedAgainstTheSystemsCas) {
  auto server = TlsServer(false);
  ASSERT_TRUE(server);
  setenv("SSL_CERT_FILE", pki_.ca_cert.c_str(), 1);  // the system's CAs, as OpenSSL finds them
  auto c = NatsConnection::Connect(Options(Url(*server, "tls")));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ExpectRoundTrip(**c);

  // A CA file is trusted besides the system's CAs, not instead of them (libnats 3.4.1
  // always loads OpenSSL's defaults): docs/lattice.md#tls says so.
  NatsConnectionOptions both = Options(Url(*server, "tls"));
  both.tls_ca_file = other_.ca_cert;
  auto added = NatsConnection::Connect(both);
  ASSERT_TRUE(added.ok()) << added.status().ToString();

  setenv("SSL_CERT_FILE", other_.ca_cert.c_str(), 1);  // a system that does not trust it
  milliseconds took{};
  auto refused =
      Timed([&] { return NatsConnection::Connect(Options(Url(*server, "tls"))); }, &took);
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition) << refused.status().ToString();
  EXPECT_THAT(refused.status().message(),
              HasSubstr("TLS with NATS at " + Url(*server, "tls") + " failed: "));
  EXPECT_THAT(refused.status().message(), HasSubstr("unable to get local issuer certificate"));
  EXPECT_LT(took, milliseconds(4000)) << "a TLS failure is not retried";
}

TEST_P(NatsTlsTest, AServerOfAnotherCaIsRefusedAtOnce) {
  auto server = TlsServer(false);
  ASSERT_TRUE(server);
  NatsConnectionOptions o = Options(Url(*server));
  o.tls_ca_file = other_.ca_cert;
  milliseconds took{};
  auto c = Timed([&] { return NatsConnection::Connect(o); }, &took);
  EXPECT_EQ(c.status().code(), Code::kFailedPrecondition) << c.status().ToString();
  EXPECT_THAT(c.status().message(), HasSubstr("TLS with NATS at " + Url(*server) + " failed: "));
  EXPECT_THAT(c.status().message(), HasSubstr("unable to get local issuer certificate"));
  EXPECT_LT(took, milliseconds(4000));
}

TEST_P(NatsTlsTest, AServerThatRequiresTlsSaysSoWhenItWasNotAskedFor) {
  auto server = TlsServer(false);
  ASSERT_TRUE(server);
  milliseconds took{};
  auto c = Timed([&] { return NatsConnection::Connect(Options(Url(*server))); }, &took);
  EXPECT_EQ(c.status().code(), Code::kFailedPrecondition) << c.status().ToString();
  EXPECT_THAT(c.status().message(),
              HasSubstr("NATS at " + Url(*server) + " requires TLS, which was not asked for"));
  EXPECT_LT(took, milliseconds(4000));
}

TEST_P(NatsTlsTest, AServerWithoutTlsSaysSo) {
  auto server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().message();
  NatsConnectionOptions o = Options(Url(**server));
  o.tls_ca_file = pki_.ca_cert;
  milliseconds took{};
  auto c = Timed([&] { return NatsConnection::Connect(o); }, &took);
  EXPECT_EQ(c.status().code(), Code::kFailedPrecondition) << c.status().ToString();
  EXPECT_THAT(c.status().message(), HasSubstr("NATS at " + Url(**server) + " does not offer TLS"));
  EXPECT_LT(took, milliseconds(4000));
}

TEST_P(NatsTlsTest, MutualTlsNeedsAClientCertificateOfTheServersCa) {
  auto server = TlsServer(true);
  ASSERT_TRUE(server);
  NatsConnectionOptions o = Options(Url(*server));
  o.tls_ca_file = pki_.ca_cert;

  milliseconds took{};
  auto none = Timed([&] { return NatsConnection::Connect(o); }, &took);
  EXPECT_EQ(none.status().code(), Code::kFailedPrecondition) << none.status().ToString();
  EXPECT_THAT(none.status().message(),
              HasSubstr("NATS at " + Url(*server) +
                        " closed the connection after the TLS handshake (does it require a "
                        "client certificate?)"));
  EXPECT_LT(took, milliseconds(4000));

  NatsConnectionOptions foreign = o;
  foreign.tls_cert_file = other_.client_cert;
  foreign.tls_key_file = other_.client_key;
  auto untrusted = NatsConnection::Connect(foreign);
  EXPECT_EQ(untrusted.status().code(), Code::kFailedPrecondition) << untrusted.status().ToString();
  EXPECT_THAT(untrusted.status().message(),
              HasSubstr("(does it require a client certificate that it trusts?)"));

  o.tls_cert_file = pki_.client_cert;
  o.tls_key_file = pki_.client_key;
  auto c = NatsConnection::Connect(o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ExpectRoundTrip(**c);
}

TEST_P(NatsTlsTest, UnusableFilesAreRefusedBeforeConnecting) {
  // No server at all: the files are checked first.
  NatsConnectionOptions o =
      Options("nats://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()));
  o.tls_ca_file = dir_ + "/missing.pem";
  auto missing = NatsConnection::Connect(o);
  EXPECT_EQ(missing.status().code(), Code::kInvalidArgument);
  EXPECT_EQ(missing.status().message(),
            "NATS TLS CA file " + dir_ + "/missing.pem cannot be read: No such file or directory");

  o.tls_ca_file = pki_.server_key;  // not a certificate
  auto not_ca = NatsConnection::Connect(o);
  EXPECT_EQ(not_ca.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(not_ca.status().message(), HasSubstr("NATS TLS CA file " + pki_.server_key + ": "));

  o.tls_ca_file = pki_.ca_cert;
  o.tls_cert_file = pki_.client_cert;
  auto no_key = NatsConnection::Connect(o);
  EXPECT_EQ(no_key.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(no_key.status().message(), HasSubstr("a client certificate needs its key"));

  o.tls_key_file = pki_.server_key;  // another key than the certificate's
  auto mismatch = NatsConnection::Connect(o);
  EXPECT_EQ(mismatch.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(mismatch.status().message(),
              HasSubstr("NATS TLS client certificate " + pki_.client_cert + " with key " +
                        pki_.server_key + ": "));
  EXPECT_THAT(mismatch.status().message(), HasSubstr("key values mismatch"));
}

INSTANTIATE_TEST_SUITE_P(Callbacks, NatsTlsTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "WithCallbacks" : "WithoutCallbacks";
                         });

}  // namespace
}  // namespace wasmcloud::nats
