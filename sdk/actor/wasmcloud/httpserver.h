// wasmcloud:httpserver payloads (spec §4.4): the provider calls the actor's
// "HandleRequest" with a Request {method, path, queryString, header, body: bin} and
// expects a Response {statusCode: u32, status, header, body: bin}.
#ifndef WASMCLOUD_ACTOR_HTTPSERVER_H_
#define WASMCLOUD_ACTOR_HTTPSERVER_H_

#include "wasmcloud/msgpack.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wc_http_request {
  wc_str method;
  wc_str path;
  wc_str query_string;  // without the '?'
  wc_str_map header;    // lowercase names
  wc_bytes body;
} wc_http_request;

typedef struct wc_http_response {
  uint32_t status_code;
  wc_str status;
  wc_str_map header;
  wc_bytes body;
} wc_http_response;

static inline void wc_http_request_encode(wc_buf* b, const wc_http_request* v) {
  wc_mp_write_map(b, 5);
  wc_mp_write_cstr(b, "method");
  wc_mp_write_str(b, v->method);
  wc_mp_write_cstr(b, "path");
  wc_mp_write_str(b, v->path);
  wc_mp_write_cstr(b, "queryString");
  wc_mp_write_str(b, v->query_string);
  wc_mp_write_cstr(b, "header");
  wc_mp_write_str_map(b, &v->header);
  wc_mp_write_cstr(b, "body");
  wc_mp_write_bin(b, v->body);
}

// Views into `data` (header arrays in the arena). NULL on success, else the error.
static inline const char* wc_http_request_decode(wc_bytes data, wc_http_request* out) {
  wc_field f[] = {wc_field_of("method", WC_FIELD_STR, &out->method),
                  wc_field_of("path", WC_FIELD_STR, &out->path),
                  wc_field_of("queryString", WC_FIELD_STR, &out->query_string),
                  wc_field_of("header", WC_FIELD_STR_MAP, &out->header),
                  wc_field_of("body", WC_FIELD_BIN, &out->body)};
  return wc_mp_decode_struct(data, "HttpRequest", f, 5);
}

static inline void wc_http_response_encode(wc_buf* b, const wc_http_response* v) {
  wc_mp_write_map(b, 4);
  wc_mp_write_cstr(b, "statusCode");
  wc_mp_write_uint(b, v->status_code);
  wc_mp_write_cstr(b, "status");
  wc_mp_write_str(b, v->status);
  wc_mp_write_cstr(b, "header");
  wc_mp_write_str_map(b, &v->header);
  wc_mp_write_cstr(b, "body");
  wc_mp_write_bin(b, v->body);
}

static inline const char* wc_http_response_decode(wc_bytes data, wc_http_response* out) {
  wc_field f[] = {wc_field_of("statusCode", WC_FIELD_U32, &out->status_code),
                  wc_field_of("status", WC_FIELD_STR, &out->status),
                  wc_field_of("header", WC_FIELD_STR_MAP, &out->header),
                  wc_field_of("body", WC_FIELD_BIN, &out->body)};
  return wc_mp_decode_struct(data, "HttpResponse", f, 4);
}

// A Response with no headers as a handler's result: wc_http_reply(200, WC_LIT("OK"), body).
static inline wc_result wc_http_reply(uint32_t status_code, wc_str status, wc_bytes body) {
  wc_http_response r;
  r.status_code = status_code;
  r.status = status;
  r.header = wc_str_map_empty();
  r.body = body;
  wc_buf b = wc_buf_new();
  wc_http_response_encode(&b, &r);
  return wc_ok_buf(&b);
}

static inline int wc__hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Finds `name` in a query string ("a=1&name=x+y%21") and stores its value, decoded
// ('+' is a space, %XX a byte; a malformed escape is kept as written), in `value`
// (arena). False when the parameter is absent (or memory ran out). A parameter without
// '=' has the empty value.
static inline bool wc_http_query_param(wc_str query, const char* name, wc_str* value) {
  wc_str want = wc_cstr(name);
  uint32_t i = 0;
  for (;;) {
    uint32_t end = i;
    while (end < query.len && query.ptr[end] != '&') ++end;
    uint32_t eq = i;
    while (eq < end && query.ptr[eq] != '=') ++eq;
    if (wc_str_eq(wc_str_of(query.ptr + i, eq - i), want)) {
      uint32_t from = eq < end ? eq + 1 : end;
      char* out = (char*)wc_alloc(end - from);
      if (out == NULL && end > from) return false;
      uint32_t n = 0;
      for (uint32_t k = from; k < end; ++k) {
        char c = query.ptr[k];
        if (c == '+') {
          c = ' ';
        } else if (c == '%' && end - k > 2) {
          int hi = wc__hex_digit(query.ptr[k + 1]);
          int lo = wc__hex_digit(query.ptr[k + 2]);
          if (hi >= 0 && lo >= 0) {
            c = (char)(hi * 16 + lo);
            k += 2;
          }
        }
        out[n++] = c;
      }
      *value = wc_str_of(out, n);
      return true;
    }
    if (end == query.len) return false;
    i = end + 1;
  }
}

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // WASMCLOUD_ACTOR_HTTPSERVER_H_
