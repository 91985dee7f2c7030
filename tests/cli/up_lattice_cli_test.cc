// Separate `wasmcloud up` processes joined into one lattice through a real nats-server
// with JetStream (started by the test on a free port, store in a temporary directory):
// an actor on host B answers a call made through another host, pinger reaches ponger on
// another host by its call alias, a link set on host A binds the keyvalue provider on
// host B and kvcounter on A counts there over HTTP, a host started late sees the link,
// the provider moved from B to C is bound on C, lattices with other names on the same
// server see none of it, and hosts join a lattice whose server requires mutual TLS.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "crypto/nkeys.h"
#include "nats/nats_transport.h"
#include "providers/messaging/nats_server.h"
#include "support/log_capture.h"
#include "support/require_tool.h"
#include "support/run_command.h"
#include "support/test_pki.h"
#include "support/up_process.h"
#include "wire/http.h"

namespace wasmcloud {
namespace {

using messaging::testing::NatsServer;
using testing::Eventually;
using testing::FixturePath;
using testing::RunCommand;
using testing::UpProcess;
using testing::WasmcloudBinary;

constexpr char kEcho[] = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr char kKvCounter[] = "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";
constexpr char kPinger[] = "MB2ZOJXL67TBHKRPHX6EE3PUAX7QASN3SDX4ALNPO272HB42IBYUA6BV";
constexpr char kHealthRequest[] = "81ab706c616365686f6c646572c3";
constexpr char kHealthResponse[] = "82a76865616c746879c3a76d657373616765a0";

class LatticeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
    auto server = NatsServer::Start({"-js", "-sd", dir_ + "/js"});
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(*server);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::vector<std::string> Lattice(const std::string& name = "default") const {
    return {"--rpc-host", "127.0.0.1", "--rpc-port", std::to_string(server_->port()),
            "--nsprefix", name};
  }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = dir_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  // `wasmcloud up` with a manifest, in the lattice; returns once it runs.
  std::unique_ptr<UpProcess> Up(const std::string& manifest_text,
                                const std::string& lattice = "default") {
    std::vector<std::string> args = {
        "up", "--manifest", Write("m" + std::to_string(++manifests_) + ".yaml", manifest_text)};
    for (const auto& a : Lattice(lattice)) args.push_back(a);
    auto up = std::make_unique<UpProcess>(args);
    EXPECT_TRUE(up->WaitFor("running until SIGINT or SIGTERM")) << up->log();
    return up;
  }
  // `wasmcloud call` through a host of its own in the lattice (with `manifest_text`).
  testing::CommandResult Call(const std::string& manifest_text, const std::string& actor,
                              const std::string& op, const std::string& hex,
                              const std::string& lattice = "default") {
    std::vector<std::string> args = {
        WasmcloudBinary(),
        "call",
        "--manifest",
        Write("c" + std::to_string(++manifests_) + ".yaml", manifest_text),
        actor,
        op,
        "--data-hex",
        hex,
        "--hex"};
    for (const auto& a : Lattice(lattice)) args.push_back(a);
    return RunCommand(args);
  }

  // A plain NATS connection to the test's server, for a responder of the test's own
  // (null, with a failure, when it cannot connect).
  std::shared_ptr<nats::NatsConnection> RawConnection(const std::string& name) const {
    nats::NatsConnectionOptions o;
    o.servers = {server_->Url()};
    o.name = name;
    auto connection = nats::NatsConnection::Connect(o);
    EXPECT_TRUE(connection.ok()) << connection.status().message();
    return connection.ok() ? *connection : nullptr;
  }

