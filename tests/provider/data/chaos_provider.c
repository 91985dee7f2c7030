/* A misbehaving provider, written straight against the C ABI, for the fault-boundary
 * tests (tests/provider/process_provider_test.cc, tests/host/provider_isolation_test.cc).
 * Contract "wasmcloud:keyvalue", so that kvcounter can use it: what a call does depends on
 * words found in its payload (kvcounter's Add carries the request path as its key):
 *   segv      dereferences NULL            abort   abort()        exit    exit(3)
 *   stray     answers, then a thread of its own segfaults 50 ms later
 *   badbuf    answers with a buffer that points at unmapped memory
 *   block     never returns
 *   callback  calls the actor back ("Ping") from a thread of its own and answers its reply
 *   print     writes a line to stdout and one to stderr
 *   pid       answers its process id (decimal text)
 *   bound     answers the actors it is bound to, comma-separated
 * Anything else answers a kvcounter AddResponse {value: n}, n counting calls.
 * Built several times: CHAOS_BLOCK_CREATE, CHAOS_BLOCK_BIND, CHAOS_BLOCK_STOP block there;
 * CHAOS_ABORT_CREATE aborts in create. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wasmcloud/provider.h>

typedef struct instance {
  const wc_host_api* host;
  pthread_mutex_t mu;
  char bound[4096];
  int calls;
} instance;

static void release_malloced(wc_buffer* b) {
  free(b->data);
  b->data = NULL;
  b->len = 0;
}

static void fill(wc_buffer* out, const void* data, size_t len) {
  out->data = malloc(len + 1);
  if (len != 0) memcpy(out->data, data, len);
  out->len = len;
  out->release = release_malloced;
  out->opaque = NULL;
}

static void fill_text(wc_buffer* out, const char* text) { fill(out, text, strlen(text)); }

static int has(const uint8_t* payload, size_t len, const char* word) {
  size_t n = strlen(word);
  for (size_t i = 0; i + n <= len; ++i) {
    if (memcmp(payload + i, word, n) == 0) return 1;
  }
  return 0;
}

static void block_forever(void) {
  for (;;) pause();
}

static void describe(void* self, wc_provider_descriptor* out) {
  (void)self;
  out->contract_id = "wasmcloud:keyvalue";
  out->name = "Chaos";
  out->version = "1";
}

static int bind_actor(void* self, const char* actor, const wc_link_value* values, size_t count,
                      wc_buffer* error) {
  instance* inst = (instance*)self;
  (void)values;
  (void)count;
  (void)error;
#ifdef CHAOS_BLOCK_BIND
  block_forever();
#endif
  pthread_mutex_lock(&inst->mu);
  if (strstr(inst->bound, actor) == NULL && strlen(inst->bound) + strlen(actor) + 2 < 4096) {
    if (inst->bound[0] != '\0') strcat(inst->bound, ",");
    strcat(inst->bound, actor);
  }
  pthread_mutex_unlock(&inst->mu);
  return WC_OK;
}

static int remove_actor(void* self, const char* actor, wc_buffer* error) {
  (void)self;
  (void)actor;
  (void)error;
  return WC_OK;
}

static void* stray_crash(void* arg) {
  (void)arg;
  usleep(50 * 1000);
  *(volatile int*)0 = 1;
  return NULL;
}

typedef struct callback_args {
  instance* inst;
  char actor[128];
  wc_buffer reply;
  int rc;
} callback_args;

static void* call_back(void* arg) {
  callback_args* a = (callback_args*)arg;
  a->rc = a->inst->host->call_actor(a->inst->host->host_ctx, a->actor, "Ping",
                                    (const uint8_t*)"ping", 4, &a->reply);
  return NULL;
}

static int handle_call(void* self, const char* actor, const char* operation, const uint8_t* payload,
                       size_t len, wc_buffer* response) {
  instance* inst = (instance*)self;
  (void)operation;
  if (has(payload, len, "segv")) *(volatile int*)0 = 1;
  if (has(payload, len, "abort")) abort();
  if (has(payload, len, "exit")) exit(3);
  if (has(payload, len, "block")) block_forever();
  if (has(payload, len, "badbuf")) {
    response->data = (uint8_t*)(uintptr_t)16;
    response->len = 100;
    return WC_OK;
  }
  if (has(payload, len, "stray")) {
    pthread_t t;
    pthread_create(&t, NULL, stray_crash, NULL);
    pthread_detach(t);
    fill_text(response, "ok");
    return WC_OK;
  }
  if (has(payload, len, "callback")) {
    callback_args a;
    memset(&a, 0, sizeof a);
    a.inst = inst;
    strncpy(a.actor, actor, sizeof a.actor - 1);
    pthread_t t;
    pthread_create(&t, NULL, call_back, &a);
    pthread_join(t, NULL);
    fill(response, a.reply.data, a.reply.len);
    if (a.reply.release != NULL) a.reply.release(&a.reply);
    return a.rc;
  }
  if (has(payload, len, "print")) {
    printf("chaos says hello on stdout\n");
    fflush(stdout);
    fprintf(stderr, "chaos says hello on stderr\n");
    fill_text(response, "printed");
    return WC_OK;
  }
  if (has(payload, len, "metric")) { /* a counter, when the host has them */
    if (!WC_HOST_API_HAS(inst->host, count)) {
      fill_text(response, "no counters");
      return WC_OK;
    }
    inst->host->count(inst->host->host_ctx, "chaos_calls", "kind=metric", 3);
    fill_text(response, "counted");
    return WC_OK;
  }
  if (has(payload, len, "pid")) {
    char text[32];
    snprintf(text, sizeof text, "%d", (int)getpid());
    fill_text(response, text);
    return WC_OK;
  }
  if (has(payload, len, "bound")) {
    pthread_mutex_lock(&inst->mu);
    fill_text(response, inst->bound);
    pthread_mutex_unlock(&inst->mu);
    return WC_OK;
  }
  pthread_mutex_lock(&inst->mu);
  int n = ++inst->calls;
  pthread_mutex_unlock(&inst->mu);
  /* {"value": n} in msgpack, n < 128 as a positive fixint, else an int32. */
  uint8_t reply[16] = {0x81, 0xa5, 'v', 'a', 'l', 'u', 'e'};
  size_t reply_len = 7;
  if (n < 128) {
    reply[reply_len++] = (uint8_t)n;
  } else {
    reply[reply_len++] = 0xd2;
    reply[reply_len++] = (uint8_t)(n >> 24);
    reply[reply_len++] = (uint8_t)(n >> 16);
    reply[reply_len++] = (uint8_t)(n >> 8);
    reply[reply_len++] = (uint8_t)n;
  }
  fill(response, reply, reply_len);
  return WC_OK;
}

