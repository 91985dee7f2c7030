#include "httpclient/client.h"
#include "core/text.h"

#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <memory>
#include <set>
#include <string_view>
#include <utility>

#include "core/encoding.h"

namespace wasmcloud::httpclient {
namespace {

// ---- link values ----

Result<uint64_t> ParseInRange(const std::string& name, const std::string& text, uint64_t min,
                              uint64_t max, std::string_view unit) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v < min || v > max) {
    return InvalidArgument("link value " + name + "=\"" + text + "\" is not " +
                           std::to_string(min) + ".." + std::to_string(max) + " " +
                           std::string(unit));
  }
  return v;
}

// ---- requests ----

constexpr std::array<std::string_view, 8> kMethods = {"GET",  "POST",  "PUT",     "DELETE",
                                                      "HEAD", "PATCH", "OPTIONS", "TRACE"};

// RFC 9110 token characters.
bool IsTokenChar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// What the 0.18 provider (reqwest's HeaderValue::to_str) passed as text: visible ASCII,
// space and tab. Anything else it sent base64-encoded.
bool IsVisibleText(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c < 0x7f);
  });
}

struct CurlUrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlPtr = std::unique_ptr<CURLU, CurlUrlDeleter>;
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;
struct CurlFree {
  void operator()(char* p) const { curl_free(p); }
};
using CurlString = std::unique_ptr<char, CurlFree>;

std::string UrlPart(CURLU* url, CURLUPart part) {
  char* out = nullptr;
  if (curl_url_get(url, part, &out, 0) != CURLUE_OK || out == nullptr) return {};
  CurlString held(out);
  return std::string(out);
}

// The URL without user name and password, for messages.
std::string Redacted(CURLU* url) {
  UrlPtr copy(curl_url_dup(url));
  if (copy == nullptr) return "<url>";
  curl_url_set(copy.get(), CURLUPART_USER, nullptr, 0);
  curl_url_set(copy.get(), CURLUPART_PASSWORD, nullptr, 0);
  return UrlPart(copy.get(), CURLUPART_URL);
}

// Parses the URL; only http and https pass.
Result<UrlPtr> ParseUrl(const std::string& text) {
  if (text.find("://") == std::string::npos) {
    return InvalidArgument("bad URL \"" + text + "\": no scheme (expected http:// or https://)");
  }
  UrlPtr url(curl_url());
  if (url == nullptr) return Internal("curl_url: out of memory");
  // Any scheme parses, so that an unsupported one gets the message below.
  CURLUcode rc = curl_url_set(url.get(), CURLUPART_URL, text.c_str(), CURLU_NON_SUPPORT_SCHEME);
  if (rc != CURLUE_OK) {
    return InvalidArgument("bad URL \"" + text + "\": " + curl_url_strerror(rc));
  }
  const std::string scheme = AsciiLower(UrlPart(url.get(), CURLUPART_SCHEME));
  if (scheme != "http" && scheme != "https") {
    return PermissionDenied("refused URL \"" + text + "\": the scheme \"" + scheme +
                            "\" is not allowed (only http and https)");
  }
  return url;
}

// The header lines handed to curl. Content-Length and Transfer-Encoding come from the
// body and are not taken from the actor; curl's own Content-Type for a body
// (application/x-www-form-urlencoded) and its "Expect: 100-continue" are suppressed
// unless the actor set them.
Result<SlistPtr> HeaderList(const wire::StringMap& headers, bool has_body) {
  SlistPtr list;
  auto append = [&](const std::string& line) -> Status {
    curl_slist* next = curl_slist_append(list.get(), line.c_str());
    if (next == nullptr) return Internal("curl_slist_append: out of memory");
    (void)list.release();
    list.reset(next);
    return Status::Ok();
  };
  bool content_type = false, expect = false;
  std::set<std::string> seen;
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return IsTokenChar(static_cast<unsigned char>(c));
        })) {
      return InvalidArgument("the header name \"" + name + "\" is not an HTTP token");
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return InvalidArgument("the value of header " + name + " contains CR, LF or NUL");
    }
    const std::string lower = AsciiLower(name);
    if (!seen.insert(lower).second) {
      return InvalidArgument("the header " + name + " is given twice (in different cases)");
    }
    if (lower == "content-length" || lower == "transfer-encoding") continue;
    if (lower == "content-type") content_type = true;
    if (lower == "expect") expect = true;
    // "Name;" is curl's way to send a header with an empty value ("Name:" removes it).
    WC_RETURN_IF_ERROR(append(value.empty() ? name + ";" : name + ": " + value));
  }
  if (has_body && !content_type) WC_RETURN_IF_ERROR(append("Content-Type:"));
  if (!expect) WC_RETURN_IF_ERROR(append("Expect:"));
  return list;
}

