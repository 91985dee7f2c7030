/* The capability provider C ABI of this host, version 1.
 *
 * A provider is a shared library (.so) that exports two functions:
 *
 *   uint32_t wasmcloud_provider_abi_version(void);
 *     returns WASMCLOUD_PROVIDER_ABI_VERSION as the provider was built with it. The host
 *     calls it first and refuses a library built for another version.
 *
 *   int wasmcloud_provider_create(const wc_host_api* host, wc_provider* out,
 *                                 wc_buffer* error);
 *     makes one provider instance. `host` stays valid until the instance's `destroy`
 *     returns. On success returns WC_OK and fills `out`; on failure returns WC_ERROR and
 *     may put a message in `error`.
 *
 * Everything crossing this boundary is plain C: no C++ exception may cross it (the C++
 * helper in sdk/provider catches them), strings are NUL-terminated UTF-8, byte payloads
 * are pointer + length (the pointer may be NULL when the length is 0). Memory is released
 * by whoever allocated it: a wc_buffer carries its own `release` function, which the
 * receiver calls once when done. A wc_buffer* argument to be filled is passed zeroed
 * (data NULL, len 0, release NULL); after the call the caller releases whatever it holds,
 * whatever the return code.
 *
 * Threads: handle_call may be called from several host threads at once and must be
 * thread-safe. describe, bind_actor, remove_actor, health and stop are called one at a
 * time, but may run while handle_call calls are in flight on other threads. In
 * particular stop may overlap handle_call: calls the host began before stop may still be
 * running, or only just entering handle_call, while stop runs and shortly after it
 * returns. stop should make running calls end soon and must not free what they use;
 * such late calls may be answered with an error. The host starts no other call after
 * stop, and calls destroy once every call has returned. The host's call_actor and log
 * may be called from any thread, including the provider's own, between create and the
 * return of stop; outside that window call_actor answers WC_ERROR (the host has not
 * started the provider yet, or has stopped it).
 *
 * Compatibility: a later minor change appends members to the end of wc_provider_vtable
 * and wc_host_api and grows their struct_size; a change that breaks layout increments
 * WASMCLOUD_PROVIDER_ABI_VERSION. */
#ifndef WASMCLOUD_PROVIDER_H_
#define WASMCLOUD_PROVIDER_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WASMCLOUD_PROVIDER_ABI_VERSION 1u

#define WC_OK 0
#define WC_ERROR 1
/* A more specific failure that call_actor may return instead of WC_ERROR: the call ran
 * past its deadline (the host's call timeout). Any value other than WC_OK is a failure;
 * hosts older than this code return WC_ERROR for it. */
#define WC_ERROR_DEADLINE 2
/* Another that call_actor may return: the actor could not be reached for now (the
 * lattice's NATS server is unreachable, the host or provider on the way is stopping); a
 * later try may succeed. Hosts older than this code return WC_ERROR for it. */
#define WC_ERROR_UNAVAILABLE 3

#if defined(__GNUC__)
#define WC_PROVIDER_EXPORT __attribute__((visibility("default")))
#else
#define WC_PROVIDER_EXPORT
#endif

/* Bytes owned by whoever filled the buffer. The receiver calls release(buffer) once
 * when done with them (when release is not NULL). An empty buffer: data NULL, len 0. */
typedef struct wc_buffer {
  uint8_t* data;
  size_t len;
  void (*release)(struct wc_buffer* self);
  void* opaque; /* for the releaser's use */
} wc_buffer;

/* A C caller may pass any int here (a provider's own level number, say): in C++ the
 * enum has int as its fixed underlying type, so that every int is a valid value (without
 * it, reading 42 as a wc_log_level is undefined behaviour in C++). The ABI is the same: a
 * C enum is an int. */
#ifdef __cplusplus
enum wc_log_level : int {
#else
typedef enum wc_log_level {
#endif
  WC_LOG_TRACE = 0,
  WC_LOG_DEBUG = 1,
  WC_LOG_INFO = 2,
  WC_LOG_WARN = 3,
  WC_LOG_ERROR = 4
#ifdef __cplusplus
};
#else
} wc_log_level;
#endif

/* One link value (key and value are NUL-terminated, valid during the call). */
typedef struct wc_link_value {
  const char* key;
  const char* value;
} wc_link_value;

