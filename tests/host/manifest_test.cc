// What a user of a host sees from a manifest: the values a YAML or JSON file gives, the
// defaults, ${VAR} expansion, where relative paths point, and for every mistake the
// exact "file:line:col: what" message.
#include "host/manifest.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../support/run_command.h"

namespace wasmcloud::host {
namespace {

// Keys of the 0.18 documentation's example (valid nkeys: checksums and prefixes).
constexpr char kBroker[] = "MAP7EXS72YJ5Z6U5AJ6IMYIRVMRJRZJBLVTC6H4E552K7SJDRYBPA3YF";
constexpr char kMessages[] = "MD6EZIZRZ5VCN6FSJZXHE2NBGGWSIIKP2GDDTODFHOTGNIVIDF2MPHIK";
constexpr char kNats[] = "VADNMSIML2XGO2X4TPIONTIC55R2UUQGPPDZPAVSC2QD7E76CR77SPW7";
constexpr char kLogging[] = "VCCANMDC7KONJK435W6T7JFEEL7S3ZG6GUZMZ3FHTBZ32OZHJQR5MJWZ";
constexpr char kExtras[] = "VDHPKGFKDI34Y4RN4PWWZHRYZ6373HYRSNNEM4UTDLLOGO5B37TSVREP";
constexpr char kRedis[] = "VC5EWH6XQOSV7RHTD7HOHBNZURBIRW7GK5DH3PJNV2OCAUOGXDTC4UCN";

// An environment of exactly these variables.
EnvLookup Env(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<const std::map<std::string, std::string>>(std::move(vars));
  return [shared](const char* name) -> const char* {
    auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}
EnvLookup NoEnv() { return Env({}); }

Result<Manifest> Yaml(std::string_view text, const EnvLookup& env = NoEnv()) {
  return ParseManifest(text, ManifestFormat::kYaml, "demo.yaml", "", env);
}
Result<Manifest> Json(std::string_view text, const EnvLookup& env = NoEnv()) {
  return ParseManifest(text, ManifestFormat::kJson, "demo.json", "", env);
}

// The message of a failed parse; checks it is kMalformed.
std::string Error(const Result<Manifest>& r) {
  if (r.ok()) return "(parsed)";
  EXPECT_EQ(r.status().code(), Code::kMalformed) << r.status().message();
  return r.status().message();
}

std::string At(const SourceLocation& loc) { return loc.ToString(); }

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// --- format ------------------------------------------------------------------------

TEST(ManifestFormat, ByExtension) {
  EXPECT_EQ(FormatForPath("host.yaml"), ManifestFormat::kYaml);
  EXPECT_EQ(FormatForPath("host.yml"), ManifestFormat::kYaml);
  EXPECT_EQ(FormatForPath("conf/HOST.YAML"), ManifestFormat::kYaml);
  EXPECT_EQ(FormatForPath("host.Yml"), ManifestFormat::kYaml);
  EXPECT_EQ(FormatForPath("manifest"), ManifestFormat::kYaml);
  EXPECT_EQ(FormatForPath("conf.d/manifest"), ManifestFormat::kYaml);
  EXPECT_EQ(FormatForPath(".manifest"), ManifestFormat::kYaml);  // a dot file has no extension
  EXPECT_EQ(FormatForPath("host.json"), ManifestFormat::kJson);
  EXPECT_EQ(FormatForPath("host.txt"), ManifestFormat::kJson);
  EXPECT_EQ(FormatForPath("host.yaml.bak"), ManifestFormat::kJson);
}

TEST(ManifestLocation, ToString) {
  SourceLocation loc{"demo.yaml", 12, 5};
  EXPECT_EQ(loc.ToString(), "demo.yaml:12:5");
}

// --- full manifests ----------------------------------------------------------------

constexpr char kFullYaml[] = R"(# a host
labels:
  region: eu-west
  tier: "gold"
actors:
  - wasmcloud.azurecr.io/echo:0.3.4
  - ./actors/kv.wasm
capabilities:
  - image_ref: wasmcloud.azurecr.io/httpserver:0.12.1
  - image_ref: wasmcloud.azurecr.io/redis:0.11.0
    link_name: cache
links:
  - actor: MAP7EXS72YJ5Z6U5AJ6IMYIRVMRJRZJBLVTC6H4E552K7SJDRYBPA3YF
    contract_id: wasmcloud:httpserver
    provider_id: VADNMSIML2XGO2X4TPIONTIC55R2UUQGPPDZPAVSC2QD7E76CR77SPW7
    values:
      PORT: "8080"
      ADDRESS: 0.0.0.0
  - actor: MD6EZIZRZ5VCN6FSJZXHE2NBGGWSIIKP2GDDTODFHOTGNIVIDF2MPHIK
    contract_id: wasmcloud:keyvalue
    provider_id: VC5EWH6XQOSV7RHTD7HOHBNZURBIRW7GK5DH3PJNV2OCAUOGXDTC4UCN
    link_name: cache
)";

void ExpectFullManifest(const Manifest& m, const std::string& file) {
  EXPECT_EQ(m.source, file);
  EXPECT_EQ(m.labels,
            (std::map<std::string, std::string>{{"region", "eu-west"}, {"tier", "gold"}}));
  ASSERT_EQ(m.actors.size(), 2u);
  EXPECT_EQ(m.actors[0].ref, "wasmcloud.azurecr.io/echo:0.3.4");
  EXPECT_EQ(m.actors[1].ref, "./actors/kv.wasm");
  ASSERT_EQ(m.capabilities.size(), 2u);
  EXPECT_EQ(m.capabilities[0].image_ref, "wasmcloud.azurecr.io/httpserver:0.12.1");
  EXPECT_EQ(m.capabilities[0].link_name, "default");
  EXPECT_EQ(m.capabilities[1].image_ref, "wasmcloud.azurecr.io/redis:0.11.0");
  EXPECT_EQ(m.capabilities[1].link_name, "cache");
  ASSERT_EQ(m.links.size(), 2u);
  EXPECT_EQ(m.links[0].actor, kBroker);
  EXPECT_EQ(m.links[0].contract_id, "wasmcloud:httpserver");
  EXPECT_EQ(m.links[0].provider_id, kNats);
  EXPECT_EQ(m.links[0].link_name, "default");
  EXPECT_EQ(m.links[0].values,
            (std::map<std::string, std::string>{{"PORT", "8080"}, {"ADDRESS", "0.0.0.0"}}));
  EXPECT_EQ(m.links[1].actor, kMessages);
  EXPECT_EQ(m.links[1].contract_id, "wasmcloud:keyvalue");
  EXPECT_EQ(m.links[1].provider_id, kRedis);
  EXPECT_EQ(m.links[1].link_name, "cache");
  EXPECT_TRUE(m.links[1].values.empty());
}

TEST(ManifestParse, FullYaml) {
  auto m = Yaml(kFullYaml);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ExpectFullManifest(*m, "demo.yaml");
  EXPECT_EQ(At(m->actors[0].location), "demo.yaml:6:5");
  EXPECT_EQ(At(m->actors[1].location), "demo.yaml:7:5");
  EXPECT_EQ(At(m->capabilities[0].location), "demo.yaml:9:5");
  EXPECT_EQ(At(m->capabilities[1].location), "demo.yaml:10:5");
  EXPECT_EQ(At(m->links[0].location), "demo.yaml:13:5");
  EXPECT_EQ(At(m->links[1].location), "demo.yaml:19:5");
}

constexpr char kFullJson[] = R"({
  "labels": {"region": "eu-west", "tier": "gold"},
  "actors": ["wasmcloud.azurecr.io/echo:0.3.4", "./actors/kv.wasm"],
  "capabilities": [
    {"image_ref": "wasmcloud.azurecr.io/httpserver:0.12.1"},
    {"image_ref": "wasmcloud.azurecr.io/redis:0.11.0", "link_name": "cache"}
  ],
  "links": [
    {
      "actor": "MAP7EXS72YJ5Z6U5AJ6IMYIRVMRJRZJBLVTC6H4E552K7SJDRYBPA3YF",
      "contract_id": "wasmcloud:httpserver",
      "provider_id": "VADNMSIML2XGO2X4TPIONTIC55R2UUQGPPDZPAVSC2QD7E76CR77SPW7",
      "values": {"PORT": 8080, "ADDRESS": "0.0.0.0"}
    },
    {"actor": "MD6EZIZRZ5VCN6FSJZXHE2NBGGWSIIKP2GDDTODFHOTGNIVIDF2MPHIK",
     "contract_id": "wasmcloud:keyvalue",
     "provider_id": "VC5EWH6XQOSV7RHTD7HOHBNZURBIRW7GK5DH3PJNV2OCAUOGXDTC4UCN",
     "link_name": "cache"}
  ]
}
)";