// ---- the transfer ----

struct Transfer {
  uint64_t max_body = 0;
  Bytes body;
  bool body_too_large = false;
  std::vector<std::pair<std::string, std::string>> headers;  // of the last response
  size_t header_bytes = 0;
  bool headers_too_large = false;
  const std::atomic<bool>* stopping = nullptr;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (n > t->max_body - t->body.size()) {
    t->body_too_large = true;
    return 0;  // fails the transfer with CURLE_WRITE_ERROR
  }
  t->body.insert(t->body.end(), data, data + n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  t->header_bytes += n;
  if (t->header_bytes > HttpClient::kMaxResponseHeaderBytes) {
    t->headers_too_large = true;
    return 0;
  }
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {  // a new response (after 1xx or a redirect)
    t->headers.clear();
  } else if (line.empty()) {
    // the end of a header block
  } else if (line.front() == ' ' || line.front() == '\t') {  // obsolete line folding
    if (!t->headers.empty()) {
      t->headers.back().second += " ";
      t->headers.back().second += TrimAsciiSpace(line);
    }
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    t->headers.emplace_back(AsciiLower(TrimAsciiSpace(line.substr(0, colon))),
                            std::string(TrimAsciiSpace(line.substr(colon + 1))));
  }
  return n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->stopping->load() ? 1 : 0;
}

// Repeated headers are joined with "," as the 0.18 provider did; a value that is not
// visible ASCII is base64-encoded, as it also did.
wire::StringMap HeaderMap(const std::vector<std::pair<std::string, std::string>>& lines) {
  wire::StringMap out;
  for (const auto& [name, raw] : lines) {
    std::string value = IsVisibleText(raw) ? raw : Base64Encode(AsBytes(raw));
    auto [it, inserted] = out.try_emplace(name, value);
    if (!inserted) it->second += "," + value;
  }
  return out;
}

// The library's global state: curl_global_init counts references itself (and is
// thread-safe in the libcurl we build against); the mutex keeps init and cleanup of this
// library's instances in order whatever the libcurl version. The first init pins libcurl
// in the process: a threaded DNS lookup that timed out keeps running in libcurl after the
// easy handle is gone, so libcurl must not be unloaded when the host closes this
// library (it may load it again later; libcurl's counter then continues).
std::mutex global_mu;

void GlobalInit() {
  std::lock_guard lock(global_mu);
  static bool pinned = false;
  if (!pinned) {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&curl_easy_init), &info) != 0 && info.dli_fname != nullptr) {
      (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    }
    pinned = true;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

void GlobalCleanup() {
  std::lock_guard lock(global_mu);
  curl_global_cleanup();
}

template <typename T>
Status Set(CURL* curl, CURLoption option, T value) {
  CURLcode rc = curl_easy_setopt(curl, option, value);
  if (rc != CURLE_OK) {
    return Internal("curl_easy_setopt(" + std::to_string(option) + "): " + curl_easy_strerror(rc));
  }
  return Status::Ok();
}

}  // namespace

Result<ClientSettings> ParseClientSettings(const std::map<std::string, std::string>& values) {
  ClientSettings s;
  std::map<std::string, std::string> by_name;  // lowercase name -> the name as given
  bool timeout_ms = false, timeout_s = false;
  for (const auto& [name, value] : values) {
    const std::string key = AsciiLower(name);
    if (key != "timeout_ms" && key != "timeout" && key != "max_redirects" &&
        key != "max_response_bytes") {
      continue;
    }
    auto [it, inserted] = by_name.try_emplace(key, name);
    if (!inserted) {
      return InvalidArgument("link values " + it->second + " and " + name +
                             " are the same setting; give one");
    }
    if (key == "timeout_ms") {
      WC_ASSIGN_OR_RETURN(uint64_t ms, ParseInRange(name, value, 1, 3'600'000, "milliseconds"));
      s.timeout = std::chrono::milliseconds(ms);
      timeout_ms = true;
    } else if (key == "timeout") {
      WC_ASSIGN_OR_RETURN(uint64_t sec, ParseInRange(name, value, 1, 3600, "seconds"));
      s.timeout = std::chrono::seconds(sec);
      timeout_s = true;
    } else if (key == "max_redirects") {
      WC_ASSIGN_OR_RETURN(uint64_t n, ParseInRange(name, value, 0, 100, "redirects"));
      s.max_redirects = static_cast<long>(n);
    } else {
      WC_ASSIGN_OR_RETURN(s.max_response_bytes,
                          ParseInRange(name, value, 0, uint64_t{1} << 30, "bytes"));
    }
  }
  if (timeout_ms && timeout_s) {
    return InvalidArgument("link values " + by_name["timeout_ms"] + " and " + by_name["timeout"] +
                           " both set the timeout; give one");
  }
  return s;
}

