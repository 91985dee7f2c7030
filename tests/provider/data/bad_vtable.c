/* A plain C provider whose vtable lacks health: the host refuses it, after stop and
 * destroy. The number of live instances is exported for the test to read. */
#include <stdlib.h>
#include <wasmcloud/provider.h>

WC_PROVIDER_EXPORT int wc_test_live_instances = 0;

static void describe(void* self, wc_provider_descriptor* out) {
  (void)self;
  out->contract_id = "test:bad";
  out->name = "Bad vtable";
  out->version = "0";
}
static int bind_actor(void* self, const char* actor, const wc_link_value* values, size_t count,
                      wc_buffer* error) {
  (void)self, (void)actor, (void)values, (void)count, (void)error;
  return WC_OK;
}
static int remove_actor(void* self, const char* actor, wc_buffer* error) {
  (void)self, (void)actor, (void)error;
  return WC_OK;
}
static int handle_call(void* self, const char* actor, const char* operation, const uint8_t* payload,
                       size_t payload_len, wc_buffer* response) {
  (void)self, (void)actor, (void)operation, (void)payload, (void)payload_len, (void)response;
  return WC_OK;
}
static void stop(void* self) { (void)self; }
static void destroy(void* self) {
  free(self);
  --wc_test_live_instances;
}

static const wc_provider_vtable kVtable = {
    WASMCLOUD_PROVIDER_ABI_VERSION,
    sizeof(wc_provider_vtable),
    describe,
    bind_actor,
    remove_actor,
    handle_call,
    NULL, /* health */
    stop,
    destroy,
};

WC_PROVIDER_EXPORT uint32_t wasmcloud_provider_abi_version(void) {
  return WASMCLOUD_PROVIDER_ABI_VERSION;
}

WC_PROVIDER_EXPORT int wasmcloud_provider_create(const wc_host_api* host, wc_provider* out,
                                                 wc_buffer* error) {
  (void)host;
  (void)error;
  out->instance = malloc(1);
  out->vtable = &kVtable;
  ++wc_test_live_instances;
  return WC_OK;
}