  std::string dir_ = testing::MakeTempDir();
  std::unique_ptr<NatsServer> server_;
  int manifests_ = 0;
};

std::string HttpGetHex(const std::string& path) {
  wire::HttpRequest r;
  r.method = "GET";
  r.path = path;
  return HexEncode(wire::Encode(r));
}

// The body of an httpserver Response given as hex.
std::string BodyOfHex(const std::string& hex_line) {
  std::string hex = hex_line;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  auto bytes = HexDecode(hex);
  if (!bytes.ok()) return "not hex: " + hex_line;
  auto r = wire::DecodeHttpResponse(*bytes);
  if (!r.ok()) return "not a Response: " + r.status().message();
  return std::string(AsChars(r->body));
}

TEST_F(LatticeCliTest, ActorsOnAnotherHostAnswerByKeyAndByCallAlias) {
  auto b = Up("actors:\n  - " + FixturePath("wc-host-0.18/echo.wasm") + "\n  - " +
              FixturePath("wc-host-0.18/ponger.wasm") + "\n");
  // The calling host runs nothing of its own: echo answers from host B, byte for byte.
  auto health = Call("actors: []\n", kEcho, "HealthRequest", kHealthRequest);
  ASSERT_EQ(health.exit_code, 0) << health.err << b->log();
  EXPECT_EQ(health.out, std::string(kHealthResponse) + "\n");
  wire::HttpRequest narf;
  narf.method = "GET";
  narf.body = ToBytes("NARF");
  auto echoed = Call("actors: []\n", kEcho, "HandleRequest", HexEncode(wire::Encode(narf)));
  ASSERT_EQ(echoed.exit_code, 0) << echoed.err;
  EXPECT_EQ(BodyOfHex(echoed.out),
            R"({"method":"GET","path":"","query_string":"","headers":{},"body":[78,65,82,70]})");
  // Pinger runs in the calling host; ponger, which it calls by alias, on B.
  auto pinged = Call("actors:\n  - " + FixturePath("wc-host-0.18/pinger.wasm") + "\n", kPinger,
                     "HandleRequest", HttpGetHex("/foobar"));
  ASSERT_EQ(pinged.exit_code, 0) << pinged.err;
  EXPECT_EQ(BodyOfHex(pinged.out), R"({"value":53})");
  // Another lattice on the same server sees none of it.
  auto other = Call("actors: []\n", kEcho, "HealthRequest", kHealthRequest, "other");
  EXPECT_EQ(other.exit_code, 1) << other.out;
  EXPECT_NE(other.err.find("not running on this host or any host of lattice other"),
            std::string::npos)
      << other.err;
  EXPECT_EQ(b->Stop(SIGTERM), 0) << b->log();
}

TEST_F(LatticeCliTest, ALinkSetOnABindsTheProviderOnBAndMovesWithIt) {
  const std::string build = WC_BUILD_DIR;
  auto inspect = RunCommand(
      {WasmcloudBinary(), "par", "inspect", build + "/providers/keyvalue.par.gz", "-o", "json"});
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const std::string provider = nlohmann::json::parse(inspect.out).value("sub", "");
  ASSERT_EQ(provider.size(), 56u);
  const int port = testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);

  // B runs the keyvalue provider (in memory); A runs kvcounter behind an HTTP server and
  // links kvcounter to B's provider.
  auto b = Up("capabilities:\n  - image_ref: " + build + "/providers/keyvalue.par.gz\n");
  auto a = Up("actors:\n  - " + FixturePath("wc-host-0.18/kvcounter.wasm") +
              "\ncapabilities:\n  - image_ref: " + build + "/providers/httpserver.par.gz\n" +
              "links:\n  - actor: " + kKvCounter +
              "\n    contract_id: wasmcloud:httpserver\n    values:\n      ADDRESS: 127.0.0.1\n"
              "      PORT: \"" +
              std::to_string(port) + "\"\n  - actor: " + kKvCounter +
              "\n    contract_id: wasmcloud:keyvalue\n    provider_id: " + provider + "\n");
  EXPECT_EQ(a->log().find("failed"), std::string::npos) << a->log();
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/counter";
  // B binds its provider to the link from its own watch of the lattice data, which may
  // come after A's start returned: until then B's provider refuses the actor (500) before
  // it counts.
  std::string first;
  ASSERT_TRUE(Eventually(
      [&] {
        first = RunCommand({"curl", "-sS", "--max-time", "10", url}).out;
        return first == "{\"counter\":1}";
      },
      std::chrono::seconds(20)))
      << first << a->log() << b->log();
  for (int i = 2; i <= 3; ++i) {
    auto r = RunCommand({"curl", "-sS", "--max-time", "10", url});
    ASSERT_EQ(r.exit_code, 0) << r.err << a->log() << b->log();
    EXPECT_EQ(r.out, "{\"counter\":" + std::to_string(i) + "}") << a->log() << b->log();
  }

