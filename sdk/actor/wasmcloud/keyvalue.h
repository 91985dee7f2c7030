// wasmcloud:keyvalue payloads (spec §4.5, keyvalue 0.2.2): the args an actor sends and
// the replies it reads. The host calls themselves (wc_kv_add, ...) are in actor.h.
//   Get, Del, Clear, SetQuery, KeyExists  {key}
//   Add                                   {key, value: i32}        -> {value: i32}
//   Set                                   {key, value, expires: i32} -> {value}
//   Push, ListItemDelete, SetAdd, SetRemove {key, value}
//   Get, KeyExists -> {value, exists: bool};  Del, Clear -> {key}
#ifndef WASMCLOUD_ACTOR_KEYVALUE_H_
#define WASMCLOUD_ACTOR_KEYVALUE_H_

#include "wasmcloud/msgpack.h"

#ifdef __cplusplus
extern "C" {
#endif

// {key}
static inline void wc_kv_key_args_encode(wc_buf* b, wc_str key) {
  wc_mp_write_map(b, 1);
  wc_mp_write_cstr(b, "key");
  wc_mp_write_str(b, key);
}

// {key, value: str}
static inline void wc_kv_key_value_args_encode(wc_buf* b, wc_str key, wc_str value) {
  wc_mp_write_map(b, 2);
  wc_mp_write_cstr(b, "key");
  wc_mp_write_str(b, key);
  wc_mp_write_cstr(b, "value");
  wc_mp_write_str(b, value);
}

// Add: {key, value: i32}
static inline void wc_kv_add_args_encode(wc_buf* b, wc_str key, int32_t value) {
  wc_mp_write_map(b, 2);
  wc_mp_write_cstr(b, "key");
  wc_mp_write_str(b, key);
  wc_mp_write_cstr(b, "value");
  wc_mp_write_int(b, value);
}

// Set: {key, value, expires: i32} (expires in seconds, 0 for never)
static inline void wc_kv_set_args_encode(wc_buf* b, wc_str key, wc_str value, int32_t expires) {
  wc_mp_write_map(b, 3);
  wc_mp_write_cstr(b, "key");
  wc_mp_write_str(b, key);
  wc_mp_write_cstr(b, "value");
  wc_mp_write_str(b, value);
  wc_mp_write_cstr(b, "expires");
  wc_mp_write_int(b, expires);
}

typedef struct wc_kv_get_response {  // Get, KeyExists
  wc_str value;
  bool exists;
} wc_kv_get_response;

typedef struct wc_kv_add_response {  // Add
  int32_t value;
} wc_kv_add_response;

typedef struct wc_kv_set_response {  // Set
  wc_str value;
} wc_kv_set_response;

typedef struct wc_kv_del_response {  // Del, Clear
  wc_str key;
} wc_kv_del_response;

static inline void wc_kv_get_response_encode(wc_buf* b, const wc_kv_get_response* v) {
  wc_mp_write_map(b, 2);
  wc_mp_write_cstr(b, "value");
  wc_mp_write_str(b, v->value);
  wc_mp_write_cstr(b, "exists");
  wc_mp_write_bool(b, v->exists);
}
static inline const char* wc_kv_get_response_decode(wc_bytes data, wc_kv_get_response* out) {
  wc_field f[] = {wc_field_of("value", WC_FIELD_STR, &out->value),
                  wc_field_of("exists", WC_FIELD_BOOL, &out->exists)};
  return wc_mp_decode_struct(data, "GetResponse", f, 2);
}

static inline void wc_kv_add_response_encode(wc_buf* b, const wc_kv_add_response* v) {
  wc_mp_write_map(b, 1);
  wc_mp_write_cstr(b, "value");
  wc_mp_write_int(b, v->value);
}
static inline const char* wc_kv_add_response_decode(wc_bytes data, wc_kv_add_response* out) {
  wc_field f[] = {wc_field_of("value", WC_FIELD_I32, &out->value)};
  return wc_mp_decode_struct(data, "AddResponse", f, 1);
}

static inline void wc_kv_set_response_encode(wc_buf* b, const wc_kv_set_response* v) {
  wc_mp_write_map(b, 1);
  wc_mp_write_cstr(b, "value");
  wc_mp_write_str(b, v->value);
}
static inline const char* wc_kv_set_response_decode(wc_bytes data, wc_kv_set_response* out) {
  wc_field f[] = {wc_field_of("value", WC_FIELD_STR, &out->value)};
  return wc_mp_decode_struct(data, "SetResponse", f, 1);
}

static inline void wc_kv_del_response_encode(wc_buf* b, const wc_kv_del_response* v) {
  wc_mp_write_map(b, 1);
  wc_mp_write_cstr(b, "key");
  wc_mp_write_str(b, v->key);
}
static inline const char* wc_kv_del_response_decode(wc_bytes data, wc_kv_del_response* out) {
  wc_field f[] = {wc_field_of("key", WC_FIELD_STR, &out->key)};
  return wc_mp_decode_struct(data, "DelResponse", f, 1);
}

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // WASMCLOUD_ACTOR_KEYVALUE_H_