TEST(ManifestParse, FullJson) {
  auto m = Json(kFullJson);
  ASSERT_TRUE(m.ok()) << m.status().message();
  ExpectFullManifest(*m, "demo.json");
  EXPECT_EQ(At(m->actors[0].location), "demo.json:3:14");
  EXPECT_EQ(At(m->actors[1].location), "demo.json:3:49");
  EXPECT_EQ(At(m->capabilities[0].location), "demo.json:5:5");
  EXPECT_EQ(At(m->capabilities[1].location), "demo.json:6:5");
  EXPECT_EQ(At(m->links[0].location), "demo.json:9:5");
  EXPECT_EQ(At(m->links[1].location), "demo.json:15:5");
}

TEST(ManifestParse, JsonEscapesAndUnicode) {
  auto m = Json(R"({"labels": {"note": "caf\u00e9 \ud83d\ude00 a\/b \"q\"\n", "city": "Zürich"}})");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->labels.at("note"), "café 😀 a/b \"q\"\n");
  EXPECT_EQ(m->labels.at("city"), "Zürich");
}

// The example manifest of the 0.18 documentation (wasmcloud-dev-site
// content/reference/host-runtime/manifest.md), as printed there.
constexpr char kDocsExample[] = R"(---
labels:
    sample: "wasmCloud Chat"
actors:
    - ../actors/messages/target/wasm32-unknown-unknown/debug/messages_s.wasm
    - ../actors/broker-channel/target/wasm32-unknown-unknown/debug/broker_channel_s.wasm
capabilities:
    - image_ref: wasmcloud.azurecr.io/nats:0.10.3
      link_name: frontend
    - image_ref: wasmcloud.azurecr.io/nats:0.10.3
      link_name: backend
    - image_ref: wasmcloud.azurecr.io/logging:0.9.3
    - image_ref: wasmcloud.azurecr.io/redisstreams:0.5.1
links:
  # configure the broker channel actor - messaging, logging, extras
  - actor: ${BROKERCHANNEL_ACTOR:MAP7EXS72YJ5Z6U5AJ6IMYIRVMRJRZJBLVTC6H4E552K7SJDRYBPA3YF}
    contract_id: "wasmcloud:messaging"
    provider_id: "VADNMSIML2XGO2X4TPIONTIC55R2UUQGPPDZPAVSC2QD7E76CR77SPW7"
    link_name: frontend
    values:
      SUBSCRIPTION: wcc.frontend.requests,wcc.backend.events.>
  - actor: ${BROKERCHANNEL_ACTOR:MAP7EXS72YJ5Z6U5AJ6IMYIRVMRJRZJBLVTC6H4E552K7SJDRYBPA3YF}
    contract_id: "wasmcloud:logging"
    provider_id: "VCCANMDC7KONJK435W6T7JFEEL7S3ZG6GUZMZ3FHTBZ32OZHJQR5MJWZ"
  - actor: ${BROKERCHANNEL_ACTOR:MAP7EXS72YJ5Z6U5AJ6IMYIRVMRJRZJBLVTC6H4E552K7SJDRYBPA3YF}
    contract_id: "wasmcloud:extras"
    provider_id: "VDHPKGFKDI34Y4RN4PWWZHRYZ6373HYRSNNEM4UTDLLOGO5B37TSVREP"
  
  # the messages actor needs: eventstreams, messaging, logging
  - actor: ${MESSAGES_ACTOR:MD6EZIZRZ5VCN6FSJZXHE2NBGGWSIIKP2GDDTODFHOTGNIVIDF2MPHIK}
    contract_id: "wasmcloud:messaging"
    provider_id: "VADNMSIML2XGO2X4TPIONTIC55R2UUQGPPDZPAVSC2QD7E76CR77SPW7"
    link_name: backend
    values: {}  # no subscriptions on the backend for this actor, only publishes
  - actor: ${MESSAGES_ACTOR:MD6EZIZRZ5VCN6FSJZXHE2NBGGWSIIKP2GDDTODFHOTGNIVIDF2MPHIK}
    contract_id: "wasmcloud:logging"
    provider_id: "VCCANMDC7KONJK435W6T7JFEEL7S3ZG6GUZMZ3FHTBZ32OZHJQR5MJWZ"
  - actor: ${MESSAGES_ACTOR:MD6EZIZRZ5VCN6FSJZXHE2NBGGWSIIKP2GDDTODFHOTGNIVIDF2MPHIK}
    contract_id: "wasmcloud:eventstreams"
    provider_id: "VC5EWH6XQOSV7RHTD7HOHBNZURBIRW7GK5DH3PJNV2OCAUOGXDTC4UCN"    
    values:
      URL: redis://0.0.0.0:6379/ 
)";

