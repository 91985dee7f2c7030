// The KeyValueStore contract (store.h), run on both back ends: MemoryStore and a
// RedisStore talking to a real redis-server started by the test. The same expectations
// on both is what keeps the in-memory store honest about Redis's semantics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "keyvalue/store.h"
#include "redis_server.h"
#include "support/require_tool.h"
#include "support/status_assert.h"

namespace wasmcloud::keyvalue {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::RedisServer;
using ::testing::StartsWith;
using ::testing::UnorderedElementsAre;
using Strings = std::vector<std::string>;

using wasmcloud::testing::Ok;

constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    if (GetParam() == "memory") {
      store_ = std::make_unique<MemoryStore>();
      return;
    }
    if (server_ == nullptr) {
      WC_REQUIRE_TOOL(!RedisServer::Binary().empty(), "redis-server");
      auto s = RedisServer::Start();
      ASSERT_TRUE(Ok(s));
      server_ = std::move(*s);
    }
    ASSERT_TRUE(Ok(server_->Command({"FLUSHALL"})));
    auto address = ParseRedisUrl(server_->Url());
    ASSERT_TRUE(Ok(address));
    store_ = std::make_unique<RedisStore>(*address);
  }

  static Strings Sorted(Strings v) {
    std::sort(v.begin(), v.end());
    return v;
  }
  Strings Members(std::string_view key) {
    auto r = store_->SetMembers(key);
    EXPECT_TRUE(Ok(r));
    return r.ok() ? Sorted(*r) : Strings{};
  }
  Strings List(std::string_view key) {
    auto r = store_->Range(key, 0, -1);
    EXPECT_TRUE(Ok(r));
    return r.ok() ? *r : Strings{};
  }
  bool Exists(std::string_view key) {
    auto r = store_->KeyExists(key);
    EXPECT_TRUE(Ok(r));
    return r.ok() && *r;
  }
  void ExpectWrongType(const Status& s) {
    EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.message();
    EXPECT_EQ(s.message(), kWrongType);
  }

  static inline std::unique_ptr<RedisServer> server_;
  std::unique_ptr<KeyValueStore> store_;
};

TEST_P(StoreTest, GetOfAMissingKeyIsNothing) {
  auto v = store_->Get("nope");
  ASSERT_TRUE(Ok(v));
  EXPECT_FALSE(v->has_value());
}

TEST_P(StoreTest, SetThenGet) {
  ASSERT_TRUE(Ok(store_->Set("k", "hello", std::chrono::seconds(0))));
  auto v = store_->Get("k");
  ASSERT_TRUE(Ok(v));
  EXPECT_EQ(*v, "hello");
  ASSERT_TRUE(Ok(store_->Set("k", "", std::chrono::seconds(0))));
  v = store_->Get("k");
  ASSERT_TRUE(Ok(v));
  EXPECT_EQ(*v, "");  // an empty string exists
  EXPECT_TRUE(Exists("k"));
}

TEST_P(StoreTest, KeysAndValuesAreBinarySafe) {
  const std::string key("a\0b\xff", 4);
  const std::string value("\0\x01\x80 x", 5);
  ASSERT_TRUE(Ok(store_->Set(key, value, std::chrono::seconds(0))));
  auto v = store_->Get(key);
  ASSERT_TRUE(Ok(v));
  EXPECT_EQ(*v, value);
  auto missing = store_->Get(std::string("a\0c", 3));
  ASSERT_TRUE(Ok(missing));
  EXPECT_FALSE(missing->has_value());
}

TEST_P(StoreTest, SetReplacesAListOrASet) {
  ASSERT_TRUE(Ok(store_->Push("l", "x")));
  ASSERT_TRUE(Ok(store_->SetAdd("s", "x")));
  ASSERT_TRUE(Ok(store_->Set("l", "now a string", std::chrono::seconds(0))));
  ASSERT_TRUE(Ok(store_->Set("s", "me too", std::chrono::seconds(0))));
  EXPECT_EQ(*store_->Get("l"), "now a string");
  EXPECT_EQ(*store_->Get("s"), "me too");
}

