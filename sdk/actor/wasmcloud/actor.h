// The actor SDK: include this one header. It has the waPC glue (the `wapc` imports,
// `__guest_call` dispatching to the handlers registered by operation name, host calls,
// console log), the freestanding memcpy/memset/memmove/memcmp/strlen clang needs, and
// the payload helpers of every interface. See docs/actors.md.
//
//   #include "wasmcloud/actor.h"
//
//   static wc_result hello(const wc_http_request* req) {
//     (void)req;
//     return wc_http_reply(200, WC_LIT("OK"), wc_str_bytes(WC_LIT("Hello!")));
//   }
//
//   WC_EXPORT("wapc_init") void wapc_init(void) { wc_register_http(hello); }
//
// Behaviour, as the Rust guest SDK (wapc-guest 0.4) the 0.18 actors were built with:
// - an operation with no handler: guest error `No handler registered for function "X"`;
// - a handler's error: guest error `Guest call failed: <error>`;
// - a host call the host refuses: the error `Host error: <host message>`;
// - "HealthRequest" is answered {healthy: true, message: ""} unless the actor registers
//   its own handler for it.
#ifndef WASMCLOUD_ACTOR_ACTOR_H_
#define WASMCLOUD_ACTOR_ACTOR_H_

#include "wasmcloud/base.h"
#include "wasmcloud/core.h"
#include "wasmcloud/httpserver.h"
#include "wasmcloud/keyvalue.h"
#include "wasmcloud/messaging.h"
#include "wasmcloud/msgpack.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__wasm__)
#define WC_EXPORT(name) __attribute__((export_name(name)))
#define WC__WAPC_IMPORT(name) __attribute__((import_module("wapc"), import_name(#name)))
#else
// Natively (the SDK's tests) the imports are plain functions the test defines.
#define WC_EXPORT(name)
#define WC__WAPC_IMPORT(name)
#endif

// ---- the waPC imports (spec §1.1) -----------------------------------------------------

WC__WAPC_IMPORT(__guest_request) void wc__wapc_guest_request(uint8_t* op, uint8_t* payload);
WC__WAPC_IMPORT(__guest_response) void wc__wapc_guest_response(const uint8_t* ptr, uint32_t len);
WC__WAPC_IMPORT(__guest_error) void wc__wapc_guest_error(const uint8_t* ptr, uint32_t len);
WC__WAPC_IMPORT(__host_call)
int32_t wc__wapc_host_call(const uint8_t* binding, uint32_t binding_len, const uint8_t* ns,
                           uint32_t ns_len, const uint8_t* op, uint32_t op_len,
                           const uint8_t* payload, uint32_t payload_len);
WC__WAPC_IMPORT(__host_response_len) uint32_t wc__wapc_host_response_len(void);
WC__WAPC_IMPORT(__host_response) void wc__wapc_host_response(uint8_t* ptr);
WC__WAPC_IMPORT(__host_error_len) uint32_t wc__wapc_host_error_len(void);
WC__WAPC_IMPORT(__host_error) void wc__wapc_host_error(uint8_t* ptr);
WC__WAPC_IMPORT(__console_log) void wc__wapc_console_log(const uint8_t* ptr, uint32_t len);

// ---- handlers -------------------------------------------------------------------------

// A handler gets the payload of one call and returns the reply or an error. The payload
// and everything allocated during the call stay valid until the call returns.
typedef wc_result (*wc_handler)(wc_bytes payload);
// "HandleRequest" of wasmcloud:httpserver, with the Request decoded.
typedef wc_result (*wc_http_handler)(const wc_http_request* request);
// "HandleMessage" of wasmcloud:messaging, with the BrokerMessage decoded; return
// wc_ok_nil() (what the contract's unit reply is).
typedef wc_result (*wc_message_handler)(const wc_broker_message* message);

#ifndef WC_MAX_HANDLERS
#define WC_MAX_HANDLERS 32
#endif

