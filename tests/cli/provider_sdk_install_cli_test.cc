// A provider built outside this tree (issue "operating hosts", item 6): the build tree is
// installed into a fresh prefix (`cmake --install`), examples/provider-outside-tree is
// configured and built from its own directory against that prefix only
// (find_package(WasmcloudProviderSdk), wasmcloud_add_provider), which packs a signed
// counter.par.gz with the installed `wasmcloud`; that archive then serves the upstream
// kvcounter actor from a manifest, run by the installed `wasmcloud call`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "support/run_command.h"
#include "wire/http.h"

namespace wasmcloud {
namespace {

using testing::FixturePath;
using testing::RunCommand;

constexpr char kKvCounter[] = "MCFMFDWFHGKELOXPCNCDXKK5OFLHBVEWRAOXR5JSQUD2TOFRE3DFPM7E";

TEST(ProviderSdkInstallTest, AProviderBuiltOutsideTheTreeServesAnActor) {
  const std::string dir = testing::MakeTempDir();
  const std::string prefix = dir + "/prefix", build = dir + "/counter";
  auto installed = RunCommand({"cmake", "--install", WC_BUILD_DIR, "--prefix", prefix});
  ASSERT_EQ(installed.exit_code, 0) << installed.out << installed.err;
  for (const char* file : {"include/wasmcloud/provider.h", "include/wasmcloud/provider_sdk.h",
                           "lib/cmake/WasmcloudProviderSdk/WasmcloudProviderSdkConfig.cmake",
                           "lib/pkgconfig/wasmcloud-provider-sdk.pc", "bin/wasmcloud"}) {
    EXPECT_TRUE(std::filesystem::exists(prefix + "/" + file)) << file;
  }
  const std::string wasmcloud = prefix + "/bin/wasmcloud";

  // Only the prefix: no include path or library of the build tree.
  auto configured =
      RunCommand({"cmake", "-S", std::string(WC_SOURCE_DIR) + "/examples/provider-outside-tree",
                  "-B", build, "-G", "Ninja", "-DCMAKE_PREFIX_PATH=" + prefix});
  ASSERT_EQ(configured.exit_code, 0) << configured.out << configured.err;
  auto built = RunCommand({"cmake", "--build", build});
  ASSERT_EQ(built.exit_code, 0) << built.out << built.err;
  auto symbols = RunCommand({"nm", "-D", "--defined-only", build + "/libcounter.so"});
  EXPECT_EQ(symbols.exit_code, 0);
  EXPECT_NE(symbols.out.find("wasmcloud_provider_create"), std::string::npos) << symbols.out;
  EXPECT_EQ(symbols.out.find("msgpack"), std::string::npos)
      << "only the ABI's functions are exported: " << symbols.out;

  // Without CMake, as docs/providers.md says: pkg-config finds the prefix the package was
  // installed into, not the one the build was configured with.
  auto flags = RunCommand({"env", "PKG_CONFIG_PATH=" + prefix + "/lib/pkgconfig", "pkg-config",
                           "--cflags", "--libs", "wasmcloud-provider-sdk"});
  ASSERT_EQ(flags.exit_code, 0) << flags.err;
  std::vector<std::string> compile = {"c++", "-shared", "-fPIC"};
  std::istringstream words(flags.out);
  for (std::string w; words >> w;) compile.push_back(w);
  for (const std::string& w :
       {std::string(WC_SOURCE_DIR) + "/examples/provider-outside-tree/counter_provider.cc",
        std::string("-o"), dir + "/libcounter_pc.so"}) {
    compile.push_back(w);
  }
  auto compiled = RunCommand(compile);
  ASSERT_EQ(compiled.exit_code, 0) << flags.out << compiled.err;
  auto pc_symbols = RunCommand({"nm", "-D", "--defined-only", dir + "/libcounter_pc.so"});
  EXPECT_NE(pc_symbols.out.find("wasmcloud_provider_create"), std::string::npos) << pc_symbols.out;
  EXPECT_EQ(pc_symbols.out.find("msgpack"), std::string::npos)
      << "the version script of the .pc exports only the ABI's functions: " << pc_symbols.out;

  const std::string par = build + "/counter.par.gz";
  auto inspected = RunCommand({wasmcloud, "par", "inspect", par, "-o", "json"});
  ASSERT_EQ(inspected.exit_code, 0) << inspected.err;
  auto claims = nlohmann::json::parse(inspected.out, nullptr, false);
  ASSERT_FALSE(claims.is_discarded()) << inspected.out;
  EXPECT_EQ(claims.value("capid", ""), "wasmcloud:keyvalue") << inspected.out;
  EXPECT_EQ(claims.value("verified", false), true) << inspected.out;
  const std::string provider = claims.value("sub", "");
  ASSERT_EQ(provider.size(), 56u) << inspected.out;

  const std::string manifest = dir + "/m.yaml";
  std::ofstream(manifest) << "actors:\n  - " << FixturePath("wc-host-0.18/kvcounter.wasm")
                          << "\ncapabilities:\n  - image_ref: " << par
                          << "\nlinks:\n  - actor: " << kKvCounter
                          << "\n    contract_id: wasmcloud:keyvalue\n    provider_id: " << provider
                          << "\n";
  wire::HttpRequest get{"GET", "/hits", "", {}, {}};
  const std::string hex = HexEncode(wire::Encode(get));
  // The link names the out-of-tree provider's key: no other key-value provider runs.
  auto r = RunCommand({"env", "TMPDIR=" + dir, wasmcloud, "call", "-m", manifest, kKvCounter,
                       "HandleRequest", "--data-hex", hex, "--hex"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto bytes = HexDecode(r.out.substr(0, r.out.find('\n')));
  ASSERT_TRUE(bytes.ok()) << r.out;
  auto response = wire::DecodeHttpResponse(*bytes);
  ASSERT_TRUE(response.ok()) << response.status().message();
  EXPECT_EQ(response->status_code, 200u);
  EXPECT_EQ(std::string(response->body.begin(), response->body.end()), "{\"counter\":1}");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wasmcloud
