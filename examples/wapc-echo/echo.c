// The smallest useful waPC guest, in C with no libc: operation "echo" answers with its
// payload; "HealthRequest" (which a host sends every heartbeat) answers healthy, as
// wasmCloud's actor SDKs do; any other operation is an error, worded as the Rust guest
// SDK words it.
// Built by the project with clang --target=wasm32 (see examples/CMakeLists.txt).
#include <stdint.h>

#define WAPC_IMPORT(name) __attribute__((import_module("wapc"), import_name(#name)))
WAPC_IMPORT(__guest_request) void guest_request(uint8_t* op, uint8_t* payload);
WAPC_IMPORT(__guest_response) void guest_response(const uint8_t* ptr, uint32_t len);
WAPC_IMPORT(__guest_error) void guest_error(const uint8_t* ptr, uint32_t len);

extern unsigned char __heap_base;

// Each call's buffers start at the heap base: a call never outlives the next one.
static uint8_t* take(uint8_t** top, uint32_t n) {
  uint8_t* p = *top;
  uintptr_t end = (uintptr_t)p + n;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) {
    uintptr_t pages = (end - have + 65535u) / 65536u;
    if (__builtin_wasm_memory_grow(0, pages) == (uintptr_t)-1) __builtin_trap();
  }
  *top = (uint8_t*)((end + 7u) & ~(uintptr_t)7u);
  return p;
}

static int equals(const uint8_t* a, uint32_t n, const char* b) {
  uint32_t i = 0;
  for (; i < n; ++i) {
    if (b[i] == 0 || a[i] != (uint8_t)b[i]) return 0;
  }
  return b[i] == 0;
}

__attribute__((export_name("__guest_call"))) int32_t guest_call(uint32_t op_len, uint32_t len) {
  uint8_t* top = &__heap_base;
  uint8_t* op = take(&top, op_len);
  uint8_t* payload = take(&top, len);
  guest_request(op, payload);
  if (equals(op, op_len, "echo")) {
    guest_response(payload, len);
    return 1;
  }
  if (equals(op, op_len, "HealthRequest")) {
    // msgpack {"healthy": true, "message": ""}
    static const uint8_t healthy[] = {0x82, 0xa7, 'h', 'e', 'a', 'l', 't', 'h', 'y', 0xc3,
                                      0xa7, 'm',  'e', 's', 's', 'a', 'g', 'e', 0xa0};
    guest_response(healthy, sizeof healthy);
    return 1;
  }
  static const char prefix[] = "No handler registered for function \"";
  uint8_t* msg = take(&top, sizeof prefix + op_len + 1);
  uint32_t n = 0;
  for (const char* p = prefix; *p; ++p) msg[n++] = (uint8_t)*p;
  for (uint32_t i = 0; i < op_len; ++i) msg[n++] = op[i];
  msg[n++] = '"';
  guest_error(msg, n);
  return 0;
}
