#include "oci/http.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>

namespace wasmcloud::oci {
namespace {

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Sink {
  HttpResponse* response;
  uint64_t limit;
  bool over = false;
};

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * count;
  if (sink->response->body.size() + n > sink->limit) {
    sink->over = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  sink->response->body.insert(sink->response->body.end(), data, data + n);
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  // A new status line (after a redirect or a 100 Continue) starts a new header set.
  if (line.starts_with("HTTP/")) {
    response->headers.clear();
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  response->headers.emplace_back(std::move(name), std::string(value));
  return n;
}

struct Source {
  ByteView data;
  size_t offset = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t count, void* user) {
  auto* source = static_cast<Source*>(user);
  size_t n = std::min(size * count, source->data.size() - source->offset);
  std::copy_n(source->data.data() + source->offset, n, buffer);
  source->offset += n;
  return n;
}

}  // namespace

std::string HttpResponse::Header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return {};
}

HttpSession::HttpSession(HttpOptions options) : options_(std::move(options)) {
  GlobalInit();
  curl_ = curl_easy_init();
}

HttpSession::~HttpSession() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

namespace {
// Non-zero aborts the transfer: the owner cancelled it.
int CancelProgress(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;
}
}  // namespace

Result<HttpResponse> HttpSession::Perform(const HttpRequest& request) {
  if (options_.cancel && options_.cancel->load()) {
    return Unavailable(request.method + " " + request.url + ": cancelled (the host is stopping)");
  }
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return Internal("curl_easy_init failed");
  curl_easy_reset(curl);  // keeps the connection cache
  HttpResponse response;
  Sink sink{&response, request.max_response_size};
  Source source{request.body};
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.request_timeout.count()));
  // Less than 1 byte/s for stall_timeout: the registry stopped answering.
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, static_cast<long>((options_.stall_timeout.count() + 999) / 1000)));
  if (options_.cancel) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &CancelProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA,
                     const_cast<void*>(static_cast<const void*>(options_.cancel.get())));
  }
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "wasmcloud-cpp-oci/0.18");
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &WriteHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    if (request.body.empty()) curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
  } else if (request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, &source);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    // No "Expect: 100-continue" round trip.
    headers = curl_slist_append(headers, "Expect:");
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  ++requests_;
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) {
    std::string reason = error[0] != '\0' ? error : curl_easy_strerror(rc);
    if (sink.over) {
      return ResourceExhausted(request.method + " " + request.url +
                               ": the response is longer than " +
                               std::to_string(request.max_response_size) + " bytes");
    }
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
      return Unavailable(request.method + " " + request.url + ": cancelled (the host is stopping)");
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return DeadlineExceeded(request.method + " " + request.url + ": " + reason);
    }
    return Unavailable(request.method + " " + request.url + ": " + reason);
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  char* effective = nullptr;
  curl_easy_getinfo(curl, CURLINFO_EFFECTIVE_URL, &effective);
  if (effective != nullptr) response.effective_url = effective;
  return response;
}

std::string UrlEscape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace wasmcloud::oci
