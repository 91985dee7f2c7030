// The SDK's waPC glue (__guest_call, handler registry, host calls) compiled natively and
// driven by a fake waPC host that does what the host's wapc layer does: hand over the
// operation and payload, collect the response or error, answer host calls.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "sdk_test_util.h"
#include "wasmcloud/actor.h"
#include "wire/http.h"
#include "wire/keyvalue.h"
#include "wire/messaging.h"

extern "C" void sdk_test_register_c_handler(void);

namespace wasmcloud::sdk_test {
namespace {

// One host call the guest made.
struct HostCall {
  std::string binding, ns, operation;
  Bytes payload;
};

// The waPC host side (spec §1.1), one call at a time.
struct FakeHost {
  std::string op;
  Bytes payload;
  Bytes response;
  std::string error;
  bool responded = false;
  std::vector<HostCall> calls;
  // Answers a host call: true with `reply`, false with an error text in `reply`.
  std::function<bool(const HostCall&, std::string* reply)> on_host_call;
  std::string host_reply;
  bool host_ok = false;
  std::vector<std::string> logs;
};
FakeHost* g_host = nullptr;

// A waPC call as the host makes it; returns __guest_call's result.
int32_t Call(FakeHost& host, const std::string& op, const Bytes& payload) {
  host.op = op;
  host.payload = payload;
  host.response.clear();
  host.error.clear();
  host.responded = false;
  g_host = &host;
  int32_t r = __guest_call(static_cast<uint32_t>(op.size()), static_cast<uint32_t>(payload.size()));
  g_host = nullptr;
  return r;
}

}  // namespace
}  // namespace wasmcloud::sdk_test

using wasmcloud::sdk_test::g_host;

extern "C" {
void wc__wapc_guest_request(uint8_t* op, uint8_t* payload) {
  std::copy(g_host->op.begin(), g_host->op.end(), op);
  std::copy(g_host->payload.begin(), g_host->payload.end(), payload);
}
void wc__wapc_guest_response(const uint8_t* ptr, uint32_t len) {
  g_host->response.assign(ptr, ptr + len);
  g_host->responded = true;
}
void wc__wapc_guest_error(const uint8_t* ptr, uint32_t len) {
  g_host->error.assign(reinterpret_cast<const char*>(ptr), len);
}
int32_t wc__wapc_host_call(const uint8_t* binding, uint32_t binding_len, const uint8_t* ns,
                           uint32_t ns_len, const uint8_t* op, uint32_t op_len,
                           const uint8_t* payload, uint32_t payload_len) {
  wasmcloud::sdk_test::HostCall c{std::string(reinterpret_cast<const char*>(binding), binding_len),
                                  std::string(reinterpret_cast<const char*>(ns), ns_len),
                                  std::string(reinterpret_cast<const char*>(op), op_len),
                                  wasmcloud::Bytes(payload, payload + payload_len)};
  g_host->calls.push_back(c);
  g_host->host_ok = g_host->on_host_call(c, &g_host->host_reply);
  return g_host->host_ok ? 1 : 0;
}
uint32_t wc__wapc_host_response_len(void) {
  return g_host->host_ok ? static_cast<uint32_t>(g_host->host_reply.size()) : 0;
}
void wc__wapc_host_response(uint8_t* ptr) {
  if (g_host->host_ok) std::copy(g_host->host_reply.begin(), g_host->host_reply.end(), ptr);
}
uint32_t wc__wapc_host_error_len(void) {
  return g_host->host_ok ? 0 : static_cast<uint32_t>(g_host->host_reply.size());
}
void wc__wapc_host_error(uint8_t* ptr) {
  if (!g_host->host_ok) std::copy(g_host->host_reply.begin(), g_host->host_reply.end(), ptr);
}
void wc__wapc_console_log(const uint8_t* ptr, uint32_t len) {
  g_host->logs.emplace_back(reinterpret_cast<const char*>(ptr), len);
}
}  // extern "C"

