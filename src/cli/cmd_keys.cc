// `wasmcloud keys gen TYPE` and `wasmcloud keys inspect SEED_OR_FILE` (-o json for
// scripts). Seeds are printed only by `gen`, which exists to make them.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/claims_keys.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "crypto/nkeys.h"

namespace wasmcloud::cli {
namespace {

using Json = nlohmann::ordered_json;

struct KeysOptions {
  std::string type;
  std::string key;
  std::string output = "text";
};

int RunGen(const KeysOptions& o) {
  auto type = crypto::ParseKeyType(o.type);
  if (!type.ok()) {
    PrintError("keys gen", type.status().message());
    return 2;
  }
  crypto::KeyPair kp = crypto::KeyPair::Generate(*type);
  if (o.output == "json") {
    Json j = {{"type", crypto::KeyTypeName(*type)},
              {"public_key", kp.public_key_text()},
              {"seed", kp.EncodedSeed()}};
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << "Public Key: " << kp.public_key_text() << "\n"
              << "Seed: " << kp.EncodedSeed() << "\n"
              << "\nRemember that the seed is private, treat it as a secret." << std::endl;
  }
  return 0;
}

int RunInspect(const KeysOptions& o) {
  auto text = ReadKeyText(o.key);
  if (!text.ok()) {
    PrintError("keys inspect", text.status().message());
    return 2;
  }
  std::string public_key;
  crypto::KeyType type;
  // By length first, so that a damaged seed is reported as a damaged seed.
  bool is_seed = text->size() == crypto::kSeedLength ||
                 (text->size() != crypto::kPublicKeyLength && !text->empty() && (*text)[0] == 'S');
  if (is_seed) {
    auto kp = crypto::KeyPair::FromSeed(*text);
    if (!kp.ok()) {
      PrintError("keys inspect", kp.status().message());
      return 2;
    }
    public_key = kp->public_key_text();
    type = kp->type();
  } else {
    auto pk = crypto::ParsePublicKey(*text);
    if (!pk.ok()) {
      PrintError("keys inspect", pk.status().message());
      return 2;
    }
    public_key = pk->encoded;
    type = pk->type;
  }
  if (o.output == "json") {
    Json j = {{"type", crypto::KeyTypeName(type)},
              {"prefix", std::string(1, crypto::PrefixChar(type))},
              {"public_key", public_key},
              {"is_seed", is_seed}};
    std::cout << j.dump() << std::endl;
  } else {
    std::cout << "Type: " << crypto::KeyTypeName(type) << " (" << crypto::PrefixChar(type) << ")\n"
              << "Public Key: " << public_key << "\n"
              << "Seed: " << (is_seed ? "yes (can sign)" : "no (public key only)") << std::endl;
  }
  return 0;
}

void AddOutputOption(CLI::App* cmd, std::string* output) { AddFormatOption(*cmd, output); }

}  // namespace

void AddKeysCommand(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<KeysOptions>();
  CLI::App* keys = app.add_subcommand("keys", "Make and inspect nkeys (ed25519 keys)");
  keys->require_subcommand(1);

  CLI::App* gen = keys->add_subcommand("gen", "Generate a key pair: print its seed and public key");
  gen->add_option("TYPE", opts->type,
                  "account, module (actor), service (provider), server (host), operator, "
                  "cluster or user")
      ->required();
  AddOutputOption(gen, &opts->output);
  gen->callback([opts, exit_code] { *exit_code = RunGen(*opts); });

  CLI::App* inspect =
      keys->add_subcommand("inspect", "Show the type and public key of a seed or public key");
  inspect->add_option("SEED_OR_FILE", opts->key, "a seed, a public key, or a file holding one")
      ->required();
  AddOutputOption(inspect, &opts->output);
  inspect->callback([opts, exit_code] { *exit_code = RunInspect(*opts); });
}

}  // namespace wasmcloud::cli