typedef enum wc__handler_kind { WC__PLAIN, WC__HTTP, WC__MESSAGE } wc__handler_kind;

typedef struct wc__registration {
  wc_str operation;
  wc__handler_kind kind;
  union {
    wc_handler plain;
    wc_http_handler http;
    wc_message_handler message;
  } fn;
} wc__registration;

typedef struct wc__registry {
  uint32_t count;
  wc__registration entries[WC_MAX_HANDLERS];
} wc__registry;

WC_SHARED wc__registry wc__handlers;

static inline wc__registration* wc__find_handler(wc_str operation) {
  for (uint32_t i = 0; i < wc__handlers.count; ++i) {
    if (wc_str_eq(wc__handlers.entries[i].operation, operation)) return &wc__handlers.entries[i];
  }
  return NULL;
}

static inline bool wc__register(const char* operation, wc__handler_kind kind,
                                wc__registration entry) {
  wc__registration* slot = wc__find_handler(wc_cstr(operation));
  if (slot == NULL) {
    if (wc__handlers.count == WC_MAX_HANDLERS) return false;
    slot = &wc__handlers.entries[wc__handlers.count++];
  }
  *slot = entry;
  slot->operation = wc_cstr(operation);  // `operation` must outlive the actor (a literal)
  slot->kind = kind;
  return true;
}

// Registers `fn` for `operation` (again: replaces). False when WC_MAX_HANDLERS are taken.
static inline bool wc_register(const char* operation, wc_handler fn) {
  wc__registration e;
  e.fn.plain = fn;
  return wc__register(operation, WC__PLAIN, e);
}
static inline bool wc_register_http(wc_http_handler fn) {
  wc__registration e;
  e.fn.http = fn;
  return wc__register("HandleRequest", WC__HTTP, e);
}
static inline bool wc_register_messaging(wc_message_handler fn) {
  wc__registration e;
  e.fn.message = fn;
  return wc__register("HandleMessage", WC__MESSAGE, e);
}

// msgpack nil: the reply of operations whose result is unit (HandleMessage).
static inline wc_result wc_ok_nil(void) {
  static const uint8_t kNil[1] = {0xc0};
  return wc_ok(wc_bytes_of(kNil, 1));
}

static inline wc_result wc__run_handler(const wc__registration* h, wc_bytes payload) {
  const char* error = NULL;
  switch (h->kind) {
    case WC__HTTP: {
      wc_http_request request;
      error = wc_http_request_decode(payload, &request);
      return error != NULL ? wc_err(error) : h->fn.http(&request);
    }
    case WC__MESSAGE: {
      wc_broker_message message;
      error = wc_broker_message_decode(payload, &message);
      return error != NULL ? wc_err(error) : h->fn.message(&message);
    }
    case WC__PLAIN:
      break;
  }
  return h->fn.plain(payload);
}

// The default "HealthRequest" answer: healthy, with an empty message.
static inline wc_result wc_health_ok(wc_bytes payload) {
  (void)payload;
  wc_health_response r;
  r.healthy = true;
  r.message = wc_str_of("", 0);
  wc_buf b = wc_buf_new();
  wc_health_response_encode(&b, &r);
  return wc_ok_buf(&b);
}

static inline void wc__guest_error_text(wc_str prefix, wc_str text, wc_str suffix) {
  wc_buf b = wc_buf_new();
  wc_buf_append_str(&b, prefix);
  wc_buf_append_str(&b, text);
  wc_buf_append_str(&b, suffix);
  if (b.failed) {
    wc__wapc_guest_error((const uint8_t*)prefix.ptr, prefix.len);
  } else {
    wc__wapc_guest_error(b.ptr, b.len);
  }
}