namespace wasmcloud::sdk_test {
namespace {

wc_result Echo(wc_bytes payload) { return wc_ok(payload); }
wc_result Fails(wc_bytes) { return wc_err("the disk is full"); }
wc_result Logs(wc_bytes payload) {
  wc_log("one");
  wc_log_str(wc_bytes_str(payload));
  return wc_ok_nil();
}

// kvcounter's handler, as examples/kvcounter/kvcounter.c has it.
wc_result Count(const wc_http_request* request) {
  char* key = static_cast<char*>(wc_alloc(request->path.len));
  for (uint32_t i = 0; i < request->path.len; ++i) {
    key[i] = request->path.ptr[i] == '/' ? ':' : request->path.ptr[i];
  }
  int32_t counter = 0;
  wc_result added = wc_kv_add(wc_str_of(key, request->path.len), 1, &counter);
  if (!added.ok) return added;
  wc_buf body = wc_buf_new();
  wc_buf_append_cstr(&body, "{\"counter\":");
  wc_buf_append_int(&body, counter);
  wc_buf_append_cstr(&body, "}");
  return wc_http_reply(200, WC_LIT("OK"), wc_buf_bytes(&body));
}

wc_result Reply(const wc_broker_message* m) {
  if (m->reply_to.len == 0) return wc_ok_nil();
  wc_result r = wc_messaging_publish(m->reply_to, WC_LIT(""), m->body);
  return r.ok ? wc_ok_nil() : r;
}

class SdkGlueTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // What an actor's wapc_init does.
    ASSERT_TRUE(wc_register("echo", Echo));
    ASSERT_TRUE(wc_register("fails", Fails));
    ASSERT_TRUE(wc_register("logs", Logs));
    ASSERT_TRUE(wc_register_http(Count));
    ASSERT_TRUE(wc_register_messaging(Reply));
    sdk_test_register_c_handler();
  }
  FakeHost host_;
};

TEST_F(SdkGlueTest, DispatchesByOperation) {
  EXPECT_EQ(Call(host_, "echo", ToBytes("hello")), 1);
  EXPECT_EQ(ToString(wc_bytes_of(host_.response.data(), host_.response.size())), "hello");
  EXPECT_EQ(Call(host_, "echo", {}), 1);
  EXPECT_TRUE(host_.responded);
  EXPECT_TRUE(host_.response.empty());
  // A handler from the C translation unit, in the same table.
  EXPECT_EQ(Call(host_, "Shout", ToBytes("hi")), 1);
  EXPECT_EQ(std::string(host_.response.begin(), host_.response.end()), "HI!");
}

TEST_F(SdkGlueTest, UnknownOperationIsTheUpstreamError) {
  EXPECT_EQ(Call(host_, "Nope", {}), 0);
  EXPECT_EQ(host_.error, "No handler registered for function \"Nope\"");
  EXPECT_FALSE(host_.responded);
  EXPECT_EQ(Call(host_, "", ToBytes("x")), 0);
  EXPECT_EQ(host_.error, "No handler registered for function \"\"");
  EXPECT_EQ(Call(host_, "ech", {}), 0);  // a prefix is not a match
}

TEST_F(SdkGlueTest, HealthRequestIsAnsweredHealthyByDefault) {
  EXPECT_EQ(Call(host_, "HealthRequest", *HexDecode("81ab706c616365686f6c646572c3")), 1);
  EXPECT_EQ(HexEncode(host_.response), "82a76865616c746879c3a76d657373616765a0");
}

TEST_F(SdkGlueTest, AHandlerErrorIsPrefixedAsUpstream) {
  EXPECT_EQ(Call(host_, "fails", {}), 0);
  EXPECT_EQ(host_.error, "Guest call failed: the disk is full");
  // A payload that is not a Request: the decoder's message.
  EXPECT_EQ(Call(host_, "HandleRequest", *HexDecode("81a4706174680c")), 0);
  EXPECT_EQ(host_.error,
            "Guest call failed: HttpRequest: field `path`: expected str, found int at offset 6");
}

