// HandleKeyValueCall: every operation of spec §4.5 from msgpack arguments to msgpack reply
// (on a MemoryStore), the replies' exact bytes where the spec pins them, malformed
// payloads, unknown operations and store failures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/bytes.h"
#include "keyvalue/dispatch.h"
#include "keyvalue/store.h"
#include "wire/core.h"
#include "wire/keyvalue.h"
#include "wire/msgpack.h"

namespace wasmcloud::keyvalue {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

class DispatchTest : public ::testing::Test {
 protected:
  // Runs the call; fails the test (and returns {}) when it fails.
  Bytes Call(std::string_view op, const Bytes& payload) {
    auto r = HandleKeyValueCall(store_, op, payload);
    EXPECT_TRUE(r.ok()) << op << ": " << r.status().message();
    return r.ok() ? *r : Bytes{};
  }
  template <typename T>
  T Decoded(Result<T> r) {
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : T{};
  }
  wire::GetResponse Get(const std::string& key) {
    return Decoded(wire::DecodeGetResponse(Call("Get", wire::Encode(wire::KeyArgs{key}))));
  }
  int32_t Add(const std::string& key, int32_t v) {
    return Decoded(wire::DecodeAddResponse(Call("Add", wire::Encode(wire::AddArgs{key, v})))).value;
  }
  int32_t ListOp(std::string_view op, const std::string& key, const std::string& v) {
    return Decoded(wire::DecodeListResponse(Call(op, wire::Encode(wire::KeyValueArgs{key, v}))))
        .new_count;
  }
  int32_t SetOp(std::string_view op, const std::string& key, const std::string& v) {
    return Decoded(
               wire::DecodeSetOperationResponse(Call(op, wire::Encode(wire::KeyValueArgs{key, v}))))
        .new_count;
  }
  std::vector<std::string> Range(const std::string& key, int32_t start, int32_t stop) {
    return Decoded(wire::DecodeListRangeResponse(
                       Call("Range", wire::Encode(wire::RangeArgs{key, start, stop}))))
        .values;
  }
  std::vector<std::string> Query(std::string_view op, const Bytes& payload) {
    return Decoded(wire::DecodeSetQueryResponse(Call(op, payload))).values;
  }
  Status Error(std::string_view op, const Bytes& payload) {
    auto r = HandleKeyValueCall(store_, op, payload);
    EXPECT_FALSE(r.ok()) << op << " unexpectedly gave " << HexEncode(*r);
    return r.status();
  }

  MemoryStore store_;
};

Bytes Hex(std::string_view hex) { return *HexDecode(hex); }

TEST_F(DispatchTest, AddAsKvcounterSendsIt) {
  // kvcounter's Add {key: ":counter", value: 1} and the reply {value: n} byte for byte.
  const Bytes args = wire::Encode(wire::AddArgs{":counter", 1});
  EXPECT_EQ(HexEncode(args), "82a36b6579a83a636f756e746572a576616c756501");
  EXPECT_EQ(HexEncode(Call("Add", args)), "81a576616c756501");
  EXPECT_EQ(HexEncode(Call("Add", args)), "81a576616c756502");
  EXPECT_EQ(Add(":counter", 200), 202);
  EXPECT_EQ(HexEncode(Call("Add", args)), "81a576616c7565cccb");  // 203 as rmp writes it
  EXPECT_EQ(Add(":counter", -300), -97);
}

TEST_F(DispatchTest, AddBeyondI32IsAnError) {
  ASSERT_TRUE(store_.Set("big", "2147483647", std::chrono::seconds(0)).ok());
  Status s = Error("Add", wire::Encode(wire::AddArgs{"big", 1}));
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "Add \"big\": the result 2147483648 does not fit the reply's i32");
}

TEST_F(DispatchTest, AddOnTextIsAnErrorNamingTheKey) {
  ASSERT_TRUE(store_.Set("t", "abc", std::chrono::seconds(0)).ok());
  Status s = Error("Add", wire::Encode(wire::AddArgs{"t", 1}));
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "Add \"t\": ERR value is not an integer or out of range");
}

TEST_F(DispatchTest, GetAndSet) {
  EXPECT_EQ(HexEncode(Call("Get", wire::Encode(wire::KeyArgs{"k"}))),
            "82a576616c7565a0a6657869737473c2");  // {value: "", exists: false}
  EXPECT_EQ(HexEncode(Call("Set", wire::Encode(wire::SetArgs{"k", "hi", 0}))),
            "81a576616c7565a26869");  // {value: "hi"}
  EXPECT_EQ(Get("k"), (wire::GetResponse{"hi", true}));
  EXPECT_EQ(HexEncode(Call("Get", wire::Encode(wire::KeyArgs{"k"}))),
            "82a576616c7565a26869a6657869737473c3");
}

