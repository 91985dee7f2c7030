// Shared helpers of the crypto tests: the JSON fixture files of ../shared/fixtures, read
// at test time (never copied into the project).
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/bytes.h"
#include "support/run_command.h"

namespace wasmcloud::crypto::testdata {

inline nlohmann::json LoadFixtureJson(const std::string& name) {
  auto bytes = ReadFile(testing::FixturePath(name));
  if (!bytes.ok()) {
    ADD_FAILURE() << "cannot read fixture " << name << ": " << bytes.status().message();
    return nlohmann::json::object();
  }
  return nlohmann::json::parse(bytes->begin(), bytes->end());
}

inline Bytes LoadFixture(const std::string& relative) {
  auto bytes = ReadFile(testing::FixturePath(relative));
  EXPECT_TRUE(bytes.ok()) << relative << ": " << bytes.status().message();
  return bytes.ok() ? *bytes : Bytes{};
}

// The signed .wasm entries of fixtures_index.json.
inline std::vector<nlohmann::json> SignedWasmFixtures() {
  std::vector<nlohmann::json> out;
  nlohmann::json index = LoadFixtureJson("fixtures_index.json");
  for (const auto& w : index["wasm"]) {
    if (!w["jwt_section"].is_null()) out.push_back(w);
  }
  return out;
}

}  // namespace wasmcloud::crypto::testdata