TEST_F(SdkGlueTest, HostCallsAndTheirErrors) {
  int32_t stored = 0;
  host_.on_host_call = [&](const HostCall& c, std::string* reply) {
    auto args = wire::DecodeAddArgs(c.payload);
    if (!args.ok()) {
      *reply = args.status().message();
      return false;
    }
    stored += args->value;
    Bytes r = wire::Encode(wire::AddResponse{stored});
    reply->assign(r.begin(), r.end());
    return true;
  };
  wire::HttpRequest req;
  req.method = "GET";
  req.path = "/foo/bar";
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(Call(host_, "HandleRequest", wire::Encode(req)), 1) << host_.error;
    auto resp = wire::DecodeHttpResponse(host_.response);
    ASSERT_TRUE(resp.ok());
    EXPECT_EQ(resp->status_code, 200u);
    EXPECT_EQ(AsChars(resp->body), "{\"counter\":" + std::to_string(i) + "}");
  }
  ASSERT_EQ(host_.calls.size(), 3u);
  EXPECT_EQ(host_.calls[0].binding, "default");
  EXPECT_EQ(host_.calls[0].ns, "wasmcloud:keyvalue");
  EXPECT_EQ(host_.calls[0].operation, "Add");
  EXPECT_EQ(HexEncode(host_.calls[0].payload), "82a36b6579a83a666f6f3a626172a576616c756501");

  host_.on_host_call = [](const HostCall&, std::string* reply) {
    *reply = "Authorization denied - Actor does not have required claims";
    return false;
  };
  EXPECT_EQ(Call(host_, "HandleRequest", wire::Encode(req)), 0);
  EXPECT_EQ(host_.error,
            "Guest call failed: Host error: Authorization denied - Actor does not have required "
            "claims");

  // A reply that is not an AddResponse.
  host_.on_host_call = [](const HostCall&, std::string* reply) {
    *reply = "\x81\xa5value\xa1x";
    return true;
  };
  EXPECT_EQ(Call(host_, "HandleRequest", wire::Encode(req)), 0);
  EXPECT_EQ(host_.error,
            "Guest call failed: AddResponse: field `value`: expected integer, found str at "
            "offset 7");
}

TEST_F(SdkGlueTest, MessagingPublishAndNilReply) {
  host_.on_host_call = [](const HostCall&, std::string* reply) {
    Bytes r = wire::Encode(wire::PublishResponse{true});
    reply->assign(r.begin(), r.end());
    return true;
  };
  Bytes msg = wire::Encode(wire::BrokerMessage{"in", "reply.7", ToBytes("ping")});
  ASSERT_EQ(Call(host_, "HandleMessage", msg), 1) << host_.error;
  EXPECT_EQ(HexEncode(host_.response), "c0");
  ASSERT_EQ(host_.calls.size(), 1u);
  EXPECT_EQ(host_.calls[0].ns, "wasmcloud:messaging");
  EXPECT_EQ(host_.calls[0].operation, "Publish");
  EXPECT_EQ(host_.calls[0].payload,
            wire::Encode(wire::PublishArgs{"reply.7", "", ToBytes("ping")}));

  // No reply subject: nothing is published.
  ASSERT_EQ(Call(host_, "HandleMessage", wire::Encode(wire::BrokerMessage{"in", "", {}})), 1);
  EXPECT_EQ(host_.calls.size(), 1u);

  // The provider says it did not publish.
  host_.on_host_call = [](const HostCall&, std::string* reply) {
    Bytes r = wire::Encode(wire::PublishResponse{false});
    reply->assign(r.begin(), r.end());
    return true;
  };
  EXPECT_EQ(Call(host_, "HandleMessage", msg), 0);
  EXPECT_EQ(host_.error, "Guest call failed: the message was not published on reply.7");
}

TEST_F(SdkGlueTest, ConsoleLog) {
  EXPECT_EQ(Call(host_, "logs", ToBytes("two")), 1);
  EXPECT_EQ(host_.logs, (std::vector<std::string>{"one", "two"}));
}

TEST_F(SdkGlueTest, EachCallStartsFromTheSameArenaFloor) {
  ASSERT_EQ(Call(host_, "echo", Bytes(100000, 7)), 1);
  uint64_t after_first = wc_arena_used();
  for (int i = 0; i < 50; ++i) ASSERT_EQ(Call(host_, "echo", Bytes(100000, 7)), 1);
  EXPECT_EQ(wc_arena_used(), after_first);  // nothing accumulates across calls
}

TEST_F(SdkGlueTest, RegisteringAgainReplacesAndTheTableIsBounded) {
  ASSERT_TRUE(wc_register("swap", Echo));
  ASSERT_TRUE(wc_register("swap", Fails));
  EXPECT_EQ(Call(host_, "swap", {}), 0);
  EXPECT_EQ(host_.error, "Guest call failed: the disk is full");
  static std::vector<std::string> names;
  int accepted = 0;
  for (int i = 0; i < WC_MAX_HANDLERS + 5; ++i) names.push_back("op" + std::to_string(i));
  for (const std::string& n : names) accepted += wc_register(n.c_str(), Echo) ? 1 : 0;
  EXPECT_LT(accepted, WC_MAX_HANDLERS + 5);
  EXPECT_FALSE(wc_register("one too many", Echo));
  EXPECT_EQ(Call(host_, "echo", ToBytes("still")), 1);
}

}  // namespace
}  // namespace wasmcloud::sdk_test
