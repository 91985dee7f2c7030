// `wasmcloud claims sign` and `wasmcloud claims inspect`: wascap claims embedded in a
// module. Exit codes: 0 ok, 1 the claims do not verify (the reason is printed),
// 2 bad arguments or unusable input.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/claims_keys.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "crypto/identity_error.h"
#include "crypto/module_claims.h"
#include "wasm/module_info.h"

namespace wasmcloud::cli {
namespace {

using Json = nlohmann::ordered_json;

template <typename T>
Json OrNull(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

// The flat JSON view of a module's claims, with the keys of fixtures_index.json.
Json ClaimsJson(const crypto::ModuleIdentity& id) {
  const crypto::ActorClaims& c = id.claims;
  Json j = Json::object();
  j["iss"] = c.iss;
  j["sub"] = c.sub;
  j["jti"] = c.jti;
  j["iat"] = c.iat;
  j["exp"] = OrNull(c.exp);
  j["nbf"] = OrNull(c.nbf);
  if (c.wascap) {
    const crypto::ActorMetadata& m = *c.wascap;
    j["name"] = OrNull(m.name);
    j["hash"] = m.hash;
    j["tags"] = OrNull(m.tags);
    j["caps"] = OrNull(m.caps);
    j["rev"] = OrNull(m.rev);
    j["ver"] = OrNull(m.ver);
    j["call_alias"] = OrNull(m.call_alias);
    j["prov"] = m.prov;
  }
  j["module_hash"] = id.module_hash;
  j["jwt"] = id.token;
  return j;
}

std::string JoinOr(const std::optional<std::vector<std::string>>& v, const char* none) {
  if (!v || v->empty()) return none;
  std::string s;
  for (const auto& e : *v) s += (s.empty() ? "" : ", ") + e;
  return s;
}

void PrintClaimsText(const crypto::ModuleIdentity& id, const Status& verified) {
  const crypto::ActorClaims& c = id.claims;
  const crypto::ActorMetadata m = c.wascap.value_or(crypto::ActorMetadata{});
  auto row = [](const char* label, const std::string& value) {
    std::cout << "  " << label << std::string(14 - std::string(label).size(), ' ') << value << "\n";
  };
  std::cout << m.name.value_or("Anonymous") << " - Module\n";
  row("Account", c.iss);
  row("Module", c.sub);
  row("Issued", crypto::FormatUnixTime(c.iat));
  row("Expires", c.exp ? crypto::FormatUnixTime(*c.exp) : "never");
  row("Can Be Used", c.nbf ? crypto::FormatUnixTime(*c.nbf) : "immediately");
  std::string version = m.ver.value_or("(none)");
  if (m.rev) version += " (" + std::to_string(*m.rev) + ")";
  row("Version", version);
  row("Call Alias", m.call_alias.value_or("(not set)"));
  row("Capabilities", JoinOr(m.caps, "(none)"));
  row("Tags", JoinOr(m.tags, "(none)"));
  row("Hash", m.hash);
  row("Verified", verified.ok() ? "yes" : "NO: " + verified.message());
  std::cout.flush();
}

// Reads a module and checks that it is one; the error says which file and why.
Result<Bytes> ReadModule(const std::string& path) {
  auto bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  auto info = wasm::InspectModule(*bytes);
  if (!info.ok()) {
    return InvalidArgument(path + " is not a WebAssembly module: " + info.status().message());
  }
  return std::move(bytes).value();
}

// --- inspect -------------------------------------------------------------------------------

struct InspectOptions {
  std::string module;
  std::string output = "text";
};

int RunInspect(const InspectOptions& o) {
  auto module = ReadModule(o.module);
  if (!module.ok()) {
    // Exit 2: nothing to inspect. The JSON form still says why, as `par inspect` does.
    if (o.output == "json") {
      Json j = {{"verified", false},
                {"error", module.status().message()},
                {"error_kind", "not a WebAssembly module"}};
      std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << std::endl;
    }
    PrintError("claims inspect", module.status().message());
    return 2;
  }
  auto id = crypto::ReadModuleIdentity(*module);
  Status verified = id.ok()
                        ? crypto::VerifyModule(*module, crypto::VerifyOptions::ForActor()).status()
                        : id.status();
  if (o.output == "json") {
    Json j = id.ok() ? ClaimsJson(*id) : Json::object();
    j["verified"] = verified.ok();
    j["error"] = verified.ok() ? Json(nullptr) : Json(verified.message());
    auto kind = crypto::IdentityErrorOf(verified);
    j["error_kind"] = kind == crypto::IdentityError::kNone
                          ? Json(nullptr)
                          : Json(std::string(crypto::IdentityErrorPhrase(kind)));
    std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << std::endl;
  } else if (id.ok()) {
    PrintClaimsText(*id, verified);
  }
  if (!verified.ok()) {
    PrintError("claims inspect", o.module + ": " + verified.message());
    return 1;
  }
  return 0;
}

// --- sign ----------------------------------------------------------------------------------

struct SignOptions {
  std::string module;
  std::string destination;
  std::string format = "text";
  std::string name;
  std::vector<std::string> caps;
  std::vector<std::string> tags;
  std::optional<int32_t> rev;
  std::optional<std::string> ver;
  std::optional<std::string> call_alias;
  std::optional<int64_t> expires_in_days;
  std::optional<int64_t> not_before_days;
  std::optional<std::string> issuer;
  std::optional<std::string> subject;
  std::optional<std::string> keys_dir;
};

SigningKeyOptions SigningKeys(const SignOptions& o) {
  return {o.name, o.issuer, o.subject, o.keys_dir};
}

int RunSign(const SignOptions& o) {
  auto fail = [](const Status& st) {
    PrintError("claims sign", st.message());
    return 2;
  };
  auto module = ReadModule(o.module);
  if (!module.ok()) return fail(module.status());
  for (const std::string& cap : o.caps) {
    if (Status s = CheckContractId(cap, "--cap"); !s.ok()) return fail(s);
  }
  auto issuer = ResolveIssuer(SigningKeys(o));
  if (!issuer.ok()) return fail(issuer.status());
  auto subject = ResolveSubject(SigningKeys(o), crypto::KeyType::kModule);
  if (!subject.ok()) return fail(subject.status());

  int64_t now = crypto::SystemUnixSeconds();
  auto exp = DaysFromNow(o.expires_in_days, now, "--expires-in-days");
  if (!exp.ok()) return fail(exp.status());
  WarnIfExpiredAtOnce(o.expires_in_days, "the module");
  auto nbf = DaysFromNow(o.not_before_days, now, "--not-before-days");
  if (!nbf.ok()) return fail(nbf.status());

  crypto::ActorClaimsSpec spec;
  spec.name = o.name;
  spec.caps = o.caps;
  spec.tags = o.tags;
  spec.rev = o.rev;
  spec.ver = o.ver;
  spec.call_alias = o.call_alias;
  spec.exp = *exp;
  spec.nbf = *nbf;
  crypto::ActorClaims claims =
      crypto::NewActorClaims(spec, issuer->public_key_text(), *subject, static_cast<uint64_t>(now));
  auto signed_module = crypto::SignModule(*module, claims, *issuer);
  if (!signed_module.ok()) return fail(signed_module.status());
  Status written = WriteFile(o.destination, *signed_module, 0644);
  if (!written.ok()) return fail(written);

  auto id = crypto::ReadModuleIdentity(*signed_module);
  if (!id.ok()) {
    PrintError("claims sign", "the signed module does not read back: " + id.status().message());
    return 1;
  }
  if (o.format == "json") {
    Json j = ClaimsJson(*id);
    j["file"] = o.destination;
    std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << std::endl;
  } else {
    std::cout << "Signed " << o.destination << " as " << id->claims.sub << " (issuer "
              << id->claims.iss << ")\n";
    std::cout << "  Capabilities  " << JoinOr(id->claims.wascap->caps, "(none)") << "\n";
    if (const auto& alias = id->claims.wascap->call_alias) {
      // Normalised as 0.18 did (identity.md): say it when it is not what was given.
      std::cout << "  Call Alias    " << *alias
                << (o.call_alias && *o.call_alias != *alias
                        ? " (normalised from \"" + *o.call_alias + "\", docs/identity.md)"
                        : std::string())
                << "\n";
    }
    std::cout << "  Hash          " << id->claims.wascap->hash << std::endl;
  }
  return 0;
}

}  // namespace

void AddClaimsCommand(CLI::App& app, int* exit_code) {
  CLI::App* claims = app.add_subcommand("claims", "Sign modules and inspect their claims (JWT)");
  claims->require_subcommand(1);

  auto so = std::make_shared<SignOptions>();
  CLI::App* sign = claims->add_subcommand(
      "sign", "Embed signed actor claims in a module (replacing any it carries)");
  sign->add_option("MODULE", so->module, "the .wasm module to sign")->required();
  sign->add_option("-d,--destination", so->destination, "where to write the signed module")
      ->required();
  AddFormatOption(*sign, &so->format, /*writes_file=*/true);
  sign->add_option("-n,--name", so->name, "the actor's name")->required();
  sign->add_option("-c,--cap", so->caps, "a capability contract id the actor may use (repeat)");
  sign->add_option("-t,--tag", so->tags, "a tag (repeat)");
  sign->add_option("-r,--rev", so->rev, "revision number");
  sign->add_option("-v,--ver", so->ver, "version text (such as 0.1.0)");
  sign->add_option("-a,--call-alias", so->call_alias,
                   "call alias (normalised: lowercase, ' ', '-', '.' become '_')");
  sign->add_option("-x,--expires-in-days", so->expires_in_days,
                   "claims expire this many days from now (default: never)");
  sign->add_option("-b,--not-before-days", so->not_before_days,
                   "claims are usable only this many days from now (default: at once)");
  sign->add_option("-i,--issuer", so->issuer,
                   "account seed or file (default: <keys dir>/<name>_account.nk, made if missing)");
  sign->add_option(
      "-s,--subject", so->subject,
      "module seed, module public key, or file (default: <keys dir>/<name>_module.nk)");
  sign->add_option("--keys-dir", so->keys_dir,
                   "where generated keys are kept (default: $WASMCLOUD_KEYS_DIR or ~/.wash/keys)");
  sign->callback([so, exit_code] { *exit_code = RunSign(*so); });

  auto io = std::make_shared<InspectOptions>();
  CLI::App* inspect =
      claims->add_subcommand("inspect", "Show a module's claims and whether they verify");
  inspect->add_option("MODULE", io->module, "the .wasm module")->required();
  AddFormatOption(*inspect, &io->output);
  inspect->callback([io, exit_code] { *exit_code = RunInspect(*io); });
}

}  // namespace wasmcloud::cli
