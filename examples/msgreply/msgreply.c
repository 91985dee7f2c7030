// msgreply: a wasmcloud:messaging actor. HandleMessage answers a message that has a
// reply subject by publishing "reply: <body>" to that subject (with no reply subject of
// its own); messages without one are ignored. Returns nil, as the contract says.
#include "wasmcloud/actor.h"

static wc_result handle_message(const wc_broker_message* message) {
  if (message->reply_to.len == 0) return wc_ok_nil();

  wc_buf body = wc_buf_new();
  wc_buf_append_cstr(&body, "reply: ");
  wc_buf_append_bytes(&body, message->body);
  if (body.failed) return wc_err("out of memory");

  wc_result published = wc_messaging_publish(message->reply_to, WC_LIT(""), wc_buf_bytes(&body));
  if (!published.ok) return published;
  return wc_ok_nil();
}

WC_EXPORT("wapc_init") void wapc_init(void) { wc_register_messaging(handle_message); }