TEST(ManifestParse, DocumentationExample) {
  auto m = Yaml(kDocsExample);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->labels, (std::map<std::string, std::string>{{"sample", "wasmCloud Chat"}}));
  ASSERT_EQ(m->actors.size(), 2u);
  EXPECT_EQ(m->actors[1].ref,
            "../actors/broker-channel/target/wasm32-unknown-unknown/debug/broker_channel_s.wasm");
  ASSERT_EQ(m->capabilities.size(), 4u);
  EXPECT_EQ(m->capabilities[0].link_name, "frontend");
  EXPECT_EQ(m->capabilities[1].link_name, "backend");
  EXPECT_EQ(m->capabilities[2].image_ref, "wasmcloud.azurecr.io/logging:0.9.3");
  EXPECT_EQ(m->capabilities[2].link_name, "default");
  ASSERT_EQ(m->links.size(), 6u);
  EXPECT_EQ(m->links[0].actor, kBroker);
  EXPECT_EQ(m->links[0].link_name, "frontend");
  EXPECT_EQ(m->links[0].values.at("SUBSCRIPTION"), "wcc.frontend.requests,wcc.backend.events.>");
  EXPECT_EQ(m->links[1].provider_id, kLogging);
  EXPECT_EQ(m->links[2].provider_id, kExtras);
  EXPECT_EQ(m->links[3].actor, kMessages);
  EXPECT_EQ(m->links[3].link_name, "backend");
  EXPECT_TRUE(m->links[3].values.empty());
  EXPECT_EQ(m->links[5].contract_id, "wasmcloud:eventstreams");
  EXPECT_EQ(m->links[5].values.at("URL"), "redis://0.0.0.0:6379/");
  EXPECT_EQ(At(m->links[0].location), "demo.yaml:16:5");
  EXPECT_EQ(At(m->links[3].location), "demo.yaml:30:5");

  // The variables the example names replace the default keys.
  auto other = Yaml(kDocsExample, Env({{"MESSAGES_ACTOR", kBroker}}));
  ASSERT_TRUE(other.ok()) << other.status().message();
  EXPECT_EQ(other->links[3].actor, kBroker);
}

// --- defaults ----------------------------------------------------------------------

TEST(ManifestParse, Defaults) {
  auto m = Yaml(std::string(R"(capabilities:
  - image_ref: a
  - image_ref: b
    link_name: ""
  - image_ref: c
    link_name: "  "
  - image_ref: d
    link_name:
links:
  - actor: )") + kBroker +
                R"(
    contract_id: wasmcloud:extras
    provider_id: )" +
                kExtras + R"(
  - {actor: )" + kBroker +
                ", contract_id: x:y, provider_id: " + kExtras + ", link_name: ~, values: ~}\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(m->labels.empty());
  EXPECT_TRUE(m->actors.empty());
  ASSERT_EQ(m->capabilities.size(), 4u);
  for (const auto& cap : m->capabilities) EXPECT_EQ(cap.link_name, "default") << cap.image_ref;
  ASSERT_EQ(m->links.size(), 2u);
  for (const auto& link : m->links) {
    EXPECT_EQ(link.link_name, "default");
    EXPECT_TRUE(link.values.empty());
  }
}

TEST(ManifestParse, EmptyDocumentsAreEmptyManifests) {
  for (const char* text : {"", "\n\n", "# nothing yet\n# really\n", "---\n", "---\n...\n"}) {
    auto m = Yaml(text);
    ASSERT_TRUE(m.ok()) << text << ": " << m.status().message();
    EXPECT_TRUE(m->labels.empty() && m->actors.empty() && m->capabilities.empty() &&
                m->links.empty());
    EXPECT_EQ(m->source, "demo.yaml");
  }
  for (const char* text : {"", "  \n\t\r\n", "{}", "null"}) {
    auto m = Json(text);
    ASSERT_TRUE(m.ok()) << text << ": " << m.status().message();
    EXPECT_TRUE(m->actors.empty());
  }
  // Sections written with nothing under them (every entry commented out) are empty too.
  auto m = Yaml("labels:\nactors:\n  # - echo.wasm\ncapabilities:\nlinks:\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_TRUE(m->actors.empty());
  // No source name: "<text>".
  auto unnamed = ParseManifest("actors: [1, 2]", ManifestFormat::kYaml, "", "", NoEnv());
  ASSERT_TRUE(unnamed.ok());
  EXPECT_EQ(unnamed->source, "<text>");
  EXPECT_EQ(At(unnamed->actors[1].location), "<text>:1:13");
  EXPECT_EQ(Error(ParseManifest("actors: 1", ManifestFormat::kYaml, "", "", NoEnv())),
            "<text>:1:9: actors: expected a list of strings, found a number");
}

TEST(ManifestParse, ScalarsAreKeptAsWritten) {
  auto m = Yaml(std::string(R"(labels:
  port: 8080
  enabled: true
  ratio: 1.50
  mask: 0x1F
  answer: yes
  quoted: "007"
  text: |
    two
    lines
links:
  - actor: )") + kBroker +
                R"(
    contract_id: wasmcloud:httpserver
    provider_id: )" +
                kNats + R"(
    link_name: 2
    values:
      PORT: 8080
      TLS: false
      TIMEOUT: 1e3
)");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->labels, (std::map<std::string, std::string>{{"port", "8080"},
                                                           {"enabled", "true"},
                                                           {"ratio", "1.50"},
                                                           {"mask", "0x1F"},
                                                           {"answer", "yes"},
                                                           {"quoted", "007"},
                                                           {"text", "two\nlines\n"}}));
  EXPECT_EQ(m->links[0].link_name, "2");
  EXPECT_EQ(m->links[0].values, (std::map<std::string, std::string>{
                                    {"PORT", "8080"}, {"TLS", "false"}, {"TIMEOUT", "1e3"}}));

  auto j = Json(R"({"labels": {"port": 8080, "ratio": -1.50e+3, "on": true, "off": false}})");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ(j->labels,
            (std::map<std::string, std::string>{
                {"port", "8080"}, {"ratio", "-1.50e+3"}, {"on", "true"}, {"off", "false"}}));
}

