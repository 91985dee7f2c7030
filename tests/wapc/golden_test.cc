// Every case of ../shared/fixtures/golden_invocations.json, byte for byte, at the waPC
// layer: the request goes in, the host calls the guest makes are checked and answered
// with the recorded replies, and the response (or guest error) must match exactly.
#include <nlohmann/json.hpp>

#include "support/run_command.h"
#include "wapc_test_util.h"

namespace wasmcloud::wapc {
namespace {

using nlohmann::json;
using testing::LoadFile;
using testing::RecordingHost;
using testing::TestEngine;

json Golden() {
  Bytes text = LoadFile(wasmcloud::testing::FixturePath("golden_invocations.json"));
  return json::parse(AsChars(text));
}

Bytes FromHex(const std::string& hex) {
  auto b = HexDecode(hex);
  EXPECT_TRUE(b.ok()) << hex;
  return b.ok() ? *b : Bytes{};
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesRecordedInvocations) {
  json cases = Golden()["cases"];
  json c;
  for (const auto& x : cases) {
    if (x["fixture"] == GetParam()) c = x;
  }
  ASSERT_FALSE(c.is_null()) << "no case for " << GetParam();

  auto module =
      WapcModule::Load(TestEngine(), LoadFile(wasmcloud::testing::FixturePath(GetParam())));
  ASSERT_TRUE(module.ok()) << module.status().message();
  auto worker = TestEngine().NewWorker();
  ASSERT_TRUE(worker.ok());
  RecordingHost host;
  auto instance = WapcInstance::Create(**worker, *module, &host, GetParam());
  ASSERT_TRUE(instance.ok()) << instance.status().message();

  int n = 0;
  for (const auto& inv : c["invocations"]) {
    SCOPED_TRACE("invocation " + std::to_string(n++) + ": " + inv["operation"].get<std::string>());
    host.calls.clear();
    host.replies.clear();
    for (const auto& hc : inv["host_calls"]) {
      if (hc["host_result"] == "ok") {
        host.replies.push_back(FromHex(hc["stub_response_hex"]));
      } else {
        host.replies.push_back(PermissionDenied(hc["stub_error"].get<std::string>()));
      }
    }
    std::string op = inv["operation"];
    Result<Bytes> r = (*instance)->Call(op, FromHex(inv["request_hex"]));

    ASSERT_EQ(host.calls.size(), inv["host_calls"].size());
    for (size_t i = 0; i < host.calls.size(); ++i) {
      const auto& want = inv["host_calls"][i];
      EXPECT_EQ(host.calls[i].binding, want["binding"]);
      EXPECT_EQ(host.calls[i].ns, want["namespace"]);
      EXPECT_EQ(host.calls[i].operation, want["operation"]);
      EXPECT_EQ(HexEncode(host.calls[i].payload), want["payload_hex"]);
    }
    const auto& expect = inv["expect"];
    if (expect["guest_call_return"] == 1) {
      ASSERT_TRUE(r.ok()) << r.status().message();
      EXPECT_EQ(HexEncode(*r), expect["response_hex"]);
    } else {
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), Code::kGuestError);
      EXPECT_EQ(r.status().message(), expect["guest_error"]);
    }
  }
}

std::vector<std::string> Fixtures() {
  std::vector<std::string> names;
  json golden = Golden();  // kept alive: a range-for over Golden()["cases"] would dangle
  for (const auto& c : golden["cases"]) names.push_back(c["fixture"]);
  return names;
}

INSTANTIATE_TEST_SUITE_P(AllCases, GoldenTest, ::testing::ValuesIn(Fixtures()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n;
                           for (char ch : info.param) n += std::isalnum(ch) ? ch : '_';
                           return n;
                         });

TEST(GoldenCoverage, EveryFixtureOfTheFileIsACase) {
  // Guards against the parameter list silently coming out empty.
  EXPECT_EQ(Fixtures().size(), 9u);
}

}  // namespace
}  // namespace wasmcloud::wapc
