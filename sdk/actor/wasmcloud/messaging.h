// wasmcloud:messaging payloads (spec §4.5): the provider calls the actor's
// "HandleMessage" with a BrokerMessage {subject, replyTo, body: bin} and expects nil;
// the actor calls "Publish" {subject, replyTo, body: bin} -> {published: bool} and
// "Request" {subject, body: bin, timeout: i64 ms} -> BrokerMessage. The host calls are in
// actor.h (wc_messaging_publish, wc_messaging_request).
#ifndef WASMCLOUD_ACTOR_MESSAGING_H_
#define WASMCLOUD_ACTOR_MESSAGING_H_

#include "wasmcloud/msgpack.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wc_broker_message {
  wc_str subject;
  wc_str reply_to;  // "" when no reply is expected
  wc_bytes body;
} wc_broker_message;

typedef struct wc_publish_response {
  bool published;
} wc_publish_response;

// BrokerMessage and PublishArgs have the same fields in the same order.
static inline void wc_broker_message_encode(wc_buf* b, const wc_broker_message* v) {
  wc_mp_write_map(b, 3);
  wc_mp_write_cstr(b, "subject");
  wc_mp_write_str(b, v->subject);
  wc_mp_write_cstr(b, "replyTo");
  wc_mp_write_str(b, v->reply_to);
  wc_mp_write_cstr(b, "body");
  wc_mp_write_bin(b, v->body);
}

static inline const char* wc_broker_message_decode(wc_bytes data, wc_broker_message* out) {
  wc_field f[] = {wc_field_of("subject", WC_FIELD_STR, &out->subject),
                  wc_field_of("replyTo", WC_FIELD_STR, &out->reply_to),
                  wc_field_of("body", WC_FIELD_BIN, &out->body)};
  return wc_mp_decode_struct(data, "BrokerMessage", f, 3);
}

// Publish: {subject, replyTo, body: bin}
static inline void wc_publish_args_encode(wc_buf* b, wc_str subject, wc_str reply_to,
                                          wc_bytes body) {
  wc_broker_message m;
  m.subject = subject;
  m.reply_to = reply_to;
  m.body = body;
  wc_broker_message_encode(b, &m);
}

static inline void wc_publish_response_encode(wc_buf* b, const wc_publish_response* v) {
  wc_mp_write_map(b, 1);
  wc_mp_write_cstr(b, "published");
  wc_mp_write_bool(b, v->published);
}
static inline const char* wc_publish_response_decode(wc_bytes data, wc_publish_response* out) {
  wc_field f[] = {wc_field_of("published", WC_FIELD_BOOL, &out->published)};
  return wc_mp_decode_struct(data, "PublishResponse", f, 1);
}

// Request: {subject, body: bin, timeout: i64} (milliseconds)
static inline void wc_request_args_encode(wc_buf* b, wc_str subject, wc_bytes body,
                                          int64_t timeout_ms) {
  wc_mp_write_map(b, 3);
  wc_mp_write_cstr(b, "subject");
  wc_mp_write_str(b, subject);
  wc_mp_write_cstr(b, "body");
  wc_mp_write_bin(b, body);
  wc_mp_write_cstr(b, "timeout");
  wc_mp_write_int(b, timeout_ms);
}

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // WASMCLOUD_ACTOR_MESSAGING_H_
