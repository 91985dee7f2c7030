// Compiled code in the V8 backend (issue 17): one compiled module per code, whatever the
// signature; the code cache across restarts and what it refuses; the low-priority pool
// that optimises new modules; and the host's code cache settings.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "crypto/module_claims.h"
#include "crypto/nkeys.h"
#include "crypto/sha256.h"
#include "host/host.h"
#include "support/run_command.h"
#include "support/status_assert.h"
#include "wasm/module_info.h"
#include "wasm/v8/code_cache.h"
#include "wasm/v8/v8_engine.h"

namespace wasmcloud::wasm {
namespace {

using testing::Ok;
namespace fs = std::filesystem;

constexpr auto kWait = std::chrono::seconds(120);

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/wc_engine_code_XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

// (module (func (export "answer") (result i32) i32.const 42))
const uint8_t kAnswer[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05,
                           0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07,
                           0x0a, 0x01, 0x06, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72, 0x00,
                           0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b};

// The answer module with a custom section that makes its code unique in this process (V8
// shares compiled code of identical bytes between engines).
Bytes UniqueAnswer(const std::string& tag) {
  return *AppendCustomSection(ByteView(kAnswer, sizeof kAnswer), "test", AsBytes(tag));
}

const Bytes& Echo() {
  static Bytes b = *ReadFile(testing::FixturePath("wc-host-0.18/echo.wasm"));
  return b;
}

// `module` signed again by a new account: other bytes, same code.
Bytes Resigned(ByteView module) {
  auto account = crypto::KeyPair::Generate(crypto::KeyType::kAccount);
  auto identity = *crypto::ReadModuleIdentity(module);
  Bytes bare = *crypto::StripModuleToken(module);
  crypto::ActorClaims claims = identity.claims;
  claims.iss = account.public_key_text();
  return *crypto::SignModule(bare, claims, account);
}

// Calls "answer" of `module` on a new worker of `engine`.
int32_t Answer(Engine& engine, const Module& module) {
  auto worker = *engine.NewWorker();
  auto inst = worker->Instantiate(module, {});
  EXPECT_TRUE(Ok(inst));
  if (!inst.ok()) return -1;
  std::vector<Value> out;
  EXPECT_TRUE(Ok((*inst)->Call(*(*inst)->FindFunction("answer"), {}, &out)));
  int32_t answer = out.empty() ? -1 : out[0].i32;
  inst->reset();
  return answer;
}

std::vector<std::string> CacheFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) files.push_back(e.path().string());
  return files;
}

mode_t Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

EngineConfig CacheConfig(const std::string& dir) {
  EngineConfig config;
  config.code_cache_dir = dir;
  return config;
}

// --- one compiled module per code

TEST(EngineSharedCodeTest, ReSignedCopiesShareOneCompiledModule) {
  auto engine = *CreateV8Engine();
  const Bytes a = Resigned(Echo());
  const Bytes b = Resigned(Echo());
  ASSERT_NE(a, b);
  auto ma = engine->Compile(a);
  auto mb = engine->Compile(b);
  ASSERT_TRUE(Ok(ma));
  ASSERT_TRUE(Ok(mb));
  EXPECT_EQ(ma->get(), mb->get());  // the same Module
  V8EngineStats stats = GetV8EngineStats(*engine);
  EXPECT_EQ(stats.compiled, 1u);
  EXPECT_EQ(stats.shared, 1u);
  // What was compiled has no signature; the rest of the module is there.
  EXPECT_EQ((*ma)->info().FindCustomSection("jwt"), nullptr);
  EXPECT_NE((*ma)->info().FindExport("__guest_call"), nullptr);

  // A revision with other code is another module.
  auto other = engine->Compile(*AppendCustomSection(a, "revision", AsBytes("2")));
  ASSERT_TRUE(Ok(other));
  EXPECT_NE(other->get(), ma->get());
  EXPECT_EQ(GetV8EngineStats(*engine).compiled, 2u);
}