TEST_P(StoreTest, SetWithExpiryExistsAtFirst) {
  ASSERT_TRUE(Ok(store_->Set("k", "v", std::chrono::seconds(100))));
  EXPECT_EQ(*store_->Get("k"), "v");
  ASSERT_TRUE(Ok(store_->Set("n", "v", std::chrono::seconds(-5))));  // no expiry
  EXPECT_EQ(*store_->Get("n"), "v");
}

TEST_P(StoreTest, AddCountsFromZeroAndReturnsTheNewValue) {
  EXPECT_EQ(*store_->Add("c", 1), 1);
  EXPECT_EQ(*store_->Add("c", 1), 2);
  EXPECT_EQ(*store_->Add("c", 40), 42);
  EXPECT_EQ(*store_->Add("c", -50), -8);
  EXPECT_EQ(*store_->Get("c"), "-8");  // stored as decimal text
  EXPECT_EQ(*store_->Add("d", 0), 0);
  EXPECT_TRUE(Exists("d"));
}

TEST_P(StoreTest, AddToAnIntegerWrittenBySet) {
  ASSERT_TRUE(Ok(store_->Set("c", "100", std::chrono::seconds(0))));
  EXPECT_EQ(*store_->Add("c", 5), 105);
  ASSERT_TRUE(Ok(store_->Set("m", "-9223372036854775807", std::chrono::seconds(0))));
  EXPECT_EQ(*store_->Add("m", -1), INT64_MIN);
}

TEST_P(StoreTest, AddToSomethingElseFails) {
  for (std::string_view text : {"abc", "1.5", " 1", "1 ", "+1", "01", "-0", "", "-"}) {
    ASSERT_TRUE(Ok(store_->Set("t", text, std::chrono::seconds(0))));
    auto r = store_->Add("t", 1);
    ASSERT_FALSE(r.ok()) << "\"" << text << "\" became " << *r;
    EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
    EXPECT_EQ(r.status().message(), "ERR value is not an integer or out of range") << text;
  }
  ASSERT_TRUE(Ok(store_->Push("l", "1")));
  ExpectWrongType(store_->Add("l", 1).status());
}