TEST(ManifestParse, AnchorsAndAliases) {
  auto m = Yaml(std::string("links:\n") + "  - actor: " + kBroker +
                "\n    contract_id: a:b\n    provider_id: " + kNats +
                "\n    values: &common {REGION: eu, TIER: gold}\n" + "  - actor: " + kMessages +
                "\n    contract_id: a:b\n    provider_id: " + kNats + "\n    values: *common\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->links[1].values, m->links[0].values);
  EXPECT_EQ(m->links[1].values.at("TIER"), "gold");
}

// --- environment expansion ---------------------------------------------------------

TEST(ManifestExpand, Rules) {
  EnvLookup env = Env({{"SET", "/tmp"}, {"EMPTY", ""}, {"_U2", "x"}});
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"echo Test", "echo Test"},
      {"echo ${SET}", "echo /tmp"},
      {"echo ${SET:/etc}", "echo /tmp"},                // set wins over the default
      {"echo ${UNSET:/etc}", "echo /etc"},              // default
      {"echo [${UNSET:}]", "echo []"},                  // empty default
      {"echo ${UNSET}", "echo ${UNSET}"},               // unset, no default: unchanged
      {"echo $SET", "echo $SET"},                       // bare $VAR: not expanded
      {"echo [${EMPTY:x}]", "echo []"},                 // set but empty: ""
      {"echo ${SET", "echo ${SET"},                     // unterminated
      {"echo ${UNSET:abc", "echo ${UNSET:abc"},         // unterminated with a default
      {"echo ${SET:a:b}${UNSET:a:b}", "echo /tmpa:b"},  // default runs to the first '}'
      {"${_U2}${SET}", "x/tmp"},
      {"${9X} ${A-B} ${} $ $$ ${ SET}", "${9X} ${A-B} ${} $ $$ ${ SET}"},  // not names
      {"$${SET}", "$/tmp"},
      {"${UNSET:${SET}}", "${SET}"},  // the default is "${SET", no re-expansion
      {"${UNSET:x} ${UNSET:y", "x ${UNSET:y"},
      {"", ""},
  };
  for (const auto& c : cases) EXPECT_EQ(ExpandEnvironment(c.in, env), c.out) << c.in;
  // Values are inserted as they are, not expanded again.
  EXPECT_EQ(ExpandEnvironment("${A}", Env({{"A", "${B}"}, {"B", "no"}})), "${B}");
}

TEST(ManifestExpand, ProcessEnvironmentWhenNoLookupIsGiven) {
  ::setenv("WC_MANIFEST_TEST_REGION", "eu-west", 1);
  ::unsetenv("WC_MANIFEST_TEST_UNSET");
  EXPECT_EQ(ExpandEnvironment("${WC_MANIFEST_TEST_REGION} ${WC_MANIFEST_TEST_UNSET:none}", {}),
            "eu-west none");
  auto m = ParseManifest("labels: {region: '${WC_MANIFEST_TEST_REGION}'}", ManifestFormat::kYaml,
                         "demo.yaml");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->labels.at("region"), "eu-west");
  ::unsetenv("WC_MANIFEST_TEST_REGION");
}