  // A host that joins late sees both links (its start-up line counts the lattice's links).
  auto c = Up("actors: []\n");
  EXPECT_NE(c->log().find("running until SIGINT or SIGTERM: 0 actor(s), 2 provider(s) "
                          "(built-ins included), 2 link(s)"),
            std::string::npos)
      << c->log();

  // The provider stops on B and starts on C: C binds it to the link and it counts there
  // (a new in-memory store: from 1 again).
  EXPECT_EQ(b->Stop(SIGTERM), 0) << b->log();
  auto c2 = Up("capabilities:\n  - image_ref: " + build + "/providers/keyvalue.par.gz\n");
  auto r = RunCommand({"curl", "-sS", "--max-time", "10", url});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"counter\":1}") << a->log() << c2->log();
  EXPECT_EQ(a->Stop(SIGTERM), 0) << a->log();
  EXPECT_EQ(c->Stop(SIGTERM), 0);
  EXPECT_EQ(c2->Stop(SIGTERM), 0) << c2->log();
}

// The HTTP server on A serves echo, which runs on B. While the lattice's nats-server is
// down the way to echo is too: A answers 503 with Retry-After at once (it was a 500, as
// for an actor's own failure); once the server is back, echo answers again.
TEST_F(LatticeCliTest, WhileNatsIsDownARemoteActorIs503AndItAnswersAgainAfter) {
  const std::string build = WC_BUILD_DIR;
  const int port = testing::FreeLoopbackPort();
  ASSERT_GT(port, 0);
  auto b = Up("actors:\n  - " + FixturePath("wc-host-0.18/echo.wasm") + "\n");
  auto a = Up("capabilities:\n  - image_ref: " + build + "/providers/httpserver.par.gz\n" +
              "links:\n  - actor: " + kEcho +
              "\n    contract_id: wasmcloud:httpserver\n    values:\n      ADDRESS: 127.0.0.1\n"
              "      PORT: \"" +
              std::to_string(port) + "\"\n");
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hello";
  // The status line, the Retry-After header (if any) and the body.
  struct Answer {
    std::string status, retry_after, body;
  };
  auto get = [&] {
    auto r = RunCommand({"curl", "-sS", "--max-time", "10", "-D", "-", url});
    Answer answer;
    if (r.exit_code != 0) return Answer{"curl failed: " + r.err, "", ""};
    const size_t end = r.out.find("\r\n\r\n");
    const std::string head = r.out.substr(0, end);
    answer.status = head.substr(0, head.find("\r\n"));
    const size_t retry = head.find("\r\nretry-after: ");
    if (retry != std::string::npos) {
      answer.retry_after = head.substr(retry + 15, head.find("\r\n", retry + 2) - retry - 15);
    }
    if (end != std::string::npos) answer.body = r.out.substr(end + 4);
    return answer;
  };
  Answer first = get();
  ASSERT_EQ(first.status, "HTTP/1.1 200 OK") << first.body << a->log() << b->log();
  // A watcher says when it loses and gets back its connection (it said only the loss).
  std::vector<std::string> watch_args = {"ctl", "watch", "events"};
  for (const auto& x : Lattice()) watch_args.push_back(x);
  UpProcess watch(watch_args, {}, /*stdout_too=*/true);
  ASSERT_TRUE(watch.WaitFor("watching events of lattice default")) << watch.log();

  server_->Kill();
  // (Until A has seen its connection drop, a call may still wait out its deadline: 504.)
  Answer down;
  EXPECT_TRUE(Eventually(
      [&] {
        down = get();
        return down.status.starts_with("HTTP/1.1 503");
      },
      std::chrono::seconds(20)))
      << down.status << " " << down.body << a->log();
  EXPECT_EQ(down.retry_after, "1") << a->log();
  EXPECT_THAT(down.body,
              ::testing::StartsWith("Service Unavailable: the actor cannot be reached; retry later "
                                    "(request "));
  // The reason is in A's log, with the request id the client got.
  const std::string id = down.body.substr(down.body.find("(request ") + 9, 16);
  EXPECT_TRUE(a->WaitFor("request " + id + ": 503 Service Unavailable")) << a->log();
  EXPECT_NE(a->log().find("request " + id +
                          ": 503 Service Unavailable: the actor cannot be reached; retry later: "
                          "call to actor " +
                          kEcho + " on the lattice: request on wasmbus.rpc.default." + kEcho +
                          " not sent: not connected to NATS (reconnecting)"),
            std::string::npos)
      << a->log();

  ASSERT_TRUE(server_->Restart().ok());
  Answer back;
  EXPECT_TRUE(Eventually(
      [&] {
        back = get();
        return back.status == "HTTP/1.1 200 OK";
      },
      std::chrono::seconds(30)))
      << back.status << " " << back.body << a->log() << b->log();
  EXPECT_TRUE(watch.WaitFor("reconnected to NATS at nats://127.0.0.1:")) << watch.log();
  EXPECT_THAT(watch.log(), ::testing::HasSubstr("WARN [nats] disconnected from NATS"));
  // The host's two connections say which is which.
  for (const char* role : {"rpc", "ctl"}) {
    EXPECT_THAT(a->log(), ::testing::HasSubstr("disconnected from NATS (" + std::string(role) +
                                               " connection; nats://127.0.0.1:"));
    EXPECT_TRUE(a->WaitFor(" (" + std::string(role) + " connection)\n")) << a->log();
  }
  watch.Stop(SIGTERM);
  EXPECT_EQ(a->Stop(SIGTERM), 0) << a->log();
  EXPECT_EQ(b->Stop(SIGTERM), 0) << b->log();
}

