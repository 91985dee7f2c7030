// `wasmcloud par create` and `wasmcloud par inspect`: provider archives (docs/par.md).
// Exit codes: 0 ok, 1 the archive does not verify (the reason is printed), 2 bad
// arguments or unusable input (a file that is not a provider archive).
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/claims_keys.h"
#include "cli/commands.h"
#include "cli/io.h"
#include "crypto/identity_error.h"
#include "crypto/sha256.h"
#include "crypto/verify.h"
#include "provider/par.h"

namespace wasmcloud::cli {
namespace {

using Json = nlohmann::ordered_json;
constexpr uint64_t kTarOverhead = 1ull << 20;
constexpr std::string_view kCreate = "par create";
constexpr std::string_view kInspect = "par inspect";

template <typename T>
Json OrNull(const std::optional<T>& v) {
  return v ? Json(*v) : Json(nullptr);
}

Json ErrorKind(const Status& s) {
  auto kind = crypto::IdentityErrorOf(s);
  return kind == crypto::IdentityError::kNone
             ? Json(nullptr)
             : Json(std::string(crypto::IdentityErrorPhrase(kind)));
}

// What `inspect` (and `create`) report about an archive.
struct Report {
  const provider::ProviderArchive& par;
  Status claims;  // the token: key types, signature, time window
  Status hashes;  // every library against target_hashes
  const Status& first() const { return claims.ok() ? hashes : claims; }
};

Report Check(const provider::ProviderArchive& par) {
  return Report{
      par, crypto::VerifyProviderToken(par.token, crypto::VerifyOptions::ForProvider()).status(),
      provider::VerifyTargetHashes(par)};
}

const std::string* ClaimedHash(const crypto::ProviderMetadata& m, const std::string& target) {
  for (const auto& [t, h] : m.target_hashes) {
    if (t == target) return &h;
  }
  return nullptr;
}

// The flat JSON view, with the keys of fixtures_index.json (claims, members,
// target_hashes_match) and the verdicts.
Json ReportJson(const Report& r) {
  const crypto::ProviderClaims& c = r.par.claims;
  const crypto::ProviderMetadata& m = *c.wascap;
  Json j = Json::object();
  j["iss"] = c.iss;
  j["sub"] = c.sub;
  j["jti"] = c.jti;
  j["iat"] = c.iat;
  j["exp"] = OrNull(c.exp);
  j["nbf"] = OrNull(c.nbf);
  j["name"] = OrNull(m.name);
  j["capid"] = m.capid;
  j["vendor"] = m.vendor;
  j["rev"] = OrNull(m.rev);
  j["ver"] = OrNull(m.ver);
  Json hashes = Json::object();
  for (const auto& [t, h] : m.target_hashes) hashes[t] = h;
  j["target_hashes"] = hashes;
  Json members = Json::object();
  members["claims.jwt"] = {{"size", r.par.token.size()},
                           {"sha256", crypto::Sha256HexUpper(AsBytes(r.par.token))}};
  Json match = Json::object();
  for (const auto& [target, bytes] : r.par.binaries) {
    std::string sha = crypto::Sha256HexUpper(bytes);
    members[target + ".bin"] = {{"size", bytes.size()}, {"sha256", sha}};
    const std::string* claimed = ClaimedHash(m, target);
    match[target] = claimed != nullptr && *claimed == sha;
  }
  for (const auto& [t, h] : m.target_hashes) {
    if (!r.par.binaries.contains(t)) match[t] = false;
  }
  j["members"] = members;
  j["target_hashes_match"] = match;
  j["compressed"] = r.par.compressed;
  j["jwt"] = r.par.token;
  j["claims_verified"] = r.claims.ok();
  j["hashes_verified"] = r.hashes.ok();
  j["verified"] = r.first().ok();
  j["error"] = r.first().ok() ? Json(nullptr) : Json(r.first().message());
  j["error_kind"] = ErrorKind(r.first());
  return j;
}

void Row(const std::string& label, const std::string& value) {
  std::cout << "  " << label << std::string(label.size() < 14 ? 14 - label.size() : 1, ' ') << value
            << "\n";
}

void PrintReport(const Report& r) {
  const crypto::ProviderClaims& c = r.par.claims;
  const crypto::ProviderMetadata& m = *c.wascap;
  std::cout << m.name.value_or("Unnamed Provider") << " - Provider Archive\n";
  Row("Account", c.iss);
  Row("Service", c.sub);
  Row("Capability", m.capid);
  Row("Vendor", m.vendor);
  std::string version = m.ver.value_or("(none)");
  if (m.rev) version += " (" + std::to_string(*m.rev) + ")";
  Row("Version", version);
  Row("Issued", crypto::FormatUnixTime(c.iat));
  Row("Expires", c.exp ? crypto::FormatUnixTime(*c.exp) : "never");
  Row("Can Be Used", c.nbf ? crypto::FormatUnixTime(*c.nbf) : "immediately");
  std::string label = "Targets";
  for (const auto& [target, bytes] : r.par.binaries) {
    std::string sha = crypto::Sha256HexUpper(bytes);
    const std::string* claimed = ClaimedHash(m, target);
    std::string verdict = claimed == nullptr ? "NOT IN CLAIMS"
                          : *claimed == sha  ? "ok"
                                             : "MISMATCH (claims say " + *claimed + ")";
    Row(label, target + "  " + std::to_string(bytes.size()) + " bytes  " + sha + "  " + verdict);
    label.clear();
  }
  for (const auto& [t, h] : m.target_hashes) {
    if (!r.par.binaries.contains(t)) Row(label, t + "  MISSING (claims say " + h + ")");
    label.clear();
  }
  Row("Claims", r.claims.ok() ? "verified" : "NO: " + r.claims.message());
  Row("Hashes", r.hashes.ok() ? "match" : "NO: " + r.hashes.message());
  Row("Verified", r.first().ok() ? "yes" : "NO: " + r.first().message());
  std::cout.flush();
}

void PrintJson(const Json& j) {
  std::cout << j.dump(-1, ' ', false, Json::error_handler_t::replace) << std::endl;
}

// --- inspect -------------------------------------------------------------------------------

struct InspectOptions {
  std::string file;
  std::string output = "text";
};

// Exit 2: the file is not something we can inspect (or cannot be read: `why` is then
// the whole message). JSON output still says why.
int NotAnArchive(const InspectOptions& o, std::string_view why, bool unreadable = false) {
  constexpr std::string_view kPrefix = "not a provider archive: ";
  if (why.starts_with(kPrefix)) why.remove_prefix(kPrefix.size());
  std::string message =
      unreadable ? std::string(why) : o.file + " is not a provider archive: " + std::string(why);
  if (o.output == "json") {
    PrintJson(
        Json{{"verified", false}, {"error", message}, {"error_kind", "not a provider archive"}});
  }
  PrintError(kInspect, message);
  return 2;
}

int RunInspect(const InspectOptions& o) {
  // Refuse a huge file before reading it: it could not be within the archive limits.
  struct stat st {};
  if (::stat(o.file.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) > provider::ParLimits{}.max_total_size + kTarOverhead) {
    return NotAnArchive(o, std::to_string(st.st_size) + " bytes is over the size limit");
  }
  auto bytes = ReadFile(o.file);
  if (!bytes.ok()) return NotAnArchive(o, bytes.status().message(), /*unreadable=*/true);
  auto par = provider::ReadProviderArchive(*bytes);
  if (!par.ok()) {
    // An archive whose claims.jwt is not a token is a claims failure (exit 1), as a
    // module with a malformed token is for `claims inspect`; anything else means the
    // file is not a usable archive (exit 2).
    if (crypto::IdentityErrorOf(par.status()) == crypto::IdentityError::kNone) {
      return NotAnArchive(o, par.status().message());
    }
    if (o.output == "json") {
      PrintJson(Json{{"verified", false},
                     {"error", par.status().message()},
                     {"error_kind", ErrorKind(par.status())}});
    }
    PrintError(kInspect, o.file + ": " + par.status().message());
    return 1;
  }
  Report report = Check(*par);
  if (o.output == "json") {
    PrintJson(ReportJson(report));
  } else {
    PrintReport(report);
  }
  if (!report.first().ok()) {
    PrintError(kInspect, o.file + ": " + report.first().message());
    return 1;
  }
  return 0;
}

// --- create --------------------------------------------------------------------------------

struct CreateOptions {
  std::string capid;
  std::string name;
  std::string vendor;
  std::optional<int32_t> rev;
  std::optional<std::string> ver;
  std::string binary;
  std::string arch = provider::NativeTarget();
  std::string destination;
  std::string format = "text";
  std::optional<int64_t> expires_in_days;
  std::optional<int64_t> not_before_days;
  std::optional<std::string> issuer;
  std::optional<std::string> subject;
  std::optional<std::string> keys_dir;
};

SigningKeyOptions SigningKeys(const CreateOptions& o) {
  return {o.name, o.issuer, o.subject, o.keys_dir};
}

int RunCreate(const CreateOptions& o) {
  auto fail = [](const Status& st) {
    PrintError(kCreate, st.message());
    return 2;
  };
  auto binary = ReadFile(o.binary);
  if (!binary.ok()) return fail(binary.status());
  if (binary->empty()) return fail(InvalidArgument(o.binary + " is empty"));
  if (Status s = CheckSharedLibrary(*binary, o.binary, o.arch); !s.ok()) return fail(s);
  if (Status s = CheckContractId(o.capid, "--capid"); !s.ok()) return fail(s);
  if (binary->size() > provider::ParLimits{}.max_member_size) {
    return fail(InvalidArgument(o.binary + " is over the size limit of a provider library"));
  }
  auto issuer = ResolveIssuer(SigningKeys(o));
  if (!issuer.ok()) return fail(issuer.status());
  auto subject = ResolveSubject(SigningKeys(o), crypto::KeyType::kService);
  if (!subject.ok()) return fail(subject.status());

  int64_t now = crypto::SystemUnixSeconds();
  auto exp = DaysFromNow(o.expires_in_days, now, "--expires-in-days");
  if (!exp.ok()) return fail(exp.status());
  WarnIfExpiredAtOnce(o.expires_in_days, "the archive");
  auto nbf = DaysFromNow(o.not_before_days, now, "--not-before-days");
  if (!nbf.ok()) return fail(nbf.status());

  crypto::ProviderClaims claims;
  claims.exp = *exp;
  claims.jti = crypto::NewTokenId();
  claims.iat = static_cast<uint64_t>(now);
  claims.iss = issuer->public_key_text();
  claims.sub = *subject;
  claims.nbf = *nbf;
  crypto::ProviderMetadata m;
  m.name = o.name;
  m.capid = o.capid;
  m.vendor = o.vendor;
  m.rev = o.rev;
  m.ver = o.ver;
  claims.wascap = std::move(m);
  auto archive = provider::WriteProviderArchive(claims, *issuer, {{o.arch, *binary}});
  if (!archive.ok()) return fail(archive.status());
  Status written = WriteFile(o.destination, *archive, 0644);
  if (!written.ok()) return fail(written);

  auto par = provider::ReadProviderArchive(*archive);
  if (!par.ok()) {
    PrintError(kCreate, "the archive does not read back: " + par.status().message());
    return 1;
  }
  Report report = Check(*par);
  if (o.format == "json") {
    Json j = ReportJson(report);
    j["file"] = o.destination;
    PrintJson(j);
  } else {
    std::cout << "Created " << o.destination << " as " << par->claims.sub << " (issuer "
              << par->claims.iss << ")\n";
    Row("Capability", par->claims.wascap->capid);
    Row("Target", o.arch + " (" + std::to_string(binary->size()) + " bytes)");
    Row("Hash", par->claims.wascap->target_hashes.front().second);
    std::cout.flush();
  }
  return 0;
}

}  // namespace

void AddParCommand(CLI::App& app, int* exit_code) {
  CLI::App* par = app.add_subcommand("par", "Create and inspect provider archives (.par.gz)");
  par->require_subcommand(1);

  auto co = std::make_shared<CreateOptions>();
  CLI::App* create =
      par->add_subcommand("create", "Build a signed provider archive from a native library");
  create
      ->add_option("-c,--capid", co->capid,
                   "the capability contract id, such as wasmcloud:keyvalue")
      ->required();
  create->add_option("-n,--name", co->name, "the provider's name")->required();
  create->add_option("--vendor", co->vendor, "the vendor")->required();
  create->add_option("--rev", co->rev, "revision number");
  create->add_option("--ver", co->ver, "version text (such as 0.1.0)");
  create->add_option("-b,--binary", co->binary, "the native library (.so)")->required();
  create->add_option("-a,--arch", co->arch,
                     "the library's target (default: this machine's, " + co->arch + ")");
  create->add_option("-d,--destination", co->destination, "where to write the archive (.par.gz)")
      ->required();
  AddFormatOption(*create, &co->format, /*writes_file=*/true);
  create->add_option("-x,--expires-in-days", co->expires_in_days,
                     "claims expire this many days from now (default: never)");
  create->add_option("--not-before-days", co->not_before_days,
                     "claims are usable only this many days from now (default: at once)");
  create->add_option(
      "-i,--issuer", co->issuer,
      "account seed or file (default: <keys dir>/<name>_account.nk, made if missing)");
  create->add_option(
      "-s,--subject", co->subject,
      "service seed, service public key, or file (default: <keys dir>/<name>_service.nk)");
  create->add_option(
      "--keys-dir", co->keys_dir,
      "where generated keys are kept (default: $WASMCLOUD_KEYS_DIR or ~/.wash/keys)");
  create->callback([co, exit_code] { *exit_code = RunCreate(*co); });

  auto io = std::make_shared<InspectOptions>();
  CLI::App* inspect = par->add_subcommand(
      "inspect", "Show an archive's claims and libraries and whether they verify");
  inspect->add_option("FILE", io->file, "the provider archive (.par.gz or .par)")->required();
  AddFormatOption(*inspect, &io->output);
  inspect->callback([io, exit_code] { *exit_code = RunInspect(*io); });
}

}  // namespace wasmcloud::cli
