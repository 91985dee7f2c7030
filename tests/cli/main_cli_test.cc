// The `wasmcloud` command itself: its version (written once, with the commit it was built
// from) and what a mistyped command gets.
#include <gtest/gtest.h>

#include <string>

#include "support/run_command.h"

namespace wasmcloud {
namespace {

using testing::RunCommand;
using testing::WasmcloudBinary;

// What `git rev-parse --short=12 HEAD` says of the source tree; empty without git.
std::string SourceCommit() {
  auto r = RunCommand({"git", "-C", WC_SOURCE_DIR, "rev-parse", "--short=12", "HEAD"});
  if (r.exit_code != 0) return "";
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

TEST(MainCliTest, VersionSaysTheVersionAndTheCommit) {
  auto v = RunCommand({WasmcloudBinary(), "version"});
  ASSERT_EQ(v.exit_code, 0) << v.err;
  EXPECT_EQ(v.out.rfind(std::string("wasmcloud ") + WC_VERSION + " (commit ", 0), 0u) << v.out;
  const std::string commit = SourceCommit();
  if (!commit.empty()) {
    EXPECT_NE(v.out.find("commit " + commit), std::string::npos) << v.out;
  }
  EXPECT_NE(v.out.find("V8 "), std::string::npos) << v.out;
  EXPECT_EQ(v.out.back(), '\n');
  auto flag = RunCommand({WasmcloudBinary(), "--version"});
  ASSERT_EQ(flag.exit_code, 0) << flag.err;
  EXPECT_EQ(flag.out, v.out);
}

TEST(MainCliTest, AnUnknownCommandIsNamedWithTheClosestOne) {
  auto typo = RunCommand({WasmcloudBinary(), "cliams", "sign"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_EQ(typo.err,
            "wasmcloud: unknown command \"cliams\"; did you mean \"claims\"? (wasmcloud --help "
            "lists the commands)\n");
  auto far = RunCommand({WasmcloudBinary(), "frobnicate"});
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_EQ(far.err,
            "wasmcloud: unknown command \"frobnicate\" (wasmcloud --help lists the "
            "commands)\n");
  // The same below the first command (CLI11 said "A subcommand is required" there, and
  // listed options given before a command in reverse).
  auto nested = RunCommand({WasmcloudBinary(), "ctl", "get", "linkz"});
  EXPECT_EQ(nested.exit_code, 2);
  EXPECT_EQ(nested.err,
            "wasmcloud ctl get: unknown command \"linkz\"; did you mean \"links\"? (wasmcloud "
            "ctl get --help lists the commands)\n");
  auto missing = RunCommand({WasmcloudBinary(), "ctl", "get"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err,
            "wasmcloud ctl get: a command is required (wasmcloud ctl get --help lists the "
            "commands)\n");
  auto early = RunCommand({WasmcloudBinary(), "ctl", "--rpc-host", "127.0.0.1", "get", "hosts"});
  EXPECT_EQ(early.exit_code, 2);
  EXPECT_EQ(early.err,
            "wasmcloud ctl: options come after the command (wasmcloud ctl --help lists the "
            "commands), got \"--rpc-host\" before it\n");
  EXPECT_EQ(RunCommand({WasmcloudBinary(), "ctl", "get", "--help"}).exit_code, 0);
  // No command at all: the list of commands, and what to run.
  auto none = RunCommand({WasmcloudBinary()});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("claims"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("wasmcloud: a command is required (wasmcloud up runs a host)\n"),
            std::string::npos)
      << none.err;
  EXPECT_EQ(none.err.find("provider-host"), std::string::npos) << none.err;
  // The hidden child-process command is never suggested.
  auto hidden = RunCommand({WasmcloudBinary(), "provider-hos"});
  EXPECT_EQ(hidden.exit_code, 2);
  EXPECT_EQ(hidden.err.find("provider-host"), std::string::npos) << hidden.err;
  // A manifest given without -m: how to give it.
  auto manifest = RunCommand({WasmcloudBinary(), "up", "--no-lattice", "demo.yaml"});
  EXPECT_EQ(manifest.exit_code, 2);
  EXPECT_EQ(manifest.err,
            "The following argument was not expected: demo.yaml\nRun with --help for more "
            "information.\na manifest is given with -m: wasmcloud up -m demo.yaml\n");
  // A module given as the manifest: what it is and where it goes.
  auto module = RunCommand({WasmcloudBinary(), "up", "--no-lattice", "-m",
                            testing::FixturePath("wc-host-0.18/echo.wasm")});
  EXPECT_EQ(module.exit_code, 2);
  EXPECT_NE(module.err.find("echo.wasm is a WebAssembly module, not a manifest: list it under "
                            "`actors:` in a manifest"),
            std::string::npos)
      << module.err;
}

}  // namespace
}  // namespace wasmcloud