TEST_F(DispatchTest, SetWithExpiresIsAccepted) {
  Call("Set", wire::Encode(wire::SetArgs{"k", "v", 60}));
  Call("Set", wire::Encode(wire::SetArgs{"n", "v", -1}));  // 0.18 ignored it: no error
  EXPECT_EQ(Get("k"), (wire::GetResponse{"v", true}));
  EXPECT_EQ(Get("n"), (wire::GetResponse{"v", true}));
}

TEST_F(DispatchTest, GetOfAListOrSetSaysItDoesNotExist) {
  ListOp("Push", "l", "x");
  SetOp("SetAdd", "s", "x");
  EXPECT_EQ(Get("l"), (wire::GetResponse{"", false}));
  EXPECT_EQ(Get("s"), (wire::GetResponse{"", false}));
}

TEST_F(DispatchTest, DelAndClearAnswerTheKey) {
  Call("Set", wire::Encode(wire::SetArgs{"k", "v", 0}));
  EXPECT_EQ(HexEncode(Call("Del", wire::Encode(wire::KeyArgs{"k"}))), "81a36b6579a16b");
  EXPECT_FALSE(Get("k").exists);
  ListOp("Push", "l", "x");
  EXPECT_EQ(Decoded(wire::DecodeDelResponse(Call("Clear", wire::Encode(wire::KeyArgs{"l"})))),
            (wire::DelResponse{"l"}));
  EXPECT_THAT(Range("l", 0, -1), IsEmpty());
  EXPECT_EQ(Decoded(wire::DecodeDelResponse(Call("Del", wire::Encode(wire::KeyArgs{"none"})))),
            (wire::DelResponse{"none"}));
}

TEST_F(DispatchTest, PushRangeAndListItemDelete) {
  EXPECT_EQ(HexEncode(Call("Push", wire::Encode(wire::KeyValueArgs{"l", "a"}))),
            "81a86e6577436f756e7401");  // {newCount: 1}
  EXPECT_EQ(ListOp("Push", "l", "b"), 2);
  EXPECT_EQ(ListOp("Push", "l", "a"), 3);
  EXPECT_THAT(Range("l", 0, -1), ElementsAre("a", "b", "a"));
  EXPECT_THAT(Range("l", 1, 1), ElementsAre("b"));
  EXPECT_THAT(Range("l", -1, -1), ElementsAre("a"));
  EXPECT_EQ(HexEncode(Call("Range", wire::Encode(wire::RangeArgs{"none", 0, -1}))),
            "81a676616c75657390");  // {values: []}
  EXPECT_EQ(ListOp("ListItemDelete", "l", "a"), 2);
  EXPECT_THAT(Range("l", 0, -1), ElementsAre("b"));
  EXPECT_EQ(ListOp("ListItemDelete", "l", "zz"), 0);
}

TEST_F(DispatchTest, SetOperations) {
  EXPECT_EQ(HexEncode(Call("SetAdd", wire::Encode(wire::KeyValueArgs{"s1", "a"}))),
            "81a96e65775f636f756e7401");  // {new_count: 1}
  EXPECT_EQ(SetOp("SetAdd", "s1", "a"), 0);
  EXPECT_EQ(SetOp("SetAdd", "s1", "b"), 1);
  EXPECT_EQ(SetOp("SetAdd", "s2", "b"), 1);
  EXPECT_EQ(SetOp("SetAdd", "s2", "c"), 1);
  EXPECT_THAT(Query("SetQuery", wire::Encode(wire::KeyArgs{"s1"})), ElementsAre("a", "b"));
  EXPECT_THAT(Query("SetUnion", wire::Encode(wire::KeysArgs{{"s1", "s2"}})),
              ElementsAre("a", "b", "c"));
  EXPECT_THAT(Query("SetIntersection", wire::Encode(wire::KeysArgs{{"s1", "s2"}})),
              ElementsAre("b"));
  EXPECT_EQ(HexEncode(Call("SetIntersection", wire::Encode(wire::KeysArgs{{"s1", "x"}}))),
            "81a676616c75657390");
  EXPECT_EQ(SetOp("SetRemove", "s1", "a"), 1);
  EXPECT_EQ(SetOp("SetRemove", "s1", "a"), 0);
  EXPECT_THAT(Query("SetQuery", wire::Encode(wire::KeyArgs{"s1"})), ElementsAre("b"));
  EXPECT_THAT(Query("SetQuery", wire::Encode(wire::KeyArgs{"none"})), IsEmpty());
}

