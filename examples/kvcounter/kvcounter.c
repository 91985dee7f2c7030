// kvcounter: the upstream wasmCloud 0.18 example (tests/modules/kvcounter.wasm) in C.
// HandleRequest adds 1 to the number stored under the request path with every "/"
// replaced by ":" (host call "default", "wasmcloud:keyvalue", "Add") and answers 200
// with the body {"counter":N}. A refused host call fails the request with
// `Guest call failed: Host error: <message>`, as the Rust original does.
#include "wasmcloud/actor.h"

static wc_result handle_request(const wc_http_request* request) {
  char* key = (char*)wc_alloc(request->path.len);
  if (key == NULL) return wc_err("out of memory");
  for (uint32_t i = 0; i < request->path.len; ++i) {
    key[i] = request->path.ptr[i] == '/' ? ':' : request->path.ptr[i];
  }

  int32_t counter = 0;
  wc_result added = wc_kv_add(wc_str_of(key, request->path.len), 1, &counter);
  if (!added.ok) return added;

  wc_buf body = wc_buf_new();
  wc_buf_append_cstr(&body, "{\"counter\":");
  wc_buf_append_int(&body, counter);
  wc_buf_append_cstr(&body, "}");
  if (body.failed) return wc_err("out of memory");
  return wc_http_reply(200, WC_LIT("OK"), wc_buf_bytes(&body));
}

WC_EXPORT("wapc_init") void wapc_init(void) { wc_register_http(handle_request); }
