#include "crypto/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace wasmcloud::crypto {
namespace {

// Fetched once: an implicit fetch (EVP_sha256()) looks the algorithm up at every init.
const EVP_MD* Md() {
  static const EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) {
      std::fprintf(stderr, "fatal: OpenSSL has no SHA-256\n");
      std::abort();
    }
    return m;
  }();
  return md;
}

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "fatal: OpenSSL SHA-256 %s failed\n", what);
  std::abort();
}

}  // namespace

Sha256Digest Sha256(ByteView data) {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, Md(), nullptr) != 1 ||
      len != out.size()) {
    Fail("digest");
  }
  return out;
}

std::string Sha256HexUpper(ByteView data) {
  Sha256Digest d = Sha256(data);
  return HexEncode(d, /*upper=*/true);
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), Md(), nullptr) != 1) {
    Fail("init");
  }
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Hasher::Update(ByteView data) {
  if (data.empty()) return;
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size()) != 1) {
    Fail("update");
  }
}

Sha256Digest Sha256Hasher::Final() {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &len) != 1 ||
      len != out.size()) {
    Fail("final");
  }
  return out;
}

}  // namespace wasmcloud::crypto