TEST_F(DispatchTest, SetUnionOfNoKeysIsAnError) {
  Status s = Error("SetUnion", wire::Encode(wire::KeysArgs{}));
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message(), "SetUnion: SetUnion needs at least one key");
}

TEST_F(DispatchTest, KeyExistsAnswersAGetResponseWithoutValue) {
  EXPECT_EQ(HexEncode(Call("KeyExists", wire::Encode(wire::KeyArgs{"k"}))),
            "82a576616c7565a0a6657869737473c2");
  Call("Set", wire::Encode(wire::SetArgs{"k", "secret", 0}));
  EXPECT_EQ(HexEncode(Call("KeyExists", wire::Encode(wire::KeyArgs{"k"}))),
            "82a576616c7565a0a6657869737473c3");  // the value is not sent
  ListOp("Push", "l", "x");
  EXPECT_TRUE(
      Decoded(wire::DecodeGetResponse(Call("KeyExists", wire::Encode(wire::KeyArgs{"l"})))).exists);
}

TEST_F(DispatchTest, HealthRequest) {
  EXPECT_EQ(HexEncode(Call("HealthRequest", wire::Encode(wire::HealthRequest{}))),
            "82a76865616c746879c3a76d657373616765a0");
  EXPECT_EQ(HexEncode(Call("HealthRequest", {})), "82a76865616c746879c3a76d657373616765a0");
}

TEST_F(DispatchTest, ArgumentsInAnyFieldOrderOrAsAnArray) {
  // {value: 5, key: "k"}: rmp-serde reads struct fields by name.
  wire::Writer w;
  w.MapHeader(2);
  w.Str("value");
  w.Int(5);
  w.Str("key");
  w.Str("k");
  EXPECT_EQ(Decoded(wire::DecodeAddResponse(Call("Add", w.Take()))).value, 5);
  // ["k", 2]: or by position.
  wire::Writer a;
  a.ArrayHeader(2);
  a.Str("k");
  a.Int(2);
  EXPECT_EQ(Decoded(wire::DecodeAddResponse(Call("Add", a.Take()))).value, 7);
  // Unknown fields are skipped.
  wire::Writer u;
  u.MapHeader(2);
  u.Str("extra");
  u.ArrayHeader(0);
  u.Str("key");
  u.Str("k");
  EXPECT_EQ(Decoded(wire::DecodeGetResponse(Call("Get", u.Take()))),
            (wire::GetResponse{"7", true}));
}

TEST_F(DispatchTest, MalformedPayloadsSayWhichOperationAndWhat) {
  for (std::string_view op : KeyValueOperations()) {
    if (op == "HealthRequest") continue;
    for (const Bytes& payload : {Bytes{}, Hex("c0"), Hex("82a36b6579"), Hex("ff"), Hex("80")}) {
      Status s = Error(op, payload);
      EXPECT_EQ(s.code(), Code::kMalformed) << op << " " << HexEncode(payload);
      EXPECT_THAT(s.message(), StartsWith(std::string(op) + ": malformed payload: "))
          << HexEncode(payload);
    }
  }
  // A field of the wrong type, and a missing field, are named.
  wire::Writer w;
  w.MapHeader(2);
  w.Str("key");
  w.Str("k");
  w.Str("value");
  w.Str("one");
  Status s = Error("Add", w.Take());
  EXPECT_THAT(s.message(), StartsWith("Add: malformed payload: "));
  EXPECT_THAT(s.message(), HasSubstr("value"));
  s = Error("Set", wire::Encode(wire::KeyValueArgs{"k", "v"}));  // no expires
  EXPECT_THAT(s.message(), StartsWith("Set: malformed payload: "));
  EXPECT_THAT(s.message(), HasSubstr("expires"));
  s = Error("Add", Hex("82a36b6579a16ba576616c7565ce80000000"));  // value: 2^31
  EXPECT_THAT(s.message(), StartsWith("Add: malformed payload: "));
  EXPECT_FALSE(Get("k").exists);
}