// 0.18 parsed --control-host/--control-port and used the RPC server anyway; here the
// control interface is served on the control server only.
TEST_F(LatticeCliTest, TheControlInterfaceIsServedOnItsOwnServerWhenGiven) {
  auto control = NatsServer::Start();
  ASSERT_TRUE(control.ok()) << control.status().message();
  std::vector<std::string> args = {
      "up",        "--manifest",     Write("ctl.yaml", "actors: []\n"), "--control-host",
      "127.0.0.1", "--control-port", std::to_string((*control)->port())};
  for (const auto& a : Lattice()) args.push_back(a);
  UpProcess up(args);
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  EXPECT_NE(up.log().find(", control on nats://127.0.0.1:" + std::to_string((*control)->port())),
            std::string::npos)
      << up.log();

  auto ask = [](int port) -> Result<lattice::Message> {
    nats::NatsConnectionOptions o;
    o.servers = {"nats://127.0.0.1:" + std::to_string(port)};
    o.name = "test-client";
    WC_ASSIGN_OR_RETURN(auto connection, nats::NatsConnection::Connect(o));
    nats::NatsTransport t(connection);
    return t.Request("wasmbus.ctl.default.get.hosts", {}, std::chrono::seconds(3));
  };
  auto on_control = ask((*control)->port());
  ASSERT_TRUE(on_control.ok()) << on_control.status().message();
  auto host = nlohmann::json::parse(AsChars(on_control->data), nullptr, false);
  ASSERT_TRUE(host.is_object()) << AsChars(on_control->data);
  EXPECT_TRUE(host["id"].get<std::string>().starts_with("N")) << host;
  auto on_rpc = ask(server_->port());
  EXPECT_EQ(on_rpc.status().code(), Code::kNotFound) << "nobody serves control on the RPC server";
}