static int health(void* self, wc_buffer* message) {
  (void)self;
  (void)message;
  return WC_OK;
}

static void stop(void* self) {
  (void)self;
#ifdef CHAOS_BLOCK_STOP
  block_forever();
#endif
}

static void destroy(void* self) {
  instance* inst = (instance*)self;
  pthread_mutex_destroy(&inst->mu);
  free(inst);
}

static const wc_provider_vtable kVtable = {
    WASMCLOUD_PROVIDER_ABI_VERSION,
    sizeof(wc_provider_vtable),
    describe,
    bind_actor,
    remove_actor,
    handle_call,
    health,
    stop,
    destroy,
};

WC_PROVIDER_EXPORT uint32_t wasmcloud_provider_abi_version(void) {
  return WASMCLOUD_PROVIDER_ABI_VERSION;
}

WC_PROVIDER_EXPORT int wasmcloud_provider_create(const wc_host_api* host, wc_provider* out,
                                                 wc_buffer* error) {
  (void)error;
#ifdef CHAOS_BLOCK_CREATE
  block_forever();
#endif
#ifdef CHAOS_ABORT_CREATE
  abort(); /* what a C++ exception escaping create does: std::terminate */
#endif
  instance* inst = (instance*)calloc(1, sizeof(instance));
  inst->host = host;
  pthread_mutex_init(&inst->mu, NULL);
  out->instance = inst;
  out->vtable = &kVtable;
  return WC_OK;
}
