// actor-core payloads: op "HealthRequest" {placeholder: bool} -> {healthy: bool,
// message: str}. The SDK answers HealthRequest healthy unless the actor registers its
// own handler (actor.h).
#ifndef WASMCLOUD_ACTOR_CORE_H_
#define WASMCLOUD_ACTOR_CORE_H_

#include "wasmcloud/msgpack.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wc_health_request {
  bool placeholder;
} wc_health_request;

typedef struct wc_health_response {
  bool healthy;
  wc_str message;
} wc_health_response;

static inline void wc_health_request_encode(wc_buf* b, const wc_health_request* v) {
  wc_mp_write_map(b, 1);
  wc_mp_write_cstr(b, "placeholder");
  wc_mp_write_bool(b, v->placeholder);
}

static inline const char* wc_health_request_decode(wc_bytes data, wc_health_request* out) {
  wc_field f[] = {wc_field_of("placeholder", WC_FIELD_BOOL, &out->placeholder)};
  return wc_mp_decode_struct(data, "HealthRequest", f, 1);
}

static inline void wc_health_response_encode(wc_buf* b, const wc_health_response* v) {
  wc_mp_write_map(b, 2);
  wc_mp_write_cstr(b, "healthy");
  wc_mp_write_bool(b, v->healthy);
  wc_mp_write_cstr(b, "message");
  wc_mp_write_str(b, v->message);
}

static inline const char* wc_health_response_decode(wc_bytes data, wc_health_response* out) {
  wc_field f[] = {wc_field_of("healthy", WC_FIELD_BOOL, &out->healthy),
                  wc_field_of("message", WC_FIELD_STR, &out->message)};
  return wc_mp_decode_struct(data, "HealthResponse", f, 2);
}

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // WASMCLOUD_ACTOR_CORE_H_
