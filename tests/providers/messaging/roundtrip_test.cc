// The messaging round trip as a user runs it: `wasmcloud up` with a manifest that starts
// the example msgreply actor and the first-party messaging archive, linked to a real
// nats-server; a NATS request from outside reaches the actor (HandleMessage), whose
// Publish to the request's reply subject comes back as the answer.
#include <nats/nats.h>
#include <signal.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "nats_server.h"
#include "support/require_tool.h"
#include "support/run_command.h"
#include "support/up_process.h"

namespace wasmcloud::messaging {
namespace {

using testing::NatsServer;
using wasmcloud::testing::UpProcess;

// One NATS request with libnats: the reply's body, or "error: ..." when there is none.
std::string Request(const std::string& url, const std::string& subject, const std::string& body,
                    int timeout_ms) {
  natsConnection* conn = nullptr;
  if (natsConnection_ConnectTo(&conn, url.c_str()) != NATS_OK) {
    return std::string("error: connect: ") + nats_GetLastError(nullptr);
  }
  natsMsg* reply = nullptr;
  natsStatus s =
      natsConnection_RequestString(&reply, conn, subject.c_str(), body.c_str(), timeout_ms);
  std::string out = s == NATS_OK ? std::string(natsMsg_GetData(reply),
                                               static_cast<size_t>(natsMsg_GetDataLength(reply)))
                                 : std::string("error: ") + natsStatus_GetText(s);
  natsMsg_Destroy(reply);
  natsConnection_Destroy(conn);
  return out;
}

TEST(MessagingRoundTripTest, ARequestIsAnsweredByTheActorThroughTheHost) {
  WC_REQUIRE_TOOL(!NatsServer::Binary().empty(), "nats-server");
  auto server = NatsServer::Start();
  ASSERT_TRUE(server.ok()) << server.status().message();
  const std::string dir = wasmcloud::testing::MakeTempDir();
  const std::string manifest = dir + "/roundtrip.yaml";
  std::ofstream(manifest) << "actors:\n"
                             "  - " WC_BUILD_DIR
                             "/examples/msgreply_signed.wasm\n"
                             "capabilities:\n"
                             "  - image_ref: " WC_BUILD_DIR
                             "/providers/messaging.par.gz\n"
                             "links:\n"
                             "  - actor: examples/msgreply\n"
                             "    contract_id: wasmcloud:messaging\n"
                             "    values:\n"
                             "      URL: " +
                                 (*server)->Url() +
                                 "\n"
                                 "      SUBSCRIPTION: demo.echo, demo.other\n";
  UpProcess up({"up", "--manifest", manifest}, {{"TMPDIR", dir}});
  ASSERT_TRUE(up.WaitFor("running until SIGINT or SIGTERM")) << up.log();
  ASSERT_EQ(up.log().find("failed"), std::string::npos) << up.log();

  EXPECT_EQ(Request((*server)->Url(), "demo.echo", "hello", 5000), "reply: hello");
  EXPECT_EQ(Request((*server)->Url(), "demo.other", "second subject", 5000),
            "reply: second subject");
  // Not subscribed: nobody answers.
  EXPECT_EQ(Request((*server)->Url(), "demo.nobody", "x", 500).rfind("error: ", 0), 0u);
  // Several in a row on one link.
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Request((*server)->Url(), "demo.echo", std::to_string(i), 5000),
              "reply: " + std::to_string(i));
  }
  EXPECT_EQ(up.Stop(SIGTERM), 0) << up.log();
  // The host is gone, and with it the subscription.
  EXPECT_EQ(Request((*server)->Url(), "demo.echo", "after", 500).rfind("error: ", 0), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wasmcloud::messaging
