#include "crypto/jwt.h"

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "crypto/identity_error.h"

namespace wasmcloud::crypto {
namespace {

Status Bad(std::string detail) { return IdentityStatus(IdentityError::kMalformedToken, detail); }

}  // namespace

Result<Jwt> SplitJwt(std::string_view token) {
  if (token.size() > kMaxTokenSize) {
    return Bad("token is " + std::to_string(token.size()) + " bytes, more than the limit of " +
               std::to_string(kMaxTokenSize));
  }
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Bad("a token has three dot-separated segments");
  }
  static constexpr std::string_view kNames[] = {"header", "claims", "signature"};
  std::string_view parts[] = {token.substr(0, first), token.substr(first + 1, second - first - 1),
                              token.substr(second + 1)};
  Bytes decoded[3];
  for (int i = 0; i < 3; ++i) {
    auto d = Base64UrlDecode(parts[i]);
    if (!d.ok()) return Bad(std::string(kNames[i]) + " segment: " + d.status().message());
    decoded[i] = std::move(d).value();
  }
  Jwt jwt;
  jwt.header_json.assign(decoded[0].begin(), decoded[0].end());
  jwt.claims_json.assign(decoded[1].begin(), decoded[1].end());
  jwt.signature = std::move(decoded[2]);
  jwt.signing_input = std::string(token.substr(0, second));
  return jwt;
}

Status CheckJwtHeader(const Jwt& jwt) {
  auto header = nlohmann::json::parse(jwt.header_json, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) return Bad("header is not a JSON object");
  auto typ = header.find("typ");
  auto alg = header.find("alg");
  if (typ == header.end() || !typ->is_string() || typ->get_ref<const std::string&>() != "jwt" ||
      alg == header.end() || !alg->is_string() || alg->get_ref<const std::string&>() != "Ed25519") {
    std::string got = header.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (got.size() > 120) got = got.substr(0, 120) + "...";
    return Bad("header must be " + std::string(kJwtHeader) + ", got " + got);
  }
  return Status::Ok();
}

std::string SignJwt(std::string_view claims_json, const KeyPair& issuer) {
  std::string token(kJwtHeaderB64);
  token += '.';
  token += Base64UrlEncode(AsBytes(claims_json));
  Bytes sig = issuer.Sign(AsBytes(token));
  token += '.';
  token += Base64UrlEncode(sig);
  return token;
}

}  // namespace wasmcloud::crypto