// The waPC entry point: fetch the operation and payload, run the handler, hand over its
// reply (return 1) or its error (return 0).
WC_EXPORT("__guest_call")
__attribute__((weak)) int32_t __guest_call(uint32_t op_len, uint32_t payload_len) {
  wc__arena_begin_call();
  uint8_t* op = (uint8_t*)wc_alloc(op_len);
  uint8_t* payload = (uint8_t*)wc_alloc(payload_len);
  if (op == NULL || payload == NULL) {
    wc_str m = WC_LIT("Guest call failed: out of memory for the request");
    wc__wapc_guest_error((const uint8_t*)m.ptr, m.len);
    return 0;
  }
  wc__wapc_guest_request(op, payload);
  wc_str operation = wc_str_of((const char*)op, op_len);
  wc_bytes input = wc_bytes_of(payload, payload_len);
  const wc__registration* h = wc__find_handler(operation);
  wc_result r;
  if (h != NULL) {
    r = wc__run_handler(h, input);
  } else if (wc_str_eq_cstr(operation, "HealthRequest")) {
    r = wc_health_ok(input);
  } else {
    wc__guest_error_text(WC_LIT("No handler registered for function \""), operation, WC_LIT("\""));
    return 0;
  }
  if (!r.ok) {
    wc__guest_error_text(WC_LIT("Guest call failed: "), r.error, WC_LIT(""));
    return 0;
  }
  wc__wapc_guest_response(r.value.ptr, r.value.len);
  return 1;
}

// ---- calls to the host ------------------------------------------------------------------

// Calls `operation` of `ns` (a contract id such as "wasmcloud:keyvalue", an actor's public
// key or call alias) over the link named `binding` ("default" unless the link has a
// name). ok with the reply, or the error `Host error: <what the host said>`.
static inline wc_result wc_host_call(wc_str binding, wc_str ns, wc_str operation,
                                     wc_bytes payload) {
  static const uint8_t kEmpty[1] = {0};
  const uint8_t* data = payload.ptr != NULL ? payload.ptr : kEmpty;
  if (wc__wapc_host_call((const uint8_t*)binding.ptr, binding.len, (const uint8_t*)ns.ptr, ns.len,
                         (const uint8_t*)operation.ptr, operation.len, data, payload.len) == 1) {
    uint32_t n = wc__wapc_host_response_len();
    uint8_t* reply = (uint8_t*)wc_alloc(n);
    if (reply == NULL) return wc_err("out of memory for the host's reply");
    wc__wapc_host_response(reply);
    return wc_ok(wc_bytes_of(reply, n));
  }
  uint32_t n = wc__wapc_host_error_len();
  char* text = (char*)wc_alloc(n);
  if (text == NULL) return wc_err("Host error: (no memory for the host's message)");
  wc__wapc_host_error((uint8_t*)text);
  return wc_err_cat("Host error: ", wc_str_of(text, n));
}

// A line in the host's log ("Guest module <id>: <text>" upstream).
static inline void wc_log_str(wc_str text) {
  wc__wapc_console_log((const uint8_t*)text.ptr, text.len);
}
static inline void wc_log(const char* text) { wc_log_str(wc_cstr(text)); }

// ---- wasmcloud:keyvalue over the "default" link -----------------------------------------

static inline wc_result wc__kv_call(const char* operation, const wc_buf* args) {
  if (args->failed) return wc_err("out of memory");
  return wc_host_call(WC_LIT("default"), WC_LIT("wasmcloud:keyvalue"), wc_cstr(operation),
                      wc_buf_bytes(args));
}

// Add `value` to the number at `key` (0 when absent); `*total` is the new value.
static inline wc_result wc_kv_add(wc_str key, int32_t value, int32_t* total) {
  wc_buf args = wc_buf_new();
  wc_kv_add_args_encode(&args, key, value);
  wc_result r = wc__kv_call("Add", &args);
  if (!r.ok) return r;
  wc_kv_add_response reply;
  const char* error = wc_kv_add_response_decode(r.value, &reply);
  if (error != NULL) return wc_err(error);
  *total = reply.value;
  return r;
}

