// Runs a program (the built `wasmcloud` binary, node, ...) as a child process and
// collects its exit code, stdout and stderr. For tests only.
#pragma once

#include <string>
#include <vector>

namespace wasmcloud::testing {

struct CommandResult {
  int exit_code = -1;  // the exit status, or 128+signal when killed by a signal
  std::string out;
  std::string err;
};

// argv[0] is looked up in PATH when it has no '/'. `stdin_data` is written to its stdin.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_data = "");

// Path of the built `wasmcloud` binary.
std::string WasmcloudBinary();
// Path of a fixture: FixturePath("wc-host-0.18/echo.wasm") -> ../shared/fixtures/...
std::string FixturePath(const std::string& relative);
// A fresh temporary directory, removed by the caller (or left under /tmp).
std::string MakeTempDir();
// A TCP port of 127.0.0.1 that was free a moment ago (bound, then closed), for a server a
// test starts; -1 when none could be bound. Drawn below the kernel's ephemeral range, so
// that no outgoing connection and no server bound to port 0 takes it in the meantime.
int FreeLoopbackPort();
// A socket listening on 127.0.0.1 at a port the kernel chose (stored in *port), with
// `backlog`; the caller closes it. -1 (and *port untouched) when it could not be made.
int ListenOnLoopback(int backlog, int* port);

}  // namespace wasmcloud::testing