bool IsSupportedMethod(const std::string& method) {
  return std::find(kMethods.begin(), kMethods.end(), method) != kMethods.end();
}

std::string ReasonPhrase(long code) {
  static constexpr std::pair<long, std::string_view> kReasons[] = {
      {100, "Continue"},
      {101, "Switching Protocols"},
      {102, "Processing"},
      {200, "OK"},
      {201, "Created"},
      {202, "Accepted"},
      {203, "Non Authoritative Information"},
      {204, "No Content"},
      {205, "Reset Content"},
      {206, "Partial Content"},
      {207, "Multi-Status"},
      {208, "Already Reported"},
      {226, "IM Used"},
      {300, "Multiple Choices"},
      {301, "Moved Permanently"},
      {302, "Found"},
      {303, "See Other"},
      {304, "Not Modified"},
      {305, "Use Proxy"},
      {307, "Temporary Redirect"},
      {308, "Permanent Redirect"},
      {400, "Bad Request"},
      {401, "Unauthorized"},
      {402, "Payment Required"},
      {403, "Forbidden"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {406, "Not Acceptable"},
      {407, "Proxy Authentication Required"},
      {408, "Request Timeout"},
      {409, "Conflict"},
      {410, "Gone"},
      {411, "Length Required"},
      {412, "Precondition Failed"},
      {413, "Payload Too Large"},
      {414, "URI Too Long"},
      {415, "Unsupported Media Type"},
      {416, "Range Not Satisfiable"},
      {417, "Expectation Failed"},
      {418, "I'm a teapot"},
      {421, "Misdirected Request"},
      {422, "Unprocessable Entity"},
      {423, "Locked"},
      {424, "Failed Dependency"},
      {426, "Upgrade Required"},
      {428, "Precondition Required"},
      {429, "Too Many Requests"},
      {431, "Request Header Fields Too Large"},
      {451, "Unavailable For Legal Reasons"},
      {500, "Internal Server Error"},
      {501, "Not Implemented"},
      {502, "Bad Gateway"},
      {503, "Service Unavailable"},
      {504, "Gateway Timeout"},
      {505, "HTTP Version Not Supported"},
      {506, "Variant Also Negotiates"},
      {507, "Insufficient Storage"},
      {508, "Loop Detected"},
      {510, "Not Extended"},
      {511, "Network Authentication Required"},
  };
  for (const auto& [c, reason] : kReasons) {
    if (c == code) return std::string(reason);
  }
  return {};
}

HttpClient::HttpClient() { GlobalInit(); }

HttpClient::~HttpClient() {
  Stop();
  GlobalCleanup();
}

void HttpClient::Stop() {
  stopping_.store(true);
  std::vector<void*> idle;
  {
    std::lock_guard lock(mu_);
    idle.swap(idle_);
  }
  for (void* h : idle) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::TakeHandle() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpClient::ReturnHandle(void* handle) {
  auto* curl = static_cast<CURL*>(handle);
  curl_easy_reset(curl);  // options only: live connections stay
  if (!stopping_.load()) {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdleHandles) {
      idle_.push_back(curl);
      return;
    }
  }
  curl_easy_cleanup(curl);
}

Result<wire::HttpClientResponse> HttpClient::Perform(const wire::HttpClientRequest& request,
                                                     const ClientSettings& settings) {
  if (stopping_.load()) return FailedPrecondition("the provider is stopping");
  const std::string& method = request.method;
  if (!IsSupportedMethod(method)) {
    return InvalidArgument("unsupported method \"" + method +
                           "\" (expected GET, POST, PUT, DELETE, HEAD, PATCH, OPTIONS or TRACE)");
  }
  const bool has_body = !request.body.empty();
  if (has_body && (method == "HEAD" || method == "TRACE")) {
    return InvalidArgument(method + " cannot carry a body (" + std::to_string(request.body.size()) +
                           " bytes given)");
  }
  WC_ASSIGN_OR_RETURN(UrlPtr url, ParseUrl(request.url));
  const std::string what = method + " " + Redacted(url.get());
  const bool sends_body = has_body || method == "POST" || method == "PUT";
  auto headers = HeaderList(request.headers, sends_body);
  if (!headers.ok()) return headers.status().WithContext(what);

  // Declared before the handle, so released after curl_easy_reset forgot them.
  Transfer t;
  t.max_body = settings.max_response_bytes;
  t.stopping = &stopping_;
  char error[CURL_ERROR_SIZE] = {0};

  CURL* curl = static_cast<CURL*>(TakeHandle());
  if (curl == nullptr) return Internal(what + ": curl_easy_init failed");
  struct Returner {
    HttpClient* client;
    CURL* curl;
    ~Returner() { client->ReturnHandle(curl); }
  } returner{this, curl};

  const long timeout_ms = static_cast<long>(settings.timeout.count());
  Status s = Status::Ok();
  auto set = [&](CURLoption option, auto value) {
    if (s.ok()) s = Set(curl, option, value);
  };
  set(CURLOPT_CURLU, url.get());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TIMEOUT_MS, timeout_ms);
  set(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  set(CURLOPT_FOLLOWLOCATION, settings.max_redirects > 0 ? 1L : 0L);
  set(CURLOPT_MAXREDIRS, settings.max_redirects);
  set(CURLOPT_ERRORBUFFER, error);
  set(CURLOPT_WRITEFUNCTION, &OnBody);
  set(CURLOPT_WRITEDATA, &t);
  set(CURLOPT_HEADERFUNCTION, &OnHeader);
  set(CURLOPT_HEADERDATA, &t);
  set(CURLOPT_NOPROGRESS, 0L);
  set(CURLOPT_XFERINFOFUNCTION, &OnProgress);
  set(CURLOPT_XFERINFODATA, &t);
  set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(settings.max_response_bytes));
  if (headers->get() != nullptr) set(CURLOPT_HTTPHEADER, headers->get());
  if (method == "GET" && !has_body) {
    set(CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else {
    if (method != "POST") set(CURLOPT_CUSTOMREQUEST, method.c_str());
    if (sends_body) {
      static const char kEmpty[] = "";
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
      set(CURLOPT_POSTFIELDS,
          has_body ? reinterpret_cast<const char*>(request.body.data()) : kEmpty);
    }
  }
  if (!s.ok()) return s.WithContext(what);

  const CURLcode rc = curl_easy_perform(curl);
  const std::string detail = error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc);
  switch (rc) {
    case CURLE_OK:
      break;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
      if (t.headers_too_large) {
        return ResourceExhausted(what + ": the response headers are larger than " +
                                 std::to_string(kMaxResponseHeaderBytes) + " bytes");
      }
      if (t.body_too_large || rc == CURLE_FILESIZE_EXCEEDED) {
        return ResourceExhausted(what + ": the response body is larger than " +
                                 std::to_string(settings.max_response_bytes) +
                                 " bytes (MAX_RESPONSE_BYTES)");
      }
      return Internal(what + ": " + detail);
    case CURLE_OPERATION_TIMEDOUT:
      return DeadlineExceeded(what + ": no complete response within " + std::to_string(timeout_ms) +
                              " ms (" + detail + ")");
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return Unavailable(what + ": cannot resolve the host (" + detail + ")");
    case CURLE_COULDNT_CONNECT:
      return Unavailable(what + ": cannot connect (" + detail + ")");
    case CURLE_TOO_MANY_REDIRECTS:
      return FailedPrecondition(what + ": more than " + std::to_string(settings.max_redirects) +
                                " redirects (max_redirects)");
    case CURLE_UNSUPPORTED_PROTOCOL:
      return PermissionDenied(what + ": redirected to a scheme that is not allowed (only http " +
                              "and https): " + detail);
    case CURLE_ABORTED_BY_CALLBACK:
      if (stopping_.load()) return FailedPrecondition(what + ": the provider is stopping");
      return Internal(what + ": " + detail);
    case CURLE_OUT_OF_MEMORY:
      return Internal(what + ": out of memory");
    default:
      return Unavailable(what + ": " + detail);
  }

  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  wire::HttpClientResponse response;
  response.status_code = static_cast<uint32_t>(code);
  response.status = ReasonPhrase(code);
  response.header = HeaderMap(t.headers);
  response.body = std::move(t.body);
  return response;
}

}  // namespace wasmcloud::httpclient