TEST(EngineSharedCodeTest, AModuleNobodyUsesIsFreedAndCompiledAgainWhenNeeded) {
  auto engine = *CreateV8Engine();
  const Bytes bytes = UniqueAnswer("freed");
  std::weak_ptr<const Module> weak;
  {
    auto m = *engine->Compile(bytes);
    weak = m;
    EXPECT_EQ(Answer(*engine, *m), 42);
  }
  EXPECT_TRUE(weak.expired()) << "the engine keeps only a weak reference";
  auto again = engine->Compile(bytes);
  ASSERT_TRUE(Ok(again));
  EXPECT_EQ(GetV8EngineStats(*engine).compiled, 2u);
  EXPECT_EQ(GetV8EngineStats(*engine).shared, 0u);
}

// --- the code cache

// Compiles `bytes` with a cache in `dir` and waits until its file is written; returns the
// path of that file.
std::string WriteCacheFile(const std::string& dir, const Bytes& bytes) {
  auto engine = *CreateV8Engine(CacheConfig(dir));
  auto m = engine->Compile(bytes);
  EXPECT_TRUE(Ok(m));
  EXPECT_TRUE(Ok(engine->WaitForBackgroundWork(kWait)));
  EXPECT_EQ(GetV8EngineStats(*engine).cache_written, 1u);
  auto files = CacheFiles(dir);
  EXPECT_EQ(files.size(), 1u);
  return files.empty() ? "" : files[0];
}

TEST(EngineCodeCacheTest, ASecondEngineLoadsTheCodeInsteadOfCompilingIt) {
  TempDir tmp;
  const std::string dir = tmp.path + "/code";
  const Bytes bytes = UniqueAnswer("round trip");
  const std::string file = WriteCacheFile(dir, bytes);
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(Mode(file), 0600u);
  EXPECT_TRUE(file.ends_with(".v8code")) << file;

  auto engine = *CreateV8Engine(CacheConfig(dir));
  auto m = engine->Compile(bytes);
  ASSERT_TRUE(Ok(m));
  V8EngineStats stats = GetV8EngineStats(*engine);
  EXPECT_EQ(stats.cache_loaded, 1u);
  EXPECT_EQ(stats.compiled, 0u) << "loaded from the cache: nothing compiled";
  EXPECT_EQ(Answer(*engine, **m), 42);
  // Loaded code is not written again.
  ASSERT_TRUE(Ok(engine->WaitForBackgroundWork(kWait)));
  EXPECT_EQ(GetV8EngineStats(*engine).cache_written, 0u);
}

TEST(EngineCodeCacheTest, ReSignedCopiesShareOneFile) {
  TempDir tmp;
  const std::string dir = tmp.path + "/code";
  const Bytes module = *AppendCustomSection(Echo(), "test", AsBytes("one file"));
  WriteCacheFile(dir, Resigned(module));
  auto engine = *CreateV8Engine(CacheConfig(dir));
  ASSERT_TRUE(Ok(engine->Compile(Resigned(module))));
  EXPECT_EQ(GetV8EngineStats(*engine).cache_loaded, 1u);
  EXPECT_EQ(GetV8EngineStats(*engine).compiled, 0u);
}

void FlipByte(Bytes& b, size_t at) { b.at(at) ^= 0x5a; }

// Recomputes the digest of our header after the payload was changed on purpose.
void ResealPayload(Bytes& file) {
  const size_t header = v8backend::CodeCache::kHeaderSize;
  crypto::Sha256Digest d = crypto::Sha256(ByteView(file.data() + header, file.size() - header));
  std::copy(d.begin(), d.end(), file.begin() + 88);
}