TEST(ManifestExpand, ExpandsBeforeParsing) {
  auto m = Yaml(
      "actors:\n  - ${ACTOR_REF:wasmcloud.azurecr.io/echo:0.3.4}\n"
      "links:\n  - actor: ${ACTOR}\n    contract_id: ${CONTRACT:wasmcloud:keyvalue}\n"
      "    provider_id: ${PROVIDER}\n    values:\n      URL: redis://${HOST:localhost}:6379\n",
      Env({{"ACTOR", kBroker}, {"PROVIDER", kRedis}, {"HOST", "db"}}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->actors[0].ref, "wasmcloud.azurecr.io/echo:0.3.4");
  EXPECT_EQ(m->links[0].actor, kBroker);
  EXPECT_EQ(m->links[0].contract_id, "wasmcloud:keyvalue");
  EXPECT_EQ(m->links[0].provider_id, kRedis);
  EXPECT_EQ(m->links[0].values.at("URL"), "redis://db:6379");
}

TEST(ManifestExpand, AnUnsetVariableLeftInAValueIsAnError) {
  EXPECT_EQ(Error(Yaml("labels:\n  region: ${REGION}\n")),
            "demo.yaml:2:11: labels.region: ${REGION} is not set in the environment and has no "
            "default (set REGION, or write ${REGION:default})");
  EXPECT_EQ(Error(Yaml("actors:\n  - \"${ACTOR_PATH}/echo.wasm\"\n")),
            "demo.yaml:2:5: actors[0]: ${ACTOR_PATH} is not set in the environment and has no "
            "default (set ACTOR_PATH, or write ${ACTOR_PATH:default})");
  // A default that is empty is a choice, not a mistake.
  auto m = Yaml("labels:\n  region: \"${REGION:}\"\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->labels.at("region"), "");
}

TEST(ManifestExpand, ErrorPositionsAreThoseOfTheTextAsWritten) {
  // The value of ${A} is longer than the reference: the unknown key after it is still
  // reported where it is written.
  EXPECT_EQ(
      Error(Yaml("labels: {a: ${A}, b: 1}\nbogus: 1\n", Env({{"A", "a long value"}}))),
      "demo.yaml:2:1: unknown key \"bogus\" (expected labels, actors, capabilities or links)");
  EXPECT_EQ(Error(Yaml("labels: {a: ${A}, b: [1]}\n", Env({{"A", "a long value"}}))),
            "demo.yaml:1:22: labels.b: expected a string, found a list");
  // A value with line breaks does not move the lines after it.
  EXPECT_EQ(Error(Yaml("labels:\n  a: \"${A}\"\n  b: [x]\n", Env({{"A", "1\\n2\\n3"}}))),
            "demo.yaml:3:6: labels.b: expected a string, found a list");
  EXPECT_EQ(Error(Yaml("labels:\n  a: |\n    ${A}\n  b: [x]\n", Env({{"A", "1\n    2\n    3"}}))),
            "demo.yaml:4:6: labels.b: expected a string, found a list");
  // An error inside an expanded value points at its "${".
  EXPECT_EQ(Error(Yaml("labels:\n  x: ${V}\n", Env({{"V", "[1, 2]"}}))),
            "demo.yaml:2:6: labels.x: expected a string, found a list");
}

// --- errors ------------------------------------------------------------------------

TEST(ManifestErrors, TopLevel) {
  EXPECT_EQ(
      Error(Yaml("labels: {}\nactors: []\nactor: x\n")),
      "demo.yaml:3:1: unknown key \"actor\" (expected labels, actors, capabilities or links)");
  EXPECT_EQ(Error(Yaml("- echo.wasm\n")),
            "demo.yaml:1:1: expected a map with labels, actors, capabilities or links at the top "
            "level, found a list");
  EXPECT_EQ(Error(Yaml("just text\n")),
            "demo.yaml:1:1: expected a map with labels, actors, capabilities or links at the top "
            "level, found a string");
  EXPECT_EQ(Error(Json("[]")),
            "demo.json:1:1: expected a map with labels, actors, capabilities or links at the top "
            "level, found a list");
  EXPECT_EQ(Error(Yaml("actors: []\n---\nactors: []\n")),
            "demo.yaml:2:1: a manifest is one YAML document, this is the start of a second one");
  EXPECT_EQ(Error(Yaml("[a]: 1\n")), "demo.yaml:1:1: expected a key name, found a list");
}

TEST(ManifestErrors, DuplicateKeys) {
  EXPECT_EQ(Error(Yaml("actors: []\nlabels: {}\nactors: [a]\n")),
            "demo.yaml:3:1: duplicate key \"actors\" (first at 1:1)");
  EXPECT_EQ(Error(Yaml("labels:\n  a: 1\n  b: 2\n  a: 3\n")),
            "demo.yaml:4:3: labels: duplicate key \"a\" (first at 2:3)");
  EXPECT_EQ(
      Error(Yaml(std::string("links:\n  - actor: ") + kBroker + "\n    actor: " + kBroker + "\n")),
      "demo.yaml:3:5: links[0]: duplicate key \"actor\" (first at 2:5)");
  EXPECT_EQ(Error(Json("{\"labels\": {\"a\": \"1\",\n \"a\": \"2\"}}")),
            "demo.json:2:2: labels: duplicate key \"a\" (first at 1:13)");
}

TEST(ManifestErrors, WrongTypes) {
  EXPECT_EQ(Error(Yaml("actors:\n  echo: x\n")),
            "demo.yaml:2:3: actors: expected a list of strings, found a map");
  EXPECT_EQ(Error(Yaml("actors:\n  - [a, b]\n")),
            "demo.yaml:2:5: actors[0]: expected a string, found a list");
  EXPECT_EQ(Error(Yaml("labels: [a, b]\n")),
            "demo.yaml:1:9: labels: expected a map of label names to values, found a list");
  EXPECT_EQ(Error(Yaml("labels:\n  a: {b: c}\n")),
            "demo.yaml:2:6: labels.a: expected a string, found a map");
  EXPECT_EQ(Error(Yaml("labels:\n  a:\n  b: c\n")),
            "demo.yaml:2:3: labels.a: expected a string, found nothing (write \"\" for an empty "
            "string)");
  EXPECT_EQ(Error(Yaml("capabilities: wasmcloud.azurecr.io/nats:0.10.3\n")),
            "demo.yaml:1:15: capabilities: expected a list of maps with image_ref and link_name, "
            "found a string");
  EXPECT_EQ(Error(Yaml("capabilities:\n  - wasmcloud.azurecr.io/nats:0.10.3\n")),
            "demo.yaml:2:5: capabilities[0]: expected a map with image_ref and link_name, found a "
            "string");
  EXPECT_EQ(Error(Yaml("capabilities:\n  - image_ref: [a]\n")),
            "demo.yaml:2:16: capabilities[0].image_ref: expected a string, found a list");
  EXPECT_EQ(
      Error(Yaml("links: {}\n")),
      "demo.yaml:1:8: links: expected a list of maps with actor, contract_id and provider_id, "
      "found a map");
  EXPECT_EQ(
      Error(Yaml(std::string("links:\n  - actor: ") + kBroker +
                 "\n    contract_id: a:b\n    provider_id: " + kNats + "\n    values: [a]\n")),
      "demo.yaml:5:13: links[0].values: expected a map of strings, found a list");
  EXPECT_EQ(Error(Json(R"({"actors": [true, null]})")),
            "demo.json:1:19: actors[1]: expected a string, found nothing (write \"\" for an empty "
            "string)");
  EXPECT_EQ(Error(Json(R"({"actors": {"a": 1}})")),
            "demo.json:1:12: actors: expected a list of strings, found a map");
}

TEST(ManifestErrors, MissingAndUnknownKeys) {
  const std::string yaml = std::string(R"(labels:
  sample: demo
actors: []
capabilities: []
links:
  # the first link
  - actor: )") + kBroker + R"(
    contract_id: wasmcloud:keyvalue
)";
  EXPECT_EQ(Error(Yaml(yaml + "    provider_id:\n")),
            "demo.yaml:9:5: links[0].provider_id: expected a string, found nothing (write \"\" "
            "for an empty string)");
  EXPECT_EQ(Error(Yaml(std::string("links:\n  - actor: ") + kBroker + "\n")),
            "demo.yaml:2:5: links[0]: missing key \"contract_id\"");
  EXPECT_EQ(Error(Yaml("links:\n  - {}\n")), "demo.yaml:2:5: links[0]: missing key \"actor\"");
  EXPECT_EQ(Error(Yaml("capabilities:\n  - link_name: x\n")),
            "demo.yaml:2:5: capabilities[0]: missing key \"image_ref\"");
  EXPECT_EQ(Error(Yaml("capabilities:\n  - image_ref: a\n    linkname: x\n")),
            "demo.yaml:3:5: capabilities[0]: unknown key \"linkname\" (expected image_ref, "
            "link_name or isolation)");
  EXPECT_EQ(Error(Yaml("capabilities:\n  - image_ref: a\n    isolation: sandbox\n")),
            "demo.yaml:3:16: capabilities[0].isolation: expected process or in-process, found "
            "\"sandbox\"");
  EXPECT_EQ(Error(Yaml(std::string("links:\n  - actor: ") + kBroker + "\n    value: {}\n")),
            "demo.yaml:3:5: links[0]: unknown key \"value\" (expected actor, contract_id, "
            "provider_id, link_name or values)");
  EXPECT_EQ(Error(Json(R"({"links": [{"actor": "x"}, {"Actor": "y"}]})")),
            "demo.json:1:12: links[0]: missing key \"contract_id\"");
}

TEST(ManifestErrors, LinkKeys) {
  auto link = [](const std::string& actor, const std::string& provider) {
    return "links:\n  - actor: " + actor + "\n    contract_id: wasmcloud:keyvalue\n" +
           "    provider_id: " + provider + "\n";
  };
  // Not key-shaped: a call alias, which cannot be blank or hold spaces.
  EXPECT_EQ(Error(Yaml(link("\"my echo\"", kNats))),
            "demo.yaml:2:12: links[0].actor: expected an actor public key (56 characters, M...) "
            "or call alias, found \"my echo\"");
  EXPECT_EQ(Error(Yaml(link("\"\"", kNats))),
            "demo.yaml:2:12: links[0].actor: expected an actor public key (56 characters, M...) "
            "or call alias, found \"\"");
  std::string bad_checksum = kBroker;
  bad_checksum[10] = bad_checksum[10] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Error(Yaml(link(bad_checksum, kNats))),
            "demo.yaml:2:12: links[0].actor: \"" + bad_checksum +
                "\" is not an actor public key (56 characters, M...): bad checksum: public key "
                "checksum does not match its contents");
  EXPECT_EQ(Error(Yaml(link(kNats, kNats))),
            "demo.yaml:2:12: links[0].actor: \"" + std::string(kNats) +
                "\" is a service key, not an actor public key (56 characters, M...)");
  EXPECT_EQ(Error(Yaml(link(kBroker, kMessages))),
            "demo.yaml:4:18: links[0].provider_id: \"" + std::string(kMessages) +
                "\" is a module key, not a provider public key (56 characters, V...)");
  EXPECT_EQ(Error(Yaml(link(kBroker, "\"\""))),
            "demo.yaml:4:18: links[0].provider_id: \"\" is not a provider public key (56 "
            "characters, V...): bad length: a public key has 56 characters, this one has 0");
  EXPECT_EQ(Error(Yaml(std::string("links:\n  - actor: ") + kBroker + "\n    contract_id: \"\"\n" +
                       "    provider_id: " + kNats + "\n")),
            "demo.yaml:3:18: links[0].contract_id: expected a contract id such as "
            "\"wasmcloud:keyvalue\", found \"\"");
  EXPECT_EQ(Error(Yaml(std::string("links:\n  - actor: ") + kBroker + "\n    contract_id:\n" +
                       "    provider_id: " + kNats + "\n")),
            "demo.yaml:3:5: links[0].contract_id: expected a string, found nothing (write \"\" for "
            "an empty string)");
}

// Beyond 0.18: a link may name its actor by call alias and leave out the provider's key
// (the host resolves both when it applies the manifest).
TEST(ManifestLinks, CallAliasAndNoProviderId) {
  auto m = Yaml(
      "links:\n  - actor: examples/kvcounter\n    contract_id: wasmcloud:httpserver\n"
      "    values: {PORT: 8080}\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->links.size(), 1u);
  EXPECT_EQ(m->links[0].actor, "examples/kvcounter");
  EXPECT_EQ(m->links[0].provider_id, "");
  EXPECT_EQ(m->links[0].link_name, "default");
  EXPECT_EQ(m->links[0].values.at("PORT"), "8080");
}

TEST(ManifestErrors, EmptyReferences) {
  EXPECT_EQ(Error(Yaml("actors:\n  - \"\"\n")),
            "demo.yaml:2:5: actors[0]: expected an actor reference, found \"\"");
  EXPECT_EQ(Error(Yaml("actors:\n  - \"${ACTOR:}\"\n")),
            "demo.yaml:2:5: actors[0]: expected an actor reference, found \"\"");
  // Unquoted, an empty value leaves an empty entry: YAML reads it as null.
  EXPECT_EQ(Error(Yaml("actors:\n  - ${ACTOR:}\n")),
            "demo.yaml:2:3: actors[0]: expected a string, found nothing (write \"\" for an empty "
            "string)");
  EXPECT_EQ(Error(Yaml("actors:\n  - a\n  -\n  - b\n")),
            "demo.yaml:3:3: actors[1]: expected a string, found nothing (write \"\" for an empty "
            "string)");
  EXPECT_EQ(Error(Yaml("capabilities:\n  - image_ref: ''\n")),
            "demo.yaml:2:16: capabilities[0].image_ref: expected a provider reference, found \"\"");
}

TEST(ManifestErrors, ReservedLabels) {
  EXPECT_EQ(Error(Yaml("labels:\n  zone: a\n  hostcore.os: plan9\n")),
            "demo.yaml:3:3: labels: \"hostcore.os\" is reserved: the host sets the hostcore.* "
            "labels itself");
  EXPECT_EQ(Error(Json(R"({"labels": {"hostcore.custom": "x"}})")),
            "demo.json:1:13: labels: \"hostcore.custom\" is reserved: the host sets the "
            "hostcore.* labels itself");
  // Only the exact prefix is reserved.
  auto m = Yaml("labels:\n  hostcore: a\n  HostCore.os: b\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->labels.size(), 2u);
}

TEST(ManifestErrors, YamlSyntax) {
  EXPECT_EQ(Error(Yaml("actors: [a, b\nlabels: {}\n")),
            "demo.yaml:2:7: YAML syntax error: end of sequence flow not found");
  EXPECT_EQ(Error(Yaml("labels:\n  a: b: c\n")),
            "demo.yaml:2:7: YAML syntax error: illegal map value");
  // yaml-cpp 0.7 alone would take the rest of the file into the string.
  EXPECT_EQ(Error(Yaml("labels:\n  a: \"x\n  b: y\nactors: [a]\n")),
            "demo.yaml:2:6: YAML syntax error: this quoted string has no closing quote");
  EXPECT_EQ(Error(Yaml("labels:\n  a: 'it''s\n")),
            "demo.yaml:2:6: YAML syntax error: this quoted string has no closing quote");
  EXPECT_EQ(Error(Yaml("labels:\n  a: &x !!str \"x\\\"\n")),
            "demo.yaml:2:15: YAML syntax error: this quoted string has no closing quote");
  auto quoted = Yaml("labels:\n  a: &x !!str \"x\\\" y\"\n  b: 'it''s'\n  c: |\n    say \"hi\n");
  ASSERT_TRUE(quoted.ok()) << quoted.status().message();
  EXPECT_EQ(quoted->labels.at("a"), "x\" y");
  EXPECT_EQ(quoted->labels.at("b"), "it's");
  EXPECT_EQ(quoted->labels.at("c"), "say \"hi\n");
  EXPECT_EQ(Error(Yaml("actors: [*nope]\n")),
            "demo.yaml:1:10: YAML syntax error: the referenced anchor is not defined");
}

TEST(ManifestErrors, JsonSyntax) {
  EXPECT_EQ(Error(Json("{\"actors\": [\"a\",]}")),
            "demo.json:1:17: JSON syntax error: expected a value, found ']'");
  EXPECT_EQ(Error(Json("{\n  \"actors\": [\"a\"]\n  \"labels\": {}\n}")),
            "demo.json:3:3: JSON syntax error: expected ',' or '}', found '\"'");
  EXPECT_EQ(Error(Json("{actors: []}")),
            "demo.json:1:2: JSON syntax error: expected a string key, found 'a'");
  EXPECT_EQ(Error(Json("{\"actors\": [\"a]}")),
            "demo.json:1:13: JSON syntax error: this string has no closing quote");
  EXPECT_EQ(Error(Json("{\"labels\": {\"a\": 01}}")),
            "demo.json:1:19: JSON syntax error: a number must not start with 0");
  EXPECT_EQ(Error(Json("{\"labels\": {\"a\": \"\\ud800\"}}")),
            "demo.json:1:19: JSON syntax error: unpaired surrogate escape");
  EXPECT_EQ(Error(Json("{} {}")),
            "demo.json:1:4: JSON syntax error: unexpected '{' after the value");
  EXPECT_EQ(
      Error(Json("{\"a\": \"x\ty\"}")),
      "demo.json:1:9: JSON syntax error: control character byte 0x09 in a string (escape it)");
  // YAML is not JSON: a .json manifest must be JSON.
  EXPECT_EQ(Error(Json("actors: []\n")),
            "demo.json:1:1: JSON syntax error: expected a value, found 'a'");
}

TEST(ManifestErrors, NotUtf8) {
  EXPECT_EQ(Error(Yaml("labels:\n  a: caf\xe9\n")),
            "demo.yaml:2:9: the manifest is not valid UTF-8");
  EXPECT_EQ(Error(Json("{\"labels\": {\"a\": \"\xff\"}}")),
            "demo.json:1:19: the manifest is not valid UTF-8");
}

TEST(ManifestErrors, HostileNestingIsRefusedBeforeTheParserRecurses) {
  const std::string too_deep = "nesting deeper than 32 levels (a manifest needs 4)";
  // The 33rd level is refused where it opens.
  std::string closed = std::string(40, '[') + std::string(40, ']');
  EXPECT_EQ(Error(Yaml(closed)), "demo.yaml:1:33: " + too_deep);
  EXPECT_EQ(Error(Json(closed)), "demo.json:1:33: " + too_deep);
  std::string maps;
  for (int i = 0; i < 40; ++i) maps += "{a: ";
  maps += "x" + std::string(40, '}');
  EXPECT_EQ(Error(Yaml(maps)), "demo.yaml:1:129: " + too_deep);
  std::string block;
  for (int i = 0; i < 20000; ++i) block += "- ";
  EXPECT_EQ(Error(Yaml(block + "x\n")), "demo.yaml:1:65: " + too_deep);
  // Hostile sizes are refused by a scan of the brackets before yaml-cpp reads anything.
  std::string hostile(1000000, '[');
  EXPECT_EQ(Error(Yaml(hostile)), "demo.yaml:1:33: " + too_deep);
  EXPECT_EQ(Error(Json(hostile)), "demo.json:1:33: " + too_deep);
  // The scan does not see a bracket after an anchor; the parser's own limit does.
  std::string anchored = "x: ";
  for (int i = 0; i < 40; ++i) anchored += "&a [";
  anchored += std::string(40, ']');
  EXPECT_EQ(Error(Yaml(anchored)), "demo.yaml:1:128: " + too_deep);
  // Brackets in quotes, comments and plain text are not nesting.
  std::string many(40, '[');
  auto m = Yaml("labels:\n  a: \"" + many + "\"\n  b: 'it''s " + many + "'\n  c: x" + many +
                "\n  d: it's " + many + " # " + many + "\n");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->labels.at("b"), "it's " + many);
  EXPECT_EQ(m->labels.at("d"), "it's " + many);
  // 32 levels are fine as far as nesting goes.
  EXPECT_EQ(Error(Yaml("labels: " + std::string(31, '[') + std::string(31, ']'))),
            "demo.yaml:1:9: labels: expected a map of label names to values, found a list");
}

TEST(ManifestErrors, AliasesCannotExplode) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'h'; ++c) {
    std::string prev(1, static_cast<char>(c - 1));
    text += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) text += (i ? ", *" : "*") + prev;
    text += "]\n";
  }
  std::string err = Error(Yaml(text));
  EXPECT_NE(err.find("aliases expand the manifest to more than 100000 nodes"), std::string::npos)
      << err;
  EXPECT_EQ(Error(Yaml("actors: &a [*a]\n")),
            "demo.yaml:1:13: this alias refers to a node that contains it");
}

