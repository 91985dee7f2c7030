// Where `keys` and `claims` get their keys: text given on the command line or in a file,
// and the keys directory where `claims sign` keeps the keys it generates (as wash did).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "crypto/nkeys.h"

namespace wasmcloud::cli {

// $WASMCLOUD_KEYS_DIR, else $HOME/.wash/keys (wash's default, so keys made by either
// tool are found by both).
std::string DefaultKeysDir();

// The key text of SEED_OR_FILE: the content of the file when a file by that name
// exists, else the argument itself; surrounding whitespace removed. kInvalidArgument
// when a file exists but cannot be read.
Result<std::string> ReadKeyText(const std::string& seed_or_file);

// wash's key file stem for a module name: lowercase, spaces to '_'. Characters that
// cannot be part of one file name ('/', '\0', ...) also become '_', so a name can never
// point outside the keys directory.
std::string KeyFileStem(std::string_view module_name);

struct StoredKey {
  crypto::KeyPair key;
  std::string path;
  bool created = false;  // generated now (and written to `path`)
};

// The seed in `dir`/`file_name`, or a new key of `type` written there with mode 0600 (the
// directory is created with mode 0700 when missing). An existing file of another key
// type is an error (kInvalidArgument), not silently replaced.
Result<StoredKey> LoadOrCreateKey(const std::string& dir, const std::string& file_name,
                                  crypto::KeyType type);

// Where the signing commands (`claims sign`, `par create`) get their keys.
struct SigningKeyOptions {
  std::string name;                     // the artefact's name: the key file stem
  std::optional<std::string> issuer;    // --issuer SEED_OR_FILE
  std::optional<std::string> subject;   // --subject SEED_OR_FILE (a seed or a public key)
  std::optional<std::string> keys_dir;  // --keys-dir; default DefaultKeysDir()
};

// The issuer: --issuer (an account seed), else <keys dir>/<name>_account.nk (made when
// missing, with a line on stderr saying so).
Result<crypto::KeyPair> ResolveIssuer(const SigningKeyOptions& o);

// The subject's public key, of `type` (module for actors, service for providers):
// --subject, else <keys dir>/<name>_<type name>.nk (made when missing).
Result<std::string> ResolveSubject(const SigningKeyOptions& o, crypto::KeyType type);

// `now` plus `days` days, for --expires-in-days and --not-before-days (named by `flag`
// in errors); none when `days` is not given.
// Says on stderr that claims expiring `days` (0 or fewer) from now are expired at once:
// allowed (tests make such artefacts), but a host refuses `what` from the start.
void WarnIfExpiredAtOnce(const std::optional<int64_t>& days, const char* what);
Result<std::optional<uint64_t>> DaysFromNow(const std::optional<int64_t>& days, int64_t now,
                                            const char* flag);

// Ok when `id` is a contract id: segments of letters, digits, '_', '-' or '.' joined by
// ':', at least two ("wasmcloud:httpserver", "wasmcloud:builtin:logging"). Otherwise
// kInvalidArgument naming `flag`: a bare name ("httpserver") is a mistake that would sign
// a capability nothing provides.
Status CheckContractId(std::string_view id, const char* flag);

// Ok when `bytes` (read from `path`) are an ELF shared object for the CPU of `target`
// ("x86_64-linux": where the architecture is one this project knows) that names
// wasmcloud_provider_create, what a provider library is; kInvalidArgument saying what they
// are instead.
Status CheckSharedLibrary(ByteView bytes, const std::string& path, std::string_view target);

}  // namespace wasmcloud::cli
