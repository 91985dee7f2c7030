#include "nats_auth.h"

#include <atomic>
#include <chrono>
#include <fstream>

#include "core/encoding.h"

namespace wasmcloud::messaging::testing {
namespace {

constexpr std::string_view kHeader = R"({"typ":"JWT","alg":"ed25519-nkey"})";

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A token over `nats` (the claims' "nats" member) for `subject`, signed by `issuer`.
std::string Token(const crypto::KeyPair& issuer, const std::string& subject,
                  const std::string& name, const std::string& nats) {
  static std::atomic<int> counter{0};
  const std::string claims = R"({"jti":"WCTEST)" + std::to_string(++counter) + "X" +
                             std::to_string(Now()) + R"(","iat":)" + std::to_string(Now()) +
                             R"(,"iss":")" + issuer.public_key_text() + R"(","name":")" + name +
                             R"(","sub":")" + subject + R"(","nats":)" + nats + "}";
  const std::string input =
      Base64UrlEncode(AsBytes(kHeader)) + "." + Base64UrlEncode(AsBytes(std::string_view(claims)));
  return input + "." + Base64UrlEncode(issuer.Sign(AsBytes(std::string_view(input))));
}

Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return Internal("cannot write " + path);
  return Status::Ok();
}

}  // namespace

NatsOperatorAuth::NatsOperatorAuth()
    : operator_(crypto::KeyPair::Generate(crypto::KeyType::kOperator)),
      account_(crypto::KeyPair::Generate(crypto::KeyType::kAccount)),
      stranger_account_(crypto::KeyPair::Generate(crypto::KeyType::kAccount)) {
  operator_jwt_ = Token(operator_, operator_.public_key_text(), "wc-test-operator",
                        R"({"type":"operator","version":2})");
  account_jwt_ = Token(operator_, account_.public_key_text(), "wc-test-account",
                       R"({"limits":{"subs":-1,"data":-1,"payload":-1,"imports":-1,)"
                       R"("exports":-1,"wildcards":true,"conn":-1,"leaf":-1},)"
                       R"("default_permissions":{"pub":{},"sub":{}},)"
                       R"("type":"account","version":2})");
}

NatsUserCredentials NatsOperatorAuth::UserOf(const crypto::KeyPair& account,
                                             const std::string& name) {
  crypto::KeyPair user = crypto::KeyPair::Generate(crypto::KeyType::kUser);
  return {Token(account, user.public_key_text(), name,
                R"({"pub":{},"sub":{},"subs":-1,"data":-1,"payload":-1,)"
                R"("type":"user","version":2})"),
          user.EncodedSeed()};
}

NatsUserCredentials NatsOperatorAuth::User(const std::string& name) const {
  return UserOf(account_, name);
}

NatsUserCredentials NatsOperatorAuth::Stranger(const std::string& name) const {
  return UserOf(stranger_account_, name);
}

Result<std::vector<std::string>> NatsOperatorAuth::ServerArgs(const std::string& dir) const {
  const std::string path = dir + "/operator.conf";
  WC_RETURN_IF_ERROR(WriteFile(path, "operator: \"" + operator_jwt_ +
                                         "\"\n"
                                         "resolver: MEMORY\n"
                                         "resolver_preload: {\n  " +
                                         account_.public_key_text() + ": \"" + account_jwt_ +
                                         "\"\n}\n"));
  return std::vector<std::string>{"-c", path};
}

NatsNkeyUser MakeNkeyUser() {
  crypto::KeyPair user = crypto::KeyPair::Generate(crypto::KeyType::kUser);
  return {user.public_key_text(), user.EncodedSeed()};
}

Result<std::vector<std::string>> NkeyServerArgs(const std::string& dir,
                                                const std::string& allowed_public_key) {
  const std::string path = dir + "/nkey.conf";
  WC_RETURN_IF_ERROR(WriteFile(
      path, "authorization: {\n  users: [\n    { nkey: " + allowed_public_key + " }\n  ]\n}\n"));
  return std::vector<std::string>{"-c", path};
}

}  // namespace wasmcloud::messaging::testing