// --- paths -------------------------------------------------------------------------

TEST(ManifestPaths, RelativeRefsResolveAgainstTheManifestDirectory) {
  namespace fs = std::filesystem;
  const std::string dir = testing::MakeTempDir();
  fs::create_directories(dir + "/actors");
  WriteText(dir + "/actors/echo.wasm", "wasm");
  WriteText(dir + "/nats.par.gz", "par");
  const std::string yaml = R"(actors:
  - actors/echo.wasm
  - ./actors/echo.wasm
  - actors/missing.wasm
  - actors
  - wasmcloud.azurecr.io/echo:0.3.4
  - /opt/actors/echo.wasm
capabilities:
  - image_ref: nats.par.gz
  - image_ref: wasmcloud.azurecr.io/nats:0.10.3
)";
  auto m = ParseManifest(yaml, ManifestFormat::kYaml, "host.yaml", dir, NoEnv());
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_EQ(m->actors.size(), 6u);
  EXPECT_EQ(m->actors[0].ref, dir + "/actors/echo.wasm");
  EXPECT_EQ(m->actors[1].ref, dir + "/./actors/echo.wasm");
  EXPECT_EQ(m->actors[2].ref, "actors/missing.wasm");  // not there: kept for the host
  EXPECT_EQ(m->actors[3].ref, "actors");               // a directory is not an actor file
  EXPECT_EQ(m->actors[4].ref, "wasmcloud.azurecr.io/echo:0.3.4");
  EXPECT_EQ(m->actors[5].ref, "/opt/actors/echo.wasm");
  EXPECT_EQ(m->capabilities[0].image_ref, dir + "/nats.par.gz");
  EXPECT_EQ(m->capabilities[1].image_ref, "wasmcloud.azurecr.io/nats:0.10.3");

  // Without a base directory nothing is resolved.
  auto plain = Yaml(yaml);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->actors[0].ref, "actors/echo.wasm");
  fs::remove_all(dir);
}

