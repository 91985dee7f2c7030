/* The SDK compiled as C99 (natively, with the project's warnings): a second translation
   unit that includes the whole SDK, as an actor split over files would. Its handler is
   registered by the glue test, so the handler table and the arena are shown to be one
   object shared by both units (the C++ test and this file). */
#include "wasmcloud/actor.h"

static wc_result shout(wc_bytes payload) {
  wc_buf b = wc_buf_new();
  uint32_t i;
  for (i = 0; i < payload.len; ++i) {
    uint8_t c = payload.ptr[i];
    wc_buf_push(&b, (uint8_t)(c >= 'a' && c <= 'z' ? c - 32 : c));
  }
  wc_buf_append_cstr(&b, "!");
  return wc_ok_buf(&b);
}

void sdk_test_register_c_handler(void) { wc_register("Shout", shout); }