TEST(EngineCodeCacheTest, ADamagedOrForeignFileIsRefusedRemovedAndTheModuleCompiled) {
  TempDir tmp;
  const std::string dir = tmp.path + "/code";
  const Bytes bytes = UniqueAnswer("damaged");
  const std::string file = WriteCacheFile(dir, bytes);
  const Bytes good = *ReadFile(file);
  ASSERT_GT(good.size(), v8backend::CodeCache::kHeaderSize + 16);
  const size_t payload = v8backend::CodeCache::kHeaderSize;

  const std::vector<std::pair<std::string, std::function<void(Bytes&)>>> damages = {
      {"a flipped byte of code", [](Bytes& b) { FlipByte(b, b.size() - 1); }},
      {"truncated", [](Bytes& b) { b.resize(b.size() - 7); }},
      {"cut inside the header", [](Bytes& b) { b.resize(50); }},
      {"empty", [](Bytes& b) { b.clear(); }},
      {"not a cache file", [](Bytes& b) { b.assign(500, 'x'); }},
      {"another format version", [](Bytes& b) { FlipByte(b, 8); }},
      {"another engine's tag", [](Bytes& b) { FlipByte(b, 20); }},
      {"another module's key", [](Bytes& b) { FlipByte(b, 60); }},
      // Our header intact and the digest right, but V8's own header says another V8
      // version, then other flags: V8 refuses it (SetCompiledModuleBytes).
      {"another V8 version",
       [&](Bytes& b) {
         FlipByte(b, payload + 4);
         ResealPayload(b);
       }},
      {"other V8 flags",
       [&](Bytes& b) {
         FlipByte(b, payload + 12);
         ResealPayload(b);
       }},
  };
  for (const auto& [what, damage] : damages) {
    SCOPED_TRACE(what);
    Bytes bad = good;
    damage(bad);
    ASSERT_TRUE(Ok(WriteFile(file, bad, 0600)));
    auto engine = *CreateV8Engine(CacheConfig(dir));
    auto m = engine->Compile(bytes);
    ASSERT_TRUE(Ok(m));
    V8EngineStats stats = GetV8EngineStats(*engine);
    EXPECT_EQ(stats.cache_rejected, 1u);
    EXPECT_EQ(stats.cache_loaded, 0u);
    EXPECT_EQ(stats.compiled, 1u);
    EXPECT_EQ(Answer(*engine, **m), 42);
    // The refused file is replaced by a good one.
    ASSERT_TRUE(Ok(engine->WaitForBackgroundWork(kWait)));
    EXPECT_EQ(GetV8EngineStats(*engine).cache_written, 1u);
    auto reloaded = *ReadFile(file);
    EXPECT_EQ(reloaded.size(), good.size());
  }
}

TEST(EngineCodeCacheTest, ASymbolicLinkInPlaceOfAFileIsRefused) {
  TempDir tmp;
  const std::string dir = tmp.path + "/code";
  const Bytes bytes = UniqueAnswer("symlink");
  const std::string file = WriteCacheFile(dir, bytes);
  const std::string elsewhere = tmp.path + "/elsewhere";
  fs::rename(file, elsewhere);
  fs::create_symlink(elsewhere, file);
  auto engine = *CreateV8Engine(CacheConfig(dir));
  ASSERT_TRUE(Ok(engine->Compile(bytes)));
  EXPECT_EQ(GetV8EngineStats(*engine).cache_rejected, 1u);
  EXPECT_EQ(GetV8EngineStats(*engine).compiled, 1u);
  EXPECT_FALSE(fs::is_symlink(file));
}

TEST(EngineCodeCacheTest, ADirectoryOthersCanWriteIsRefusedWithTheReason) {
  TempDir tmp;
  const std::string dir = tmp.path + "/code";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  auto engine = CreateV8Engine(CacheConfig(dir));
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(
      engine.status().message().rfind(
          "the code cache " + dir + " is writable by others (mode 0777); the host refuses", 0),
      0u)
      << engine.status().message();
}

TEST(EngineCodeCacheTest, ADirectoryOfAnotherUserIsRefusedWithTheReason) {
  TempDir tmp;
  std::string dir = tmp.path + "/code";
  std::string owner = "65534";
  if (geteuid() == 0) {
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
    ASSERT_EQ(chown(dir.c_str(), 65534, 65534), 0);
  } else {
    dir = "/usr";  // root's
    owner = "0";
  }
  auto engine = CreateV8Engine(CacheConfig(dir));
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), Code::kPermissionDenied);
  EXPECT_EQ(engine.status().message().rfind(
                "the code cache " + dir + " is owned by uid " + owner + ", not this user", 0),
            0u)
      << engine.status().message();
}

