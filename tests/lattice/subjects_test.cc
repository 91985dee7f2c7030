// Subject and bucket names (lattice.md "Subjects", spec §7.1) and the name rules.
#include "lattice/subjects.h"

#include <gtest/gtest.h>

#include <string>

#include "support/status_assert.h"

namespace wasmcloud::lattice {
namespace {

using wasmcloud::testing::Ok;

constexpr std::string_view kActor = "MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5";
constexpr std::string_view kProvider = "VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2";

TEST(SubjectsTest, RpcSubjects) {
  EXPECT_EQ(RpcSubject("default", Entity::Actor(std::string(kActor))),
            "wasmbus.rpc.default.MBCFOPM6JW2APJLXJD3Z5O4CN7CPYJ2B4FTKLJUR5YR5MITIU7HD3WD5");
  EXPECT_EQ(RpcSubject("prod",
                       Entity::Capability(std::string(kProvider), "wasmcloud:keyvalue", "default")),
            "wasmbus.rpc.prod.VAHNM37G4ARHZ3CYHB3L34M6TYQWQR6IZ4QVYC4NYZWTJCJ2LWP7S6Z2.default");
  // The link name as it is, not lowercased (unlike the URL).
  EXPECT_EQ(RpcSubject("default", Entity::Capability("VP", "wasmcloud:keyvalue", "Backup")),
            "wasmbus.rpc.default.VP.Backup");
}

TEST(SubjectsTest, PublishOnlyAndEventSubjectsAndBucket) {
  EXPECT_EQ(LinksSubject("default"), "wasmbus.rpc.default.links");
  EXPECT_EQ(RemoveLinksSubject("default"), "wasmbus.rpc.default.remlinks");
  EXPECT_EQ(ClaimsSubject("default"), "wasmbus.rpc.default.claims");
  EXPECT_EQ(LegacyEventsSubject("default"), "wasmbus.ctl.default.events");
  EXPECT_EQ(EventSubject("default", "actor_started"), "wasmbus.evt.default.actor_started");
  EXPECT_EQ(LatticeBucketName("default"), "LATTICEDATA_default");
  EXPECT_EQ(LatticeBucketName("prod-1"), "LATTICEDATA_prod-1");
  EXPECT_EQ(kDefaultLattice, "default");
}

TEST(SubjectsTest, ValidLatticeNames) {
  for (std::string_view ns : {"default", "prod-1", "a", "my_lattice", "V1", "v2", "A-Z_0-9"}) {
    EXPECT_TRUE(Ok(ValidateLatticeName(ns))) << ns;
  }
  EXPECT_TRUE(Ok(ValidateLatticeName(std::string(128, 'x'))));
}

TEST(SubjectsTest, InvalidLatticeNamesSayWhichRule) {
  struct Case {
    std::string ns;
    std::string message;
  };
  const Case cases[] = {
      {"", "lattice name \"\" is empty"},
      {"a.b", "lattice name \"a.b\" contains '.' at offset 1"},
      {"a*", "lattice name \"a*\" contains the wildcard '*' at offset 1"},
      {">", "lattice name \">\" contains the wildcard '>' at offset 0"},
      {"my lattice", "lattice name \"my lattice\" contains whitespace at offset 2"},
      {"tab\there", "lattice name \"tab\there\" contains whitespace at offset 3"},
      {"nl\n", "lattice name \"nl\n\" contains whitespace at offset 2"},
      {std::string("nul\0x", 5), "lattice name \"" + std::string("nul\0x", 5) +
                                     "\" contains a control character at offset 3"},
      {"del\x7f", "lattice name \"del\x7f\" contains a control character at offset 3"},
      {"v1", "lattice name \"v1\" is reserved (it would collide with the v1 control subjects)"},
      {"a:b",
       "lattice name \"a:b\" contains ':' at offset 1 (a lattice name is letters, digits, "
       "'_' and '-')"},
      {"caf\xc3\xa9",
       "lattice name \"caf\xc3\xa9\" contains '\xc3' at offset 3 (a lattice name is "
       "letters, digits, '_' and '-')"},
      {std::string(129, 'x'),
       "lattice name \"" + std::string(129, 'x') + "\" is 129 bytes long, more than 128"},
  };
  for (const Case& c : cases) {
    Status s = ValidateLatticeName(c.ns);
    ASSERT_FALSE(s.ok()) << c.ns;
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
    EXPECT_EQ(s.message(), c.message);
  }
}

TEST(SubjectsTest, SubjectTokens) {
  for (std::string_view t : {"default", "Backup", "v1", "with-dash", "x_y", "MA:b"}) {
    EXPECT_TRUE(Ok(ValidateSubjectToken(t))) << t;
  }
  EXPECT_TRUE(Ok(ValidateSubjectToken(std::string(300, 'x'))));  // no length rule
  struct Case {
    std::string token;
    std::string message;
  };
  const Case cases[] = {
      {"", "\"\" cannot be a subject token: it is empty"},
      {"a.b", "\"a.b\" cannot be a subject token: it contains '.' at offset 1"},
      {"*", "\"*\" cannot be a subject token: it contains the wildcard '*' at offset 0"},
      {"a>", "\"a>\" cannot be a subject token: it contains the wildcard '>' at offset 1"},
      {"my link", "\"my link\" cannot be a subject token: it contains whitespace at offset 2"},
      {"cr\r", "\"cr\r\" cannot be a subject token: it contains whitespace at offset 2"},
      {"bell\a",
       "\"bell\a\" cannot be a subject token: it contains a control character at "
       "offset 4"},
  };
  for (const Case& c : cases) {
    Status s = ValidateSubjectToken(c.token);
    ASSERT_FALSE(s.ok()) << c.token;
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
    EXPECT_EQ(s.message(), c.message);
  }
}

}  // namespace
}  // namespace wasmcloud::lattice
