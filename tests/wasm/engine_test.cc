// The engine interface on its V8 backend, below waPC: compile errors, host function
// signatures, value types, guest memory bounds, deadlines.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "core/bytes.h"
#include "support/run_command.h"
#include "wasm/v8/v8_engine.h"

namespace wasmcloud::wasm {
namespace {

Engine& TheEngine() {
  static std::shared_ptr<Engine> engine = *CreateV8Engine();
  return *engine;
}

// (module
//   (import "env" "add" (func $add (param i64 f64) (result i64)))
//   (memory (export "memory") 1 2)
//   (func (export "call_add") (param i64 f64) (result i64) local.get 0 local.get 1 call $add)
//   (func (export "spin") (loop br 0)))
const uint8_t kModule[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x02, 0x60, 0x02, 0x7e, 0x7c, 0x01,
    0x7e, 0x60, 0x00, 0x00, 0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x61, 0x64, 0x64, 0x00,
    0x00, 0x03, 0x03, 0x02, 0x00, 0x01, 0x05, 0x04, 0x01, 0x01, 0x01, 0x02, 0x07, 0x1c, 0x03, 0x06,
    0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x08, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x61, 0x64,
    0x64, 0x00, 0x01, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x02, 0x0a, 0x12, 0x02, 0x08, 0x00, 0x20,
    0x00, 0x20, 0x01, 0x10, 0x00, 0x0b, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b};

std::vector<HostFunction> AddFunction(std::vector<double>* seen) {
  return {HostFunction{
      "env", "add", FuncType{{ValType::kI64, ValType::kF64}, {ValType::kI64}},
      [seen](HostContext& ctx, std::span<const Value> args, std::span<Value> results) -> Status {
        seen->push_back(args[1].f64);
        if (args[0].i64 < 0) return PermissionDenied("negative numbers refused");
        EXPECT_NE(ctx.memory(), nullptr);
        results[0] = Value::I64(args[0].i64 + static_cast<int64_t>(args[1].f64));
        return Status::Ok();
      }}};
}

TEST(EngineTest, CompileErrorCarriesTheEngineMessage) {
  // A well-framed module whose only function body uses an opcode that does not exist.
  const uint8_t bad[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01,
                         0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
                         0x0a, 0x05, 0x01, 0x03, 0x00, 0xff, 0x0b};
  auto r = TheEngine().Compile(ByteView(bad, sizeof bad));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  EXPECT_NE(r.status().message().find("module does not compile: CompileError"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("Invalid opcode 0xff"), std::string::npos)
      << r.status().message();
}

TEST(EngineTest, HostFunctionsGetAndReturnI64AndF64) {
  auto module = TheEngine().Compile(ByteView(kModule, sizeof kModule));
  ASSERT_TRUE(module.ok()) << module.status().message();
  auto worker = *TheEngine().NewWorker();
  std::vector<double> seen;
  auto fns = AddFunction(&seen);
  auto inst = worker->Instantiate(**module, fns);
  ASSERT_TRUE(inst.ok()) << inst.status().message();
  auto fn = (*inst)->FindFunction("call_add");
  ASSERT_TRUE(fn.ok());
  std::vector<Value> out;
  const Value args[] = {Value::I64(int64_t{1} << 40), Value::F64(2.5)};
  ASSERT_TRUE((*inst)->Call(*fn, args, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].i64, (int64_t{1} << 40) + 2);
  EXPECT_EQ(seen, std::vector<double>{2.5});
  // A failing host function surfaces with its own code and message.
  const Value neg[] = {Value::I64(-1), Value::F64(0)};
  Status s = (*inst)->Call(*fn, neg, &out);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_EQ(s.message(), "negative numbers refused");
  // Wrong argument types are refused before the guest runs.
  const Value wrong[] = {Value::I32(1), Value::F64(0)};
  EXPECT_EQ((*inst)->Call(*fn, wrong, &out).code(), Code::kInvalidArgument);
  EXPECT_EQ((*inst)->FindFunction("nope").status().code(), Code::kNotFound);
  inst->reset();
}

TEST(EngineTest, ImportsAreCheckedAgainstTheHost) {
  auto module = *TheEngine().Compile(ByteView(kModule, sizeof kModule));
  auto worker = *TheEngine().NewWorker();
  auto missing = worker->Instantiate(*module, {});
  EXPECT_EQ(missing.status().message(),
            "module imports function env.add, which the host does not provide");
  std::vector<HostFunction> wrong = {
      HostFunction{"env", "add", FuncType{{ValType::kI32}, {}}, nullptr}};
  EXPECT_EQ(worker->Instantiate(*module, wrong).status().message(),
            "module imports function env.add with type (i64, f64) -> i64, but the host provides "
            "(i32) -> ()");
}

TEST(EngineTest, GuestMemoryIsBoundsChecked) {
  auto module = *TheEngine().Compile(ByteView(kModule, sizeof kModule));
  auto worker = *TheEngine().NewWorker();
  std::vector<double> seen;
  auto fns = AddFunction(&seen);
  auto inst = std::move(*worker->Instantiate(*module, fns));
  GuestMemory* mem = inst->memory();
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->size(), 65536u);
  EXPECT_TRUE(mem->Write(65530, AsBytes("abcdef")));
  Bytes out;
  EXPECT_TRUE(mem->Read(65530, 6, &out));
  EXPECT_EQ(AsChars(out), "abcdef");
  EXPECT_FALSE(mem->Write(65531, AsBytes("abcdef")));
  EXPECT_FALSE(mem->Read(UINT64_MAX, 2, &out));
  EXPECT_FALSE(mem->Slice(1, UINT64_MAX).has_value());
  EXPECT_TRUE(mem->Slice(65536, 0).has_value());
  inst.reset();
}

TEST(EngineTest, DeadlineStopsALoopAndTheInstanceIsReusable) {
  auto module = *TheEngine().Compile(ByteView(kModule, sizeof kModule));
  auto worker = *TheEngine().NewWorker();
  std::vector<double> seen;
  auto fns = AddFunction(&seen);
  auto inst = std::move(*worker->Instantiate(*module, fns));
  auto spin = *inst->FindFunction("spin");
  auto add = *inst->FindFunction("call_add");
  std::vector<Value> out;
  for (int i = 0; i < 3; ++i) {
    Status s = inst->Call(spin, {}, &out, {.timeout = std::chrono::milliseconds(30)});
    EXPECT_EQ(s.code(), Code::kDeadlineExceeded);
    const Value args[] = {Value::I64(1), Value::F64(1)};
    ASSERT_TRUE(inst->Call(add, args, &out).ok());
    EXPECT_EQ(out[0].i64, 2);
  }
  inst.reset();
}

// More threads than any per-thread bookkeeping would keep take turns on one worker, without
// holding it: each call right, a deadline stops a loop of whichever thread made it, and the
// next call of that thread and of the others runs.
TEST(EngineTest, ManyThreadsTakeTurnsOnOneWorkerWithDeadlines) {
  auto module = *TheEngine().Compile(ByteView(kModule, sizeof kModule));
  auto worker = *TheEngine().NewWorker();
  std::vector<double> seen;
  std::mutex seen_mu;
  std::vector<HostFunction> fns = {HostFunction{
      "env", "add", FuncType{{ValType::kI64, ValType::kF64}, {ValType::kI64}},
      [&](HostContext&, std::span<const Value> args, std::span<Value> results) -> Status {
        std::lock_guard lock(seen_mu);
        seen.push_back(args[1].f64);
        results[0] = Value::I64(args[0].i64 + static_cast<int64_t>(args[1].f64));
        return Status::Ok();
      }}};
  auto inst = std::move(*worker->Instantiate(*module, fns));
  auto spin = *inst->FindFunction("spin");
  auto add = *inst->FindFunction("call_add");
  constexpr int kThreads = 80;
  constexpr int kCalls = 20;
  std::atomic<int> wrong{0}, stopped{0};
  // In rounds of 8 threads at once, so that threads take turns on the isolate.
  for (int round = 0; round < kThreads / 8; ++round) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      const int id = round * 8 + t;
      threads.emplace_back([&, id] {
        std::vector<Value> out;
        for (int i = 0; i < kCalls; ++i) {
          if (i == kCalls / 2 && id % 10 == 0) {
            Status s = inst->Call(spin, {}, &out, {.timeout = std::chrono::milliseconds(20)});
            if (s.code() == Code::kDeadlineExceeded) ++stopped;
          }
          const Value args[] = {Value::I64(id), Value::F64(i)};
          Status s = inst->Call(add, args, &out);
          if (!s.ok() || out.size() != 1 || out[0].i64 != id + i) ++wrong;
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(stopped.load(), kThreads / 10);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kCalls));
  inst.reset();
  worker.reset();
}

TEST(EngineTest, MemoryMinimumAboveTheCapIsRefused) {
  EngineConfig config;
  config.max_memory_pages = 1;
  // Engines share V8 but each applies its own cap.
  auto small = *CreateV8Engine(config);
  auto r = small->Compile(ByteView(kModule, sizeof kModule));
  ASSERT_TRUE(r.ok()) << r.status().message();  // min 1 page fits
  EXPECT_EQ((*r)->info().memories[0].max, 1u);  // max 2 lowered to the cap
  config.max_memory_pages = 0;
  auto none = *CreateV8Engine(config);
  EXPECT_EQ(none->Compile(ByteView(kModule, sizeof kModule)).status().code(),
            Code::kResourceExhausted);
}

TEST(EngineTest, TablesGrowOnlyUpToTheCaps) {
  auto bytes = ReadFile(std::string(WC_WASM_TEST_DATA) + "/table_grow.wasm");
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  EngineConfig config;
  config.max_table_elements = 100;
  config.max_total_table_elements = 1000;
  auto engine = *CreateV8Engine(config);
  auto module = engine->Compile(*bytes);
  ASSERT_TRUE(module.ok()) << module.status().message();
  EXPECT_EQ((*module)->info().tables[0].limits.max, 100u);
  auto worker = *engine->NewWorker();
  WorkerLock lock(*worker);
  auto inst = *worker->Instantiate(**module, {});
  FunctionRef grow = *inst->FindFunction("grow");
  FunctionRef size = *inst->FindFunction("size");
  std::vector<Value> out;
  const Value ninety[] = {Value::I32(90)};
  ASSERT_TRUE(inst->Call(grow, ninety, &out).ok());
  EXPECT_EQ(out[0].i32, 10);  // the old size: it grew to 100
  const Value one[] = {Value::I32(1)};
  ASSERT_TRUE(inst->Call(grow, one, &out).ok());
  EXPECT_EQ(out[0].i32, -1);  // refused: 101 is above the cap
  ASSERT_TRUE(inst->Call(size, {}, &out).ok());
  EXPECT_EQ(out[0].i32, 100);
  inst.reset();

  config.max_table_elements = 5;  // below the table's minimum of 10
  auto small = *CreateV8Engine(config);
  auto refused = small->Compile(*bytes);
  EXPECT_EQ(refused.status().code(), Code::kResourceExhausted);
  EXPECT_EQ(refused.status().message(),
            "table 0 needs at least 10 elements, above the cap of 5 elements per table");
}

TEST(EngineTest, WaitsUntilTheBackgroundOptimisationOfAModuleIsDone) {
  // A module no other test of this process compiles: V8 compiles its baseline code in
  // Compile and its optimised code on helper threads afterwards.
  auto bytes = ReadFile(testing::FixturePath("wc-host-0.18/extras.wasm"));
  ASSERT_TRUE(bytes.ok()) << bytes.status().message();
  uint64_t before = V8BackgroundTasksPosted();
  auto module = TheEngine().Compile(*bytes);
  ASSERT_TRUE(module.ok()) << module.status().message();
  EXPECT_GT(V8BackgroundTasksPosted(), before) << "no work was handed to V8's helper threads";
  Status idle = TheEngine().WaitForBackgroundWork(std::chrono::seconds(60));
  EXPECT_TRUE(idle.ok()) << idle.message();
}

}  // namespace
}  // namespace wasmcloud::wasm