TEST(EngineCodeCacheTest, WithoutADirectoryNothingIsWritten) {
  TempDir tmp;
  auto engine = *CreateV8Engine();
  ASSERT_TRUE(Ok(engine->Compile(UniqueAnswer("no cache"))));
  ASSERT_TRUE(Ok(engine->WaitForBackgroundWork(kWait)));
  EXPECT_EQ(GetV8EngineStats(*engine).cache_written, 0u);
  EXPECT_TRUE(CacheFiles(tmp.path).empty());
}

// The bound, with files of 1,120 bytes (1,000 of payload) under a bound of 3,000.
TEST(EngineCodeCacheFilesTest, TheOldestFilesGoFirstAndAHitCountsAsAUse) {
  TempDir tmp;
  auto cache = *v8backend::CodeCache::Open(tmp.path + "/code", "test engine", 3000);
  auto key = [](uint8_t n) {
    v8backend::CodeKey k{};
    k[0] = n;
    return k;
  };
  const Bytes payload(1000, 7);
  auto age = [&](uint8_t n, int seconds_ago) {
    timespec times[2];
    clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= seconds_ago;
    times[1] = times[0];
    ASSERT_EQ(utimensat(AT_FDCWD, cache->PathFor(key(n)).c_str(), times, 0), 0);
  };
  ASSERT_TRUE(Ok(cache->Store(key(1), payload)));
  age(1, 300);
  ASSERT_TRUE(Ok(cache->Store(key(2), payload)));
  age(2, 200);
  ASSERT_TRUE(Ok(cache->Store(key(3), payload)));  // 3,360 bytes: key 1 goes
  EXPECT_FALSE(cache->Load(key(1)).has_value());
  age(3, 100);
  EXPECT_EQ(cache->Load(key(2)), payload);         // key 2 is now the most recently used
  ASSERT_TRUE(Ok(cache->Store(key(4), payload)));  // key 3 goes
  EXPECT_FALSE(cache->Load(key(3)).has_value());
  EXPECT_EQ(cache->Load(key(2)), payload);
  EXPECT_EQ(cache->Load(key(4)), payload);
  // A payload above the bound is not written, and nothing is removed for it.
  ASSERT_TRUE(Ok(cache->Store(key(5), Bytes(4000, 1))));
  EXPECT_FALSE(cache->Load(key(5)).has_value());
  EXPECT_EQ(CacheFiles(tmp.path + "/code").size(), 2u);
  EXPECT_EQ(cache->rejected(), 0u);
}

// --- background optimisation

