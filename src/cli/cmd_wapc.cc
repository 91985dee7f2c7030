// `wasmcloud wapc MODULE OPERATION [--data TEXT | --data-hex HEX | --data-file FILE]
// [--hex]`: loads any waPC module (no claims check), calls one operation, prints the
// response. Host calls are answered with an error: no capabilities exist here.
#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "cli/io.h"
#include "core/log.h"
#include "wapc/wapc.h"
#include "wasm/v8/v8_engine.h"

namespace wasmcloud::cli {
namespace {

class NoCapabilities : public wapc::HostCallbacks {
 public:
  explicit NoCapabilities(std::string module) : module_(std::move(module)) {}
  Result<Bytes> OnHostCall(const wapc::HostCall& call) override {
    Log(LogLevel::kInfo, "wapc",
        "refused host call " + std::string(call.ns) + "/" + std::string(call.operation));
    return Unavailable("no capabilities are available to `wasmcloud wapc`");
  }
  void OnConsoleLog(std::string_view message) override {
    Log(LogLevel::kInfo, "wapc", "Guest module " + module_ + ": " + std::string(message));
  }

 private:
  std::string module_;
};

struct WapcOptions {
  std::string module;
  std::string operation;
  PayloadOptions payload;
  bool hex = false;
  int64_t timeout_ms = 10000;
};

int RunWapc(const WapcOptions& o) {
  auto payload = o.payload.Resolve();
  if (!payload.ok()) {
    PrintError("wapc", payload.status().message());
    return 2;
  }
  auto bytes = ReadFile(o.module);
  if (!bytes.ok()) {
    PrintError("wapc", bytes.status().message());
    return 2;
  }
  auto engine = wasm::CreateV8Engine();
  if (!engine.ok()) {
    PrintError("wapc", engine.status().message());
    return 2;
  }
  auto module = wapc::WapcModule::Load(**engine, *bytes);
  if (!module.ok()) {
    PrintError("wapc", o.module + ": " + module.status().message());
    return 2;
  }
  auto worker = (*engine)->NewWorker();
  if (!worker.ok()) {
    PrintError("wapc", worker.status().message());
    return 2;
  }
  NoCapabilities host(o.module);
  wasm::CallOptions call_options;
  call_options.timeout = std::chrono::milliseconds(o.timeout_ms);
  int rc;
  {
    auto instance = wapc::WapcInstance::Create(**worker, *module, &host, o.module, call_options);
    if (!instance.ok()) {
      PrintError("wapc", o.module + ": " + instance.status().message());
      return 2;
    }
    auto response = (*instance)->Call(o.operation, *payload, call_options);
    if (response.ok()) {
      PrintPayload(*response, o.hex);
      rc = 0;
    } else {
      PrintError("wapc", response.status().message());
      rc = 1;
    }
  }
  return rc;
}

}  // namespace

void AddWapcCommand(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<WapcOptions>();
  CLI::App* cmd =
      app.add_subcommand("wapc", "Call one operation of a waPC module (no claims check)");
  cmd->add_option("MODULE", opts->module, "path of the .wasm module")->required();
  cmd->add_option("OPERATION", opts->operation, "operation name")->required();
  opts->payload.Register(*cmd);
  cmd->add_flag("--hex", opts->hex, "print the response as hex");
  cmd->add_option("--timeout-ms", opts->timeout_ms, "deadline of the call (default 10000)")
      ->check(CLI::PositiveNumber);
  cmd->callback([opts, exit_code] { *exit_code = RunWapc(*opts); });
}

}  // namespace wasmcloud::cli
