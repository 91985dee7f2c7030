// hello: a wasmcloud:httpserver actor. HandleRequest answers 200 "Hello, <name>!" where
// <name> is the query parameter `name` (decoded), or "world" when it is absent or empty.
#include "wasmcloud/actor.h"

static wc_result handle_request(const wc_http_request* request) {
  wc_str name = WC_LIT("world");
  wc_str given;
  if (wc_http_query_param(request->query_string, "name", &given) && given.len > 0) name = given;

  wc_buf body = wc_buf_new();
  wc_buf_append_cstr(&body, "Hello, ");
  wc_buf_append_str(&body, name);
  wc_buf_append_cstr(&body, "!");
  if (body.failed) return wc_err("out of memory");
  return wc_http_reply(200, WC_LIT("OK"), wc_buf_bytes(&body));
}

WC_EXPORT("wapc_init") void wapc_init(void) { wc_register_http(handle_request); }