// The nice values of this process's threads.
std::vector<int> ThreadNiceValues() {
  std::vector<int> out;
  for (const auto& e : fs::directory_iterator("/proc/self/task")) {
    std::ifstream stat(e.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command name, which ends at the last ')': state is field 3, nice 19.
    size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(text.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 19 && rest >> field; ++i) {
      if (i == 19) out.push_back(std::stoi(field));
    }
  }
  return out;
}

TEST(EngineCompilePoolTest, OptimisationRunsOnLowPriorityThreads) {
  auto engine = *CreateV8Engine();
  const V8CompilePoolStats before = GetV8CompilePoolStats();
  EXPECT_GE(before.threads, 1u);
  EXPECT_EQ(before.nice, 10);
  auto m = engine->Compile(*AppendCustomSection(Echo(), "test", AsBytes("pool")));
  ASSERT_TRUE(Ok(m));
  ASSERT_TRUE(Ok(engine->WaitForBackgroundWork(kWait)));
  const V8CompilePoolStats after = GetV8CompilePoolStats();
  EXPECT_GT(after.tasks, before.tasks) << "the module was optimised elsewhere";
  EXPECT_GT(after.cpu_seconds, before.cpu_seconds);
  std::vector<int> nice = ThreadNiceValues();
  EXPECT_GE(std::count(nice.begin(), nice.end(), 10), static_cast<long>(after.threads));
}

// --- the host's settings

// Sets an environment variable for the life of the object.
struct ScopedEnv {
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  const char* name_;
  std::optional<std::string> old_;
};

// Starts a host with `config` and echo.wasm (signed for this test: code of its own),
// calls it, and waits until its engine is idle. Returns the engine's counters.
V8EngineStats RunEcho(host::HostConfig config, const std::string& tag) {
  std::shared_ptr<Engine> engine;
  host::Host h(std::move(config), [&](const EngineConfig& c) -> Result<std::shared_ptr<Engine>> {
    auto e = CreateV8Engine(c);
    if (e.ok()) engine = *e;
    return e;
  });
  EXPECT_TRUE(Ok(h.Start()));
  if (!engine) return {};
  const Bytes module = Resigned(*AppendCustomSection(Echo(), "test", AsBytes(tag)));
  auto actor = h.StartActor(module);
  EXPECT_TRUE(Ok(actor));
  if (actor.ok()) {
    // HealthRequest {placeholder: true}: answered {healthy: true, message: ""}.
    auto reply = h.CallActor(*actor, "HealthRequest", *HexDecode("81ab706c616365686f6c646572c3"));
    EXPECT_TRUE(Ok(reply));
  }
  EXPECT_TRUE(Ok(engine->WaitForBackgroundWork(kWait)));
  EXPECT_TRUE(Ok(h.Stop()));
  return GetV8EngineStats(*engine);
}

TEST(HostCodeCacheTest, OnByDefaultInThePerUserCacheDirectory) {
  TempDir tmp;
  ScopedEnv xdg("XDG_CACHE_HOME", tmp.path + "/xdg");
  host::HostConfig config;
  config.log_level = LogLevel::kWarn;
  V8EngineStats first = RunEcho(config, "default dir");
  EXPECT_EQ(first.compiled, 1u);
  EXPECT_EQ(first.cache_written, 1u);
  const std::string dir = tmp.path + "/xdg/wasmcloud/code";
  EXPECT_EQ(Mode(dir), 0700u);
  EXPECT_EQ(CacheFiles(dir).size(), 1u);
  // A restarted host runs the actor from the cached code.
  V8EngineStats second = RunEcho(config, "default dir");
  EXPECT_EQ(second.compiled, 0u);
  EXPECT_EQ(second.cache_loaded, 1u);
}

TEST(HostCodeCacheTest, NoCodeCacheWritesNothing) {
  TempDir tmp;
  ScopedEnv xdg("XDG_CACHE_HOME", tmp.path + "/xdg");
  host::HostConfig config;
  config.log_level = LogLevel::kWarn;
  config.no_code_cache = true;
  config.code_cache_dir = tmp.path + "/given";
  RunEcho(config, "no cache");
  EXPECT_TRUE(CacheFiles(tmp.path).empty()) << "neither the default nor the given directory";
}

TEST(HostCodeCacheTest, AGivenDirectoryThatIsRefusedStopsTheHost) {
  TempDir tmp;
  const std::string dir = tmp.path + "/code";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(chmod(dir.c_str(), 0777), 0);
  host::HostConfig config;
  config.code_cache_dir = dir;
  host::Host h(config, CreateV8Engine);
  Status s = h.Start();
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(s.message().find("is writable by others"), std::string::npos) << s.message();
}

TEST(HostCodeCacheTest, ARefusedDefaultDirectoryOnlyTurnsTheCacheOff) {
  TempDir tmp;
  const std::string xdg_dir = tmp.path + "/xdg";
  ASSERT_TRUE(fs::create_directories(xdg_dir + "/wasmcloud/code"));
  ASSERT_EQ(chmod((xdg_dir + "/wasmcloud/code").c_str(), 0777), 0);
  ScopedEnv xdg("XDG_CACHE_HOME", xdg_dir);
  host::HostConfig config;
  config.log_level = LogLevel::kError;
  RunEcho(config, "refused default");
  EXPECT_TRUE(CacheFiles(xdg_dir + "/wasmcloud/code").empty());
}

}  // namespace
}  // namespace wasmcloud::wasm