TEST(ManifestLoad, ReadsExpandsAndResolves) {
  namespace fs = std::filesystem;
  const std::string dir = testing::MakeTempDir();
  WriteText(dir + "/echo.wasm", "wasm");
  WriteText(dir + "/host.yaml", std::string("labels:\n  region: ${REGION:none}\nactors:\n"
                                            "  - echo.wasm\nlinks:\n  - actor: ") +
                                    kBroker + "\n    contract_id: wasmcloud:extras\n" +
                                    "    provider_id: " + kExtras + "\n");
  auto m = LoadManifest(dir + "/host.yaml", Env({{"REGION", "eu"}}));
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->source, dir + "/host.yaml");
  EXPECT_EQ(m->labels.at("region"), "eu");
  EXPECT_EQ(m->actors[0].ref, dir + "/echo.wasm");
  EXPECT_EQ(At(m->links[0].location), dir + "/host.yaml:6:5");

  // JSON by extension; errors name the path as given.
  WriteText(dir + "/host.json", "{\"actors\": [\"echo.wasm\"], \"links\": 3}");
  auto j = LoadManifest(dir + "/host.json", NoEnv());
  EXPECT_EQ(Error(j), dir +
                          "/host.json:1:36: links: expected a list of maps with actor, "
                          "contract_id and provider_id, found a number");

  auto missing = LoadManifest(dir + "/nope.yaml", NoEnv());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "cannot open " + dir + "/nope.yaml: No such file or directory");
  // A device or pipe has no size to check first: it is bounded as it is read (`up -m
  // /dev/zero` took 4 GB in 6 s).
  auto endless = LoadManifest("/dev/zero", NoEnv());
  ASSERT_FALSE(endless.ok());
  EXPECT_EQ(endless.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(endless.status().message(),
            "manifest /dev/zero has more than 16777216 bytes, above the limit");
  // A module or an archive in the manifest's place says what it is and where it goes.
  auto module = LoadManifest(wasmcloud::testing::FixturePath("wc-host-0.18/echo.wasm"), NoEnv());
  ASSERT_FALSE(module.ok());
  EXPECT_EQ(module.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(
      module.status().message(),
      ::testing::HasSubstr("echo.wasm is a WebAssembly module, not a manifest: list it under "
                           "`actors:`"));
  auto archive =
      LoadManifest(wasmcloud::testing::FixturePath("providers/libwascc_redis.par.gz"), NoEnv());
  ASSERT_FALSE(archive.ok());
  EXPECT_THAT(archive.status().message(),
              ::testing::HasSubstr("is gzip data (a provider archive?)"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace wasmcloud::host