TEST_P(StoreTest, AddThatOverflowsFailsAndChangesNothing) {
  ASSERT_TRUE(Ok(store_->Set("c", "9223372036854775807", std::chrono::seconds(0))));
  auto r = store_->Add("c", 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(r.status().message(), "ERR increment or decrement would overflow");
  EXPECT_EQ(*store_->Get("c"), "9223372036854775807");
}

TEST_P(StoreTest, DelRemovesAnyKindAndIgnoresMissingKeys) {
  ASSERT_TRUE(Ok(store_->Set("a", "1", std::chrono::seconds(0))));
  ASSERT_TRUE(Ok(store_->Push("b", "1")));
  ASSERT_TRUE(Ok(store_->SetAdd("c", "1")));
  for (std::string_view key : {"a", "b", "c"}) {
    EXPECT_TRUE(Exists(key));
    ASSERT_TRUE(Ok(store_->Del(key)));
    EXPECT_FALSE(Exists(key)) << key;
  }
  EXPECT_TRUE(Ok(store_->Del("never")));
}

TEST_P(StoreTest, PushPutsAtTheHeadAndReturnsTheLength) {
  EXPECT_EQ(*store_->Push("l", "a"), 1);
  EXPECT_EQ(*store_->Push("l", "b"), 2);
  EXPECT_EQ(*store_->Push("l", "c"), 3);
  EXPECT_EQ(*store_->Push("l", "a"), 4);  // duplicates are kept
  EXPECT_THAT(List("l"), ElementsAre("a", "c", "b", "a"));
}

TEST_P(StoreTest, RangeIndexesAsLrange) {
  for (std::string_view v : {"4", "3", "2", "1", "0"}) ASSERT_TRUE(Ok(store_->Push("l", v)));
  auto range = [&](int64_t start, int64_t stop) {
    auto r = store_->Range("l", start, stop);
    EXPECT_TRUE(Ok(r));
    return r.ok() ? *r : Strings{"error"};
  };
  EXPECT_THAT(range(0, -1), ElementsAre("0", "1", "2", "3", "4"));
  EXPECT_THAT(range(1, 2), ElementsAre("1", "2"));
  EXPECT_THAT(range(0, 0), ElementsAre("0"));
  EXPECT_THAT(range(-2, -1), ElementsAre("3", "4"));
  EXPECT_THAT(range(-100, 1), ElementsAre("0", "1"));
  EXPECT_THAT(range(3, 100), ElementsAre("3", "4"));
  EXPECT_THAT(range(2, 1), IsEmpty());
  EXPECT_THAT(range(5, 10), IsEmpty());
  EXPECT_THAT(range(-1, -2), IsEmpty());
  EXPECT_THAT(range(INT32_MIN, INT32_MAX), ElementsAre("0", "1", "2", "3", "4"));
  auto missing = store_->Range("none", 0, -1);
  ASSERT_TRUE(Ok(missing));
  EXPECT_THAT(*missing, IsEmpty());
}

TEST_P(StoreTest, ListItemDeleteRemovesEveryCopyAndCountsThem) {
  for (std::string_view v : {"a", "b", "a", "c", "a"}) ASSERT_TRUE(Ok(store_->Push("l", v)));
  EXPECT_EQ(*store_->ListItemDelete("l", "a"), 3);
  EXPECT_THAT(List("l"), ElementsAre("c", "b"));
  EXPECT_EQ(*store_->ListItemDelete("l", "zzz"), 0);
  EXPECT_EQ(*store_->ListItemDelete("none", "a"), 0);
  EXPECT_EQ(*store_->ListItemDelete("l", "b"), 1);
  EXPECT_EQ(*store_->ListItemDelete("l", "c"), 1);
  EXPECT_FALSE(Exists("l"));  // an empty list is no list
}

TEST_P(StoreTest, SetAddAndRemoveCountTheChange) {
  EXPECT_EQ(*store_->SetAdd("s", "x"), 1);
  EXPECT_EQ(*store_->SetAdd("s", "y"), 1);
  EXPECT_EQ(*store_->SetAdd("s", "x"), 0);
  EXPECT_THAT(Members("s"), ElementsAre("x", "y"));
  EXPECT_EQ(*store_->SetRemove("s", "x"), 1);
  EXPECT_EQ(*store_->SetRemove("s", "x"), 0);
  EXPECT_EQ(*store_->SetRemove("none", "x"), 0);
  EXPECT_THAT(Members("s"), ElementsAre("y"));
  EXPECT_EQ(*store_->SetRemove("s", "y"), 1);
  EXPECT_FALSE(Exists("s"));  // an empty set is no set
  EXPECT_THAT(Members("s"), IsEmpty());
}

TEST_P(StoreTest, SetUnionAndIntersection) {
  for (std::string_view v : {"a", "b", "c"}) ASSERT_TRUE(Ok(store_->SetAdd("s1", v)));
  for (std::string_view v : {"b", "c", "d"}) ASSERT_TRUE(Ok(store_->SetAdd("s2", v)));
  for (std::string_view v : {"c", "e"}) ASSERT_TRUE(Ok(store_->SetAdd("s3", v)));
  auto keys = [](std::initializer_list<std::string> k) { return Strings(k); };

  auto u = store_->SetUnion(keys({"s1", "s2", "s3"}));
  ASSERT_TRUE(Ok(u));
  EXPECT_THAT(*u, UnorderedElementsAre("a", "b", "c", "d", "e"));
  u = store_->SetUnion(keys({"s3", "none"}));
  ASSERT_TRUE(Ok(u));
  EXPECT_THAT(*u, UnorderedElementsAre("c", "e"));
  u = store_->SetUnion(keys({"none"}));
  ASSERT_TRUE(Ok(u));
  EXPECT_THAT(*u, IsEmpty());

  auto i = store_->SetIntersection(keys({"s1", "s2"}));
  ASSERT_TRUE(Ok(i));
  EXPECT_THAT(*i, UnorderedElementsAre("b", "c"));
  i = store_->SetIntersection(keys({"s1", "s2", "s3"}));
  ASSERT_TRUE(Ok(i));
  EXPECT_THAT(*i, ElementsAre("c"));
  i = store_->SetIntersection(keys({"s1"}));
  ASSERT_TRUE(Ok(i));
  EXPECT_THAT(*i, UnorderedElementsAre("a", "b", "c"));
  i = store_->SetIntersection(keys({"s1", "none"}));
  ASSERT_TRUE(Ok(i));
  EXPECT_THAT(*i, IsEmpty());
}

TEST_P(StoreTest, SetUnionAndIntersectionNeedAKey) {
  EXPECT_EQ(store_->SetUnion({}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->SetIntersection({}).status().code(), Code::kInvalidArgument);
  EXPECT_THAT(store_->SetUnion({}).status().message(), HasSubstr("at least one key"));
}

TEST_P(StoreTest, UsingAKeyAsTheWrongKindFails) {
  ASSERT_TRUE(Ok(store_->Set("str", "v", std::chrono::seconds(0))));
  ASSERT_TRUE(Ok(store_->Push("list", "v")));
  ASSERT_TRUE(Ok(store_->SetAdd("set", "v")));

  ExpectWrongType(store_->Get("list").status());
  ExpectWrongType(store_->Get("set").status());
  ExpectWrongType(store_->Push("str", "v").status());
  ExpectWrongType(store_->Push("set", "v").status());
  ExpectWrongType(store_->Range("str", 0, -1).status());
  ExpectWrongType(store_->ListItemDelete("set", "v").status());
  ExpectWrongType(store_->SetAdd("str", "v").status());
  ExpectWrongType(store_->SetAdd("list", "v").status());
  ExpectWrongType(store_->SetRemove("list", "v").status());
  ExpectWrongType(store_->SetMembers("str").status());
  ExpectWrongType(store_->SetUnion(Strings{"set", "list"}).status());
  ExpectWrongType(store_->SetIntersection(Strings{"str", "set"}).status());
  // A missing key (an empty set) does not hide a later key of the wrong kind.
  ExpectWrongType(store_->SetIntersection(Strings{"none", "str"}).status());
  ExpectWrongType(store_->SetUnion(Strings{"none", "list"}).status());
  // Nothing changed.
  EXPECT_EQ(*store_->Get("str"), "v");
  EXPECT_THAT(List("list"), ElementsAre("v"));
  EXPECT_THAT(Members("set"), ElementsAre("v"));
}

TEST_P(StoreTest, KeyExistsForEveryKind) {
  EXPECT_FALSE(Exists("str"));
  ASSERT_TRUE(Ok(store_->Set("str", "v", std::chrono::seconds(0))));
  ASSERT_TRUE(Ok(store_->Push("list", "v")));
  ASSERT_TRUE(Ok(store_->SetAdd("set", "v")));
  EXPECT_TRUE(Exists("str"));
  EXPECT_TRUE(Exists("list"));
  EXPECT_TRUE(Exists("set"));
  EXPECT_FALSE(Exists("Str"));  // keys are case-sensitive
}

TEST_P(StoreTest, IsHealthy) { EXPECT_TRUE(Ok(store_->Health())); }

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("memory", "redis"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace wasmcloud::keyvalue