// `wasmcloud ctl get hosts` (a scatter-gather) against a responder that floods its inbox
// with answers of 1,000,000 bytes, 70 of them: ctl keeps at most 64 MiB of answers (67
// here), says how many it dropped, and still answers.
TEST_F(LatticeCliTest, CtlKeepsAtMost64MiBOfTheAnswersToAScatterGather) {
  auto connection = RawConnection("flooder");
  ASSERT_TRUE(connection);
  nats::NatsTransport flooder(connection);
  const Bytes big(1000 * 1000, 'x');
  std::atomic<int> published{0};
  auto sub = flooder.Subscribe("wasmbus.ctl.v1.default.host.ping", "", [&](lattice::Message m) {
    for (int i = 0; i < 70; ++i) {
      if (flooder.Publish(m.reply, big).ok()) ++published;
    }
  });
  ASSERT_TRUE(sub.ok()) << sub.status().message();
  ASSERT_TRUE(flooder.Flush(std::chrono::seconds(5)).ok());
  std::vector<std::string> args = {WasmcloudBinary(), "ctl",          "get",
                                   "hosts",           "--timeout-ms", "3000"};
  for (const auto& a : Lattice()) args.push_back(a);
  auto r = RunCommand(args);
  EXPECT_EQ(published.load(), 70);
  EXPECT_NE(r.err.find("dropped 3 answers to wasmbus.ctl.v1.default.host.ping beyond the first "
                       "67 (67000000 bytes)"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

// `ctl get hosts` with a real host and a responder that answers the ping three times: two
// failures, and a host whose words hold a newline and a terminal escape. The failure is
// said on stderr (it used to vanish: a host that answered looked absent); the other
// host's words are printed escaped, one row per host.
TEST_F(LatticeCliTest, CtlSaysWhichAnswersFailedAndEscapesWhatOtherHostsSay) {
  auto up = Up("actors: []\n");
  auto connection = RawConnection("forger");
  ASSERT_TRUE(connection);
  nats::NatsTransport forger(connection);
  const std::string failure = R"({"success":false,"message":"cannot answer\nERROR [host] forged"})";
  const std::string odd =
      R"({"success":true,"response":{"id":"NODD\u001b[31m","uptime_seconds":"5",)"
      R"("version":"1.0\nERROR [host] forged","labels":{"zone":"a\rb"}}})";
  auto sub = forger.Subscribe("wasmbus.ctl.v1.default.host.ping", "", [&](lattice::Message m) {
    (void)forger.Publish(m.reply, AsBytes(failure));
    (void)forger.Publish(m.reply, AsBytes(R"({"success":false,"message":7})"));
    (void)forger.Publish(m.reply, AsBytes(odd));
  });
  ASSERT_TRUE(sub.ok()) << sub.status().message();
  ASSERT_TRUE(forger.Flush(std::chrono::seconds(5)).ok());
  std::vector<std::string> args = {WasmcloudBinary(), "ctl",          "get",
                                   "hosts",           "--timeout-ms", "1000"};
  for (const auto& a : Lattice()) args.push_back(a);
  auto r = RunCommand(args);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // (Members of other types than a v1 reply's, a number for a message or an uptime, used
  // to abort ctl.)
  EXPECT_NE(r.err.find("2 answer(s) to wasmbus.ctl.v1.default.host.ping were failures and are "
                       "not listed; the first: cannot answer\\nERROR [host] forged"),
            std::string::npos)
      << r.err;
  // The header, the real host, the odd one: three lines, nothing raw from the odd host.
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find('\r'), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NODD\\x1b[31m"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1.0\\nERROR [host] forged"), std::string::npos) << r.out;
  EXPECT_EQ(up->Stop(SIGTERM), 0) << up->log();
}

// A lattice whose nats-server requires TLS and a client certificate of its CA: a host
// with the CA, its certificate and key joins it and serves calls over it, and so does
// `ctl`; one that did not ask for TLS, or has no certificate, is told why at once.
TEST_F(LatticeCliTest, HostsJoinALatticeOverMutualTls) {
  WC_REQUIRE_TOOL(!RunCommand({"openssl", "version"}).out.empty(), "openssl");
  std::filesystem::create_directories(dir_ + "/pki");
  auto pki = testing::MakeTestPki(dir_ + "/pki");
  ASSERT_TRUE(pki.ok()) << pki.status().message();
  auto server = NatsServer::Start({"-js", "-sd", dir_ + "/tls-js", "--tlsverify", "--tlscert",
                                   pki->server_cert, "--tlskey", pki->server_key, "--tlscacert",
                                   pki->ca_cert});
  ASSERT_TRUE(server.ok()) << server.status().message();
  const std::string port = std::to_string((*server)->port());
  const std::vector<std::string> at = {"--rpc-host", "127.0.0.1", "--rpc-port", port};
  const std::vector<std::string> ca = {"--rpc-tls-ca-file", pki->ca_cert};
  const std::vector<std::string> mine = {"--rpc-tls-cert-file", pki->client_cert,
                                         "--rpc-tls-key-file", pki->client_key};
  auto join = [](std::vector<std::string> args,
                 std::initializer_list<std::vector<std::string>> more) {
    for (const auto& m : more) args.insert(args.end(), m.begin(), m.end());
    return args;
  };
  auto call = [&](std::initializer_list<std::vector<std::string>> flags) {
    return RunCommand(
        join({WasmcloudBinary(), "call", "--manifest", Write("tls-call.yaml", "actors: []\n"),
              kEcho, "HealthRequest", "--data-hex", kHealthRequest, "--hex"},
             flags));
  };

  auto plain = call({at});
  EXPECT_EQ(plain.exit_code, 2) << plain.err;
  EXPECT_THAT(plain.err, ::testing::HasSubstr("NATS at nats://127.0.0.1:" + port +
                                              " requires TLS, which was not asked for"));
  EXPECT_THAT(plain.err,
              ::testing::HasSubstr("(TLS: --rpc-tls, --rpc-tls-ca-file, --rpc-tls-cert-file, "
                                   "--rpc-tls-key-file)"));
  auto no_cert = call({at, ca});
  EXPECT_EQ(no_cert.exit_code, 2) << no_cert.err;
  EXPECT_THAT(no_cert.err, ::testing::HasSubstr("(does it require a client certificate?)"));

  UpProcess b(
      join({"up", "--manifest",
            Write("tls-b.yaml", "actors:\n  - " + FixturePath("wc-host-0.18/echo.wasm") + "\n")},
           {at, ca, mine}));
  ASSERT_TRUE(b.WaitFor("running until SIGINT or SIGTERM")) << b.log();
  EXPECT_THAT(b.log(), ::testing::HasSubstr("lattice default on tls://127.0.0.1:" + port));
  // Through another host over TLS, echo on B answers byte for byte.
  auto health = call({at, ca, mine});
  ASSERT_EQ(health.exit_code, 0) << health.err << b.log();
  EXPECT_EQ(health.out, std::string(kHealthResponse) + "\n");
  auto hosts = RunCommand(
      join({WasmcloudBinary(), "ctl", "get", "hosts", "-o", "json", "--timeout-ms", "2000"},
           {at, ca, mine}));
  ASSERT_EQ(hosts.exit_code, 0) << hosts.err;
  auto listed = nlohmann::json::parse(hosts.out, nullptr, false);
  ASSERT_TRUE(listed.is_array()) << hosts.out;
  EXPECT_EQ(listed.size(), 1u) << hosts.out;
  auto ctl_no_cert = RunCommand(join({WasmcloudBinary(), "ctl", "get", "hosts"}, {at, ca}));
  EXPECT_EQ(ctl_no_cert.exit_code, 1) << ctl_no_cert.out;
  EXPECT_THAT(ctl_no_cert.err, ::testing::HasSubstr("does it require a client certificate?"));
  EXPECT_EQ(b.Stop(SIGTERM), 0) << b.log();
}

TEST_F(LatticeCliTest, NoServerOrNoJetStreamIsAClearError) {
  // A port nothing listens on.
  const int port = testing::FreeLoopbackPort();
  auto r = RunCommand({WasmcloudBinary(), "call", "--manifest", Write("e.yaml", "actors: []\n"),
                       kEcho, "HealthRequest", "--data-hex", kHealthRequest, "--rpc-host",
                       "127.0.0.1", "--rpc-port", std::to_string(port)});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("cannot join lattice default (is nats-server running at nats://127.0.0.1:" +
                       std::to_string(port) + "?)"),
            std::string::npos)
      << r.err;
  // A server without JetStream.
  auto plain = NatsServer::Start();
  ASSERT_TRUE(plain.ok());
  auto nojs = RunCommand({WasmcloudBinary(), "call", "--manifest", Write("e2.yaml", "actors: []\n"),
                          kEcho, "HealthRequest", "--data-hex", kHealthRequest, "--rpc-host",
                          "127.0.0.1", "--rpc-port", std::to_string((*plain)->port())});
  EXPECT_EQ(nojs.exit_code, 2);
  EXPECT_NE(nojs.err.find("JetStream"), std::string::npos) << nojs.err;
}

// A lattice connection that libnats closes for good does not leave the host running cut
// off from its lattice. libnats 3.4.1 gives up reconnecting after the same authentication
// error twice in a row; here the server comes back with other users, as after a rotation
// of credentials that missed this host. The host says so, stops and exits 1, for whatever
// supervises it to start it again.
TEST_F(LatticeCliTest, AConnectionClosedForGoodStopsTheHostWithExit1) {
  const crypto::KeyPair host_user = crypto::KeyPair::Generate(crypto::KeyType::kUser);
  const crypto::KeyPair other_user = crypto::KeyPair::Generate(crypto::KeyType::kUser);
  auto users = [&](const crypto::KeyPair& user, const std::string& name) {
    return Write(name,
                 "authorization { users = [ { nkey: \"" + user.public_key_text() + "\" } ] }\n");
  };
  const std::vector<std::string> js = {"-js", "-sd", dir_ + "/auth-js"};
  std::vector<std::string> first = js;
  first.insert(first.end(), {"-c", users(host_user, "users1.conf")});
  auto server = NatsServer::Start(first);
  ASSERT_TRUE(server.ok()) << server.status().message();
  UpProcess up({"up", "--manifest", Write("auth.yaml", "actors: []\n"), "--rpc-host", "127.0.0.1",
                "--rpc-port", std::to_string((*server)->port()), "--rpc-seed",
                host_user.EncodedSeed()});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  std::vector<std::string> rotated = js;
  rotated.insert(rotated.end(), {"-c", users(other_user, "users2.conf")});
  Status restarted = (*server)->Restart(rotated);
  ASSERT_TRUE(restarted.ok()) << restarted.message();
  const bool said = up.WaitFor("is closed and will not reconnect", std::chrono::seconds(30));
  if (!said) up.Signal(SIGKILL);
  EXPECT_EQ(up.Wait(), said ? 1 : 128 + SIGKILL) << up.log();
  // Either connection (rpc or ctl) may be the first to be closed.
  const size_t stopping = up.log().find("stopping: its ");
  ASSERT_NE(stopping, std::string::npos) << up.log();
  EXPECT_NE(up.log().find(" connection to NATS is closed and will not reconnect (Authorization "
                          "Violation)",
                          stopping),
            std::string::npos)
      << up.log();
}

}  // namespace
}  // namespace wasmcloud