static inline wc_result wc_kv_get(wc_str key, wc_kv_get_response* out) {
  wc_buf args = wc_buf_new();
  wc_kv_key_args_encode(&args, key);
  wc_result r = wc__kv_call("Get", &args);
  if (!r.ok) return r;
  const char* error = wc_kv_get_response_decode(r.value, out);
  return error != NULL ? wc_err(error) : r;
}

static inline wc_result wc_kv_set(wc_str key, wc_str value, int32_t expires) {
  wc_buf args = wc_buf_new();
  wc_kv_set_args_encode(&args, key, value, expires);
  wc_result r = wc__kv_call("Set", &args);
  if (!r.ok) return r;
  wc_kv_set_response reply;
  const char* error = wc_kv_set_response_decode(r.value, &reply);
  return error != NULL ? wc_err(error) : r;
}

static inline wc_result wc_kv_del(wc_str key) {
  wc_buf args = wc_buf_new();
  wc_kv_key_args_encode(&args, key);
  wc_result r = wc__kv_call("Del", &args);
  if (!r.ok) return r;
  wc_kv_del_response reply;
  const char* error = wc_kv_del_response_decode(r.value, &reply);
  return error != NULL ? wc_err(error) : r;
}

// ---- wasmcloud:messaging over the "default" link ----------------------------------------

// Publishes `body` on `subject`; an error too when the provider says it did not publish.
static inline wc_result wc_messaging_publish(wc_str subject, wc_str reply_to, wc_bytes body) {
  wc_buf args = wc_buf_new();
  wc_publish_args_encode(&args, subject, reply_to, body);
  if (args.failed) return wc_err("out of memory");
  wc_result r = wc_host_call(WC_LIT("default"), WC_LIT("wasmcloud:messaging"), WC_LIT("Publish"),
                             wc_buf_bytes(&args));
  if (!r.ok) return r;
  wc_publish_response reply;
  const char* error = wc_publish_response_decode(r.value, &reply);
  if (error != NULL) return wc_err(error);
  return reply.published ? r : wc_err_cat("the message was not published on ", subject);
}

// Sends a request and waits up to `timeout_ms` for the reply, stored in `*reply`.
static inline wc_result wc_messaging_request(wc_str subject, wc_bytes body, int64_t timeout_ms,
                                             wc_broker_message* reply) {
  wc_buf args = wc_buf_new();
  wc_request_args_encode(&args, subject, body, timeout_ms);
  if (args.failed) return wc_err("out of memory");
  wc_result r = wc_host_call(WC_LIT("default"), WC_LIT("wasmcloud:messaging"), WC_LIT("Request"),
                             wc_buf_bytes(&args));
  if (!r.ok) return r;
  const char* error = wc_broker_message_decode(r.value, reply);
  return error != NULL ? wc_err(error) : r;
}

// ---- what clang expects from a C library ------------------------------------------------

#if defined(__wasm__)
#define WC__LIBC __attribute__((weak, visibility("hidden"), no_builtin))

WC__LIBC void* memcpy(void* dst, const void* src, size_t n) {
  uint8_t* d = (uint8_t*)dst;
  const uint8_t* s = (const uint8_t*)src;
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}

WC__LIBC void* memmove(void* dst, const void* src, size_t n) {
  uint8_t* d = (uint8_t*)dst;
  const uint8_t* s = (const uint8_t*)src;
  if (d < s) {
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    for (size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
  }
  return dst;
}

WC__LIBC void* memset(void* dst, int c, size_t n) {
  uint8_t* d = (uint8_t*)dst;
  for (size_t i = 0; i < n; ++i) d[i] = (uint8_t)c;
  return dst;
}

WC__LIBC int memcmp(const void* a, const void* b, size_t n) {
  const uint8_t* x = (const uint8_t*)a;
  const uint8_t* y = (const uint8_t*)b;
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

WC__LIBC size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n] != 0) ++n;
  return n;
}
#endif

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // WASMCLOUD_ACTOR_ACTOR_H_
