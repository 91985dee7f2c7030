#include "token_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/bytes.h"
#include "core/encoding.h"
#include "support/run_command.h"
#include "support/server_process.h"

namespace wasmcloud::oci::testing {
namespace {

std::string UrlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

std::string QueryParam(std::string_view target, std::string_view name) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (pair.starts_with(std::string(name) + "=")) return UrlDecode(pair.substr(name.size() + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

Result<std::string> SignRs256(const std::string& key_path, std::string_view input) {
  FILE* f = fopen(key_path.c_str(), "r");
  if (f == nullptr) return Internal("cannot open " + key_path);
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  fclose(f);
  if (key == nullptr) return Internal("cannot read the key " + key_path);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!ok) return Internal("signing failed");
  return sig;
}

}  // namespace

Result<std::unique_ptr<TokenServer>> TokenServer::Start(const std::string& dir, std::string user,
                                                        std::string password) {
  std::unique_ptr<TokenServer> s(new TokenServer());
  s->cert_ = dir + "/token.crt";
  s->key_ = dir + "/token.key";
  s->user_ = std::move(user);
  s->password_ = std::move(password);
  auto r = wasmcloud::testing::RunCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048",
                                           "-nodes", "-keyout", s->key_, "-out", s->cert_, "-days",
                                           "2", "-subj", "/CN=wasmcloud test token issuer"});
  if (r.exit_code != 0) return Internal("openssl req failed: " + r.err);
  // x5c holds the certificate's DER in standard base64: the PEM body without its lines.
  std::string pem = wasmcloud::testing::ReadTextFile(s->cert_);
  std::istringstream lines(pem);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.front() != '-') s->cert_der_b64_ += line;
  }
  s->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(s->listen_fd_, 16) != 0 ||
      getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return Internal("the token server cannot listen");
  }
  s->port_ = ntohs(addr.sin_port);
  s->thread_ = std::thread([p = s.get()] { p->Serve(); });
  return s;
}

TokenServer::~TokenServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

std::string TokenServer::last_scope() const {
  std::lock_guard lock(mu_);
  return last_scope_;
}

void TokenServer::Serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Handle(fd);
    close(fd);
  }
}

void TokenServer::Handle(int fd) {
  std::string request;
  char buf[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 65536) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 2000) <= 0) return;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return;
    request.append(buf, static_cast<size_t>(n));
  }
  std::string_view line(request.data(), request.find("\r\n"));
  size_t sp1 = line.find(' ');
  size_t sp2 = line.find(' ', sp1 + 1);
  std::string target(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string authorization;
  std::istringstream headers(request);
  for (std::string h; std::getline(headers, h);) {
    if (h.size() > 14 && (h.starts_with("Authorization:") || h.starts_with("authorization:"))) {
      authorization = h.substr(14);
      while (!authorization.empty() && authorization.front() == ' ') authorization.erase(0, 1);
      while (!authorization.empty() && authorization.back() == '\r') authorization.pop_back();
    }
  }
  auto reply = [&](const std::string& status, const std::string& body) {
    std::string r =
        "HTTP/1.1 " + status +
        "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\nConnection: close\r\n\r\n" + body;
    size_t off = 0;
    while (off < r.size()) {
      ssize_t n = write(fd, r.data() + off, r.size() - off);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  };
  std::string scope = QueryParam(target, "scope");
  {
    std::lock_guard lock(mu_);
    last_scope_ = scope;
  }
  if (!user_.empty() &&
      authorization != "Basic " + Base64Encode(AsBytes(user_ + ":" + password_))) {
    ++refused_;
    reply("401 Unauthorized", R"({"details":"wrong user name or password"})");
    return;
  }
  // "repository:<name>:<actions>", possibly several separated by spaces.
  nlohmann::json access = nlohmann::json::array();
  std::istringstream scopes(scope);
  for (std::string one; scopes >> one;) {
    size_t a = one.find(':');
    size_t b = one.rfind(':');
    if (a == std::string::npos || b == a) continue;
    nlohmann::json actions = nlohmann::json::array();
    std::istringstream list(one.substr(b + 1));
    for (std::string action; std::getline(list, action, ',');) actions.push_back(action);
    access.push_back(
        {{"type", one.substr(0, a)}, {"name", one.substr(a + 1, b - a - 1)}, {"actions", actions}});
  }
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  nlohmann::json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"x5c", {cert_der_b64_}}};
  nlohmann::json claims = {{"iss", kIssuer},
                           {"sub", user_.empty() ? "anonymous" : user_},
                           {"aud", kService},
                           {"exp", now + 600},
                           {"nbf", now - 60},
                           {"iat", now - 60},
                           {"jti", std::to_string(now) + "-" + std::to_string(issued_.load())},
                           {"access", access}};
  std::string input =
      Base64UrlEncode(AsBytes(header.dump())) + "." + Base64UrlEncode(AsBytes(claims.dump()));
  auto sig = SignRs256(key_, input);
  if (!sig.ok()) {
    reply("500 Internal Server Error", R"({"details":"cannot sign"})");
    return;
  }
  std::string token = input + "." + Base64UrlEncode(AsBytes(*sig));
  ++issued_;
  reply("200 OK", nlohmann::json{{"token", token}, {"expires_in", 600}}.dump());
}

}  // namespace wasmcloud::oci::testing
