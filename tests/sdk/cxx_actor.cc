// The SDK from C++ compiled for wasm32 (no exceptions, no RTTI, no C++ library): built
// by tests/sdk/CMakeLists.txt, run by tests/examples through `wasmcloud wapc`.
// "Reverse" answers its payload reversed; HealthRequest comes from the SDK.
#include "wasmcloud/actor.h"

namespace {

constexpr char kSuffix[] = "";

wc_result Reverse(wc_bytes payload) {
  wc_buf out = wc_buf_new();
  for (uint32_t i = payload.len; i > 0; --i) wc_buf_push(&out, payload.ptr[i - 1]);
  wc_buf_append_cstr(&out, kSuffix);
  return wc_ok_buf(&out);
}

}  // namespace

extern "C" WC_EXPORT("wapc_init") void wapc_init(void) { wc_register("Reverse", Reverse); }