TEST_F(DispatchTest, UnknownOperationsAreNamed) {
  for (std::string_view op : {"get", "Increment", "", "BindActor", "__halt"}) {
    Status s = Error(op, wire::Encode(wire::KeyArgs{"k"}));
    EXPECT_EQ(s.code(), Code::kUnimplemented);
    EXPECT_EQ(s.message(), "wasmcloud:keyvalue has no operation \"" + std::string(op) + "\"");
  }
}

TEST_F(DispatchTest, KnowsEveryOperationOfTheContract) {
  EXPECT_THAT(KeyValueOperations(),
              ElementsAre("Get", "Add", "Set", "Del", "Clear", "Range", "Push", "ListItemDelete",
                          "SetAdd", "SetRemove", "SetUnion", "SetIntersection", "SetQuery",
                          "KeyExists", "HealthRequest"));
}

// A store whose back end is down.
class DownStore final : public KeyValueStore {
 public:
  static Status Down() { return Unavailable("cannot connect to Redis at h:1: Connection refused"); }
  Result<std::optional<std::string>> Get(std::string_view) override { return Down(); }
  Result<int64_t> Add(std::string_view, int64_t) override { return Down(); }
  Status Set(std::string_view, std::string_view, std::chrono::seconds) override { return Down(); }
  Status Del(std::string_view) override { return Down(); }
  Result<std::vector<std::string>> Range(std::string_view, int64_t, int64_t) override {
    return Down();
  }
  Result<int64_t> Push(std::string_view, std::string_view) override { return Down(); }
  Result<int64_t> ListItemDelete(std::string_view, std::string_view) override { return Down(); }
  Result<int64_t> SetAdd(std::string_view, std::string_view) override { return Down(); }
  Result<int64_t> SetRemove(std::string_view, std::string_view) override { return Down(); }
  Result<std::vector<std::string>> SetUnion(std::span<const std::string>) override {
    return Down();
  }
  Result<std::vector<std::string>> SetIntersection(std::span<const std::string>) override {
    return Down();
  }
  Result<std::vector<std::string>> SetMembers(std::string_view) override { return Down(); }
  Result<bool> KeyExists(std::string_view) override { return Down(); }
  Status Health() override { return Down(); }
};

TEST(DispatchDownTest, StoreErrorsReachTheActorWithTheOperationAndKey) {
  DownStore store;
  struct Case {
    std::string_view op;
    Bytes payload;
    std::string prefix;
  };
  for (const Case& c : std::vector<Case>{
           {"Get", wire::Encode(wire::KeyArgs{"k"}), "Get \"k\": "},
           {"Add", wire::Encode(wire::AddArgs{"k", 1}), "Add \"k\": "},
           {"Set", wire::Encode(wire::SetArgs{"k", "v", 0}), "Set \"k\": "},
           {"Del", wire::Encode(wire::KeyArgs{"k"}), "Del \"k\": "},
           {"Clear", wire::Encode(wire::KeyArgs{"k"}), "Clear \"k\": "},
           {"Range", wire::Encode(wire::RangeArgs{"k", 0, 1}), "Range \"k\": "},
           {"Push", wire::Encode(wire::KeyValueArgs{"k", "v"}), "Push \"k\": "},
           {"ListItemDelete", wire::Encode(wire::KeyValueArgs{"k", "v"}), "ListItemDelete \"k\": "},
           {"SetAdd", wire::Encode(wire::KeyValueArgs{"k", "v"}), "SetAdd \"k\": "},
           {"SetRemove", wire::Encode(wire::KeyValueArgs{"k", "v"}), "SetRemove \"k\": "},
           {"SetUnion", wire::Encode(wire::KeysArgs{{"a", "b"}}), "SetUnion: "},
           {"SetIntersection", wire::Encode(wire::KeysArgs{{"a"}}), "SetIntersection: "},
           {"SetQuery", wire::Encode(wire::KeyArgs{"k"}), "SetQuery \"k\": "},
           {"KeyExists", wire::Encode(wire::KeyArgs{"k"}), "KeyExists \"k\": "},
       }) {
    auto r = HandleKeyValueCall(store, c.op, c.payload);
    ASSERT_FALSE(r.ok()) << c.op;
    EXPECT_EQ(r.status().code(), Code::kUnavailable) << c.op;
    EXPECT_EQ(r.status().message(), c.prefix + DownStore::Down().message());
  }
  // Health is data, not an error.
  auto health = HandleKeyValueCall(store, "HealthRequest", wire::Encode(wire::HealthRequest{}));
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(*wire::DecodeHealthResponse(*health),
            (wire::HealthResponse{false, DownStore::Down().message()}));
}

}  // namespace
}  // namespace wasmcloud::keyvalue