/* What a provider may call on the host. */
typedef struct wc_host_api {
  uint32_t abi_version; /* WASMCLOUD_PROVIDER_ABI_VERSION of the host */
  uint32_t struct_size; /* sizeof(wc_host_api) of the host */
  void* host_ctx;       /* pass it back to the functions below */
  /* Calls `operation` on the actor with public key `actor` (origin: this provider).
   * WC_OK: *response holds the actor's reply. WC_ERROR (or WC_ERROR_DEADLINE when the
   * call ran past its deadline, WC_ERROR_UNAVAILABLE when the actor could not be reached
   * for now): *response holds the error message (UTF-8, not NUL-terminated). Either way
   * the provider releases *response. */
  int (*call_actor)(void* host_ctx, const char* actor, const char* operation,
                    const uint8_t* payload, size_t payload_len, wc_buffer* response);
  /* A line in the host's log. */
  void (*log)(void* host_ctx, wc_log_level level, const char* message);
  /* Added after the first release of ABI 1: use it only when struct_size covers it
   * (WC_HOST_API_HAS(api, count)). Adds `add` to the provider's counter `name`
   * ([a-z][a-z0-9_]*, at most 64 bytes) for the label values `labels` ("key=value" pairs
   * separated by ',', at most 4, keys [a-z][a-z0-9_]*, values at most 64 bytes; "" for
   * none). The host shows it in its metrics as wasmcloud_provider_<name>_total, with
   * the provider's key and link name added as labels; a name always goes with the same
   * label keys. What does not follow these rules is dropped (and said once in the log). */
  void (*count)(void* host_ctx, const char* name, const char* labels, uint64_t add);
} wc_host_api;

/* Whether `api` (a const wc_host_api*) has the member `field`: hosts built before it
 * was added pass a smaller struct_size. */
#define WC_HOST_API_HAS(api, field)                                             \
  ((api)->struct_size >= offsetof(wc_host_api, field) + sizeof((api)->field) && \
   (api)->field != NULL)

typedef struct wc_provider_descriptor {
  const char* contract_id; /* e.g. "wasmcloud:keyvalue"; valid until destroy */
  const char* name;
  const char* version;
} wc_provider_descriptor;

/* The provider's functions. `self` is wc_provider.instance. A function that fails
 * returns WC_ERROR and may put a message (UTF-8) in its wc_buffer argument, which the
 * host releases. */
typedef struct wc_provider_vtable {
  uint32_t abi_version; /* WASMCLOUD_PROVIDER_ABI_VERSION the provider was built with */
  uint32_t struct_size; /* sizeof(wc_provider_vtable) */
  void (*describe)(void* self, wc_provider_descriptor* out);
  /* A link to `actor` exists; idempotent (sent again when either side restarts). */
  int (*bind_actor)(void* self, const char* actor, const wc_link_value* values, size_t count,
                    wc_buffer* error);
  /* The link to `actor` was removed; idempotent. */
  int (*remove_actor)(void* self, const char* actor, wc_buffer* error);
  /* A call from an actor. WC_OK: *response is the reply. WC_ERROR: *response is the
   * error message the actor receives. */
  int (*handle_call)(void* self, const char* actor, const char* operation, const uint8_t* payload,
                     size_t payload_len, wc_buffer* response);
  /* WC_OK when healthy; WC_ERROR with a message when not. */
  int (*health)(void* self, wc_buffer* message);
  /* Stop serving: release resources, join threads. Nothing but destroy follows. */
  void (*stop)(void* self);
  /* Free the instance. */
  void (*destroy)(void* self);
} wc_provider_vtable;

typedef struct wc_provider {
  void* instance;
  const wc_provider_vtable* vtable;
} wc_provider;

typedef uint32_t (*wc_provider_abi_version_fn)(void);
typedef int (*wc_provider_create_fn)(const wc_host_api* host, wc_provider* out, wc_buffer* error);

#define WC_PROVIDER_ABI_VERSION_SYMBOL "wasmcloud_provider_abi_version"
#define WC_PROVIDER_CREATE_SYMBOL "wasmcloud_provider_create"

#ifdef __cplusplus
}
#endif

#endif /* WASMCLOUD_PROVIDER_H_ */
