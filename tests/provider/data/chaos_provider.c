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
 *   unflushed leaves a line in stdout's buffer: it reaches the pipe at a clean exit only
 *   pid       answers "<its PID namespace> <getpid()>" ("pid:[4026532451] 2"): its /proc
 *             may be its namespace's only, so the tests find its pid in theirs
 *             (testing::HostPid)
 *   nspid     answers getpid(): its pid in its own PID namespace
 *   procs     answers the processes its /proc lists, in order ("1 2")
 *   uncover   unmounts /proc (umount2, MNT_DETACH) and answers "umount=<errno name>
 *             procs=<what /proc lists then>"
 *   bound     answers the actors it is bound to, comma-separated
 *   confined  answers what confines its process: no_new_privs, seccomp mode, OOM score,
 *             dumpable, how some system calls it should not make fail, its open-file limit
 *   rss       answers its resident memory in MiB
 *   hog       allocates and touches 512 MiB in 16 MiB steps, holds it for 3 s, frees it
 *   files     opens /dev/null until it cannot (at most 65536), answers how many
 *   killgroup sends SIGTERM to its own process group (kill(0, SIGTERM)), answers "survived"
 *   helper    starts /bin/sleep 600 (a process of its own, left running), answers
 *             "<PID namespace> <pid>" as `pid` does
 *   fatchild  forks a process that touches 512 MiB and holds it for 20 s, answers
 *             "<PID namespace> <pid>"
 *   getenv:NAME  answers the value of environment variable NAME, or "(unset)"
 *   whoami    answers "uid=U gid=G groups=N signal_host=E read=R": its ids, how many
 *             supplementary groups, how kill(P, 0) ends for the pid P after "signal:" in
 *             the payload (its parent's when none is given) and how opening the path
 *             after "read:" in the payload ends (ok or the errno's name)
 * Anything else answers a kvcounter AddResponse {value: n}, n counting calls.
 * Built several times: CHAOS_BLOCK_CREATE, CHAOS_BLOCK_BIND, CHAOS_BLOCK_STOP block there;
 * CHAOS_ABORT_CREATE aborts in create. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
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

static const char* errno_name(int e) {
  switch (e) {
    case 0:
      return "ok";
    case EPERM:
      return "EPERM";
    case ENOSYS:
      return "ENOSYS";
    case ESRCH:
      return "ESRCH";
    case EFAULT:
      return "EFAULT";
    case EINVAL:
      return "EINVAL";
    case EACCES:
      return "EACCES";
    case ENOENT:
      return "ENOENT";
    default:
      return "other";
  }
}

/* The number after "<field>:" in /proc/self/status, or -1. */
static long status_field(const char* field) {
  FILE* f = fopen("/proc/self/status", "r");
  if (f == NULL) return -1;
  char line[256];
  long value = -1;
  size_t n = strlen(field);
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, field, n) == 0 && line[n] == ':') value = strtol(line + n + 1, NULL, 10);
  }
  fclose(f);
  return value;
}

static void* nothing(void* arg) { return arg; }

static void describe_confinement(char* out, size_t size) {
  long oom = -1;
  FILE* f = fopen("/proc/self/oom_score_adj", "r");
  if (f != NULL) {
    if (fscanf(f, "%ld", &oom) != 1) oom = -1;
    fclose(f);
  }
  errno = 0;
  ptrace(PTRACE_PEEKDATA, getppid(), NULL, NULL);
  int e_ptrace = errno;
  char byte;
  struct iovec local = {&byte, 1}, remote = {NULL, 1};
  int e_vmread = process_vm_readv(getppid(), &local, 1, &remote, 1, 0) < 0 ? errno : 0;
  int e_unshare = unshare(0) < 0 ? errno : 0;
  /* CLONE_NEWUSER with CLONE_FS is refused by the kernel (EINVAL) before anything is made;
   * the filter answers EPERM first. */
  int e_clonens =
      syscall(SYS_clone, CLONE_NEWUSER | CLONE_FS | SIGCHLD, 0, 0, 0, 0) < 0 ? errno : 0;
  int e_clone3 = syscall(SYS_clone3, NULL, 0) < 0 ? errno : 0;
  pthread_t t;
  int e_thread = pthread_create(&t, NULL, nothing, NULL);
  if (e_thread == 0) pthread_join(t, NULL);
  pid_t spawned = -1;
  char* argv[] = {"true", NULL};
  char* envp[] = {NULL};
  int e_spawn = posix_spawn(&spawned, "/bin/true", NULL, NULL, argv, envp);
  int spawn_status = -1;
  if (e_spawn == 0) waitpid(spawned, &spawn_status, 0);
  if (e_spawn == 0 && spawn_status != 0) e_spawn = -1;
  struct rlimit files;
  getrlimit(RLIMIT_NOFILE, &files);
  snprintf(out, size,
           "nnp=%ld seccomp=%ld oom=%ld dumpable=%d ptrace=%s vmread=%s unshare=%s clonens=%s "
           "clone3=%s thread=%s spawn=%s nofile=%llu",
           status_field("NoNewPrivs"), status_field("Seccomp"), oom, prctl(PR_GET_DUMPABLE),
           errno_name(e_ptrace), errno_name(e_vmread), errno_name(e_unshare), errno_name(e_clonens),
           errno_name(e_clone3), errno_name(e_thread), errno_name(e_spawn),
           (unsigned long long)files.rlim_cur);
}

static void hog(char* out, size_t size) {
  enum { kStep = 16 << 20, kSteps = 32 };
  void* blocks[kSteps];
  int got = 0;
  while (got < kSteps) {
    void* p = malloc(kStep);
    if (p == NULL) break;
    memset(p, 1, kStep);
    blocks[got++] = p;
  }
  sleep(3); /* long enough for a host that watches its memory to see it */
  snprintf(out, size, "allocated %d MiB", got * 16);
  for (int i = 0; i < got; ++i) free(blocks[i]);
}

/* "<PID namespace> <pid>" for a process of this process's PID namespace: what names it
 * for the tests, whichever namespace their /proc and ours are of. */
static void ns_pid(pid_t pid, char* out, size_t size) {
  char ns[64];
  ssize_t n = readlink("/proc/self/ns/pid", ns, sizeof ns - 1);
  if (n <= 0) {
    snprintf(out, size, "%d", (int)pid);
    return;
  }
  ns[n] = '\0';
  snprintf(out, size, "%s %d", ns, (int)pid);
}

/* The numeric entries of /proc, in order, separated by spaces (malloc'd; NULL when out of
 * memory). */
static char* list_procs(void) {
  enum { kMax = 65536 };
  int* pids = (int*)malloc(sizeof(int) * kMax);
  const size_t size = (size_t)kMax * 12;
  char* out = (char*)malloc(size);
  if (pids == NULL || out == NULL) {
    free(pids);
    free(out);
    return NULL;
  }
  int count = 0;
  DIR* dir = opendir("/proc");
  if (dir == NULL) {
    snprintf(out, size, "cannot open /proc: %s", errno_name(errno));
    free(pids);
    return out;
  }
  struct dirent* e;
  while ((e = readdir(dir)) != NULL && count < kMax) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    int pid = atoi(e->d_name);
    int i = count++;
    while (i > 0 && pids[i - 1] > pid) {
      pids[i] = pids[i - 1];
      --i;
    }
    pids[i] = pid;
  }
  closedir(dir);
  size_t used = 0;
  out[0] = '\0';
  for (int i = 0; i < count; ++i) {
    used += (size_t)snprintf(out + used, size - used, i == 0 ? "%d" : " %d", pids[i]);
  }
  free(pids);
  return out;
}

static void open_files(char* out, size_t size) {
  enum { kMax = 65536 };
  int* fds = (int*)malloc(sizeof(int) * kMax);
  int n = 0;
  while (fds != NULL && n < kMax) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) break;
    fds[n++] = fd;
  }
  snprintf(out, size, "opened %d files", n);
  for (int i = 0; i < n; ++i) close(fds[i]);
  free(fds);
}

/* The rest of the payload after the first `prefix` ("getenv:NAME"), as a string of at most
 * size - 1 bytes; empty without it. */
static void argument_after(const uint8_t* payload, size_t len, const char* prefix, char* out,
                           size_t size) {
  const size_t k = strlen(prefix);
  out[0] = 0;
  for (size_t i = 0; i + k <= len; ++i) {
    if (memcmp(payload + i, prefix, k) == 0) {
      size_t n = len - i - k < size - 1 ? len - i - k : size - 1;
      memcpy(out, payload + i + k, n);
      out[n] = 0;
      return;
    }
  }
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
  if (has(payload, len, "unflushed")) { /* left in stdio's buffer: written at a clean exit */
    printf("chaos wrote this at its exit\n");
    fill_text(response, "buffered");
    return WC_OK;
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
  if (has(payload, len, "confined") || has(payload, len, "hog") || has(payload, len, "files") ||
      has(payload, len, "rss")) {
    char text[512];
    if (has(payload, len, "rss")) snprintf(text, sizeof text, "%ld", status_field("VmRSS") >> 10);
    if (has(payload, len, "confined")) describe_confinement(text, sizeof text);
    if (has(payload, len, "hog")) hog(text, sizeof text);
    if (has(payload, len, "files")) open_files(text, sizeof text);
    fill_text(response, text);
    return WC_OK;
  }
  if (has(payload, len, "getenv:")) {
    char name[128];
    argument_after(payload, len, "getenv:", name, sizeof name);
    const char* value = getenv(name);
    fill_text(response, value != NULL ? value : "(unset)");
    return WC_OK;
  }
  if (has(payload, len, "whoami")) {
    char path[256];
    argument_after(payload, len, "read:", path, sizeof path);
    char target[32] = "";
    argument_after(payload, len, "signal:", target, sizeof target);
    pid_t victim = target[0] != '\0' ? (pid_t)atoi(target) : getppid();
    int e_signal = kill(victim, 0) < 0 ? errno : 0;
    int e_read = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      e_read = errno;
    } else {
      close(fd);
    }
    char text[256];
    snprintf(text, sizeof text, "uid=%d gid=%d groups=%d signal_host=%s read=%s", (int)getuid(),
             (int)getgid(), getgroups(0, NULL), errno_name(e_signal), errno_name(e_read));
    fill_text(response, text);
    return WC_OK;
  }
  if (has(payload, len, "killgroup")) {
    kill(0, SIGTERM);
    fill_text(response, "survived");
    return WC_OK;
  }
  if (has(payload, len, "fatchild")) {
    /* A helper process that holds 512 MiB for 20 s: forked, it makes only system calls. */
    char text[96] = "fork failed";
    pid_t child = fork();
    if (child == 0) {
      const size_t size = (size_t)512 << 20;
      char* p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p != MAP_FAILED) {
        for (size_t i = 0; i < size; i += 4096) p[i] = 1;
      }
      struct timespec hold = {20, 0};
      nanosleep(&hold, NULL);
      _exit(0);
    }
    if (child > 0) {
      ns_pid(child, text, sizeof text);
    }
    fill_text(response, text);
    return WC_OK;
  }
  if (has(payload, len, "helper")) {
    pid_t helper = -1;
    char* argv[] = {"sleep", "600", NULL};
    char* envp[] = {NULL};
    char text[96] = "spawn failed";
    if (posix_spawn(&helper, "/bin/sleep", NULL, NULL, argv, envp) == 0) {
      ns_pid(helper, text, sizeof text);
    }
    fill_text(response, text);
    return WC_OK;
  }
  if (has(payload, len, "nspid")) {
    char text[32];
    snprintf(text, sizeof text, "%d", (int)getpid());
    fill_text(response, text);
    return WC_OK;
  }
  if (has(payload, len, "uncover")) {
    int e_umount = umount2("/proc", MNT_DETACH) < 0 ? errno : 0;
    char* procs = list_procs();
    char* text = (char*)malloc(strlen(procs != NULL ? procs : "") + 64);
    if (text != NULL) {
      sprintf(text, "umount=%s procs=%s", errno_name(e_umount), procs != NULL ? procs : "");
    }
    fill_text(response, text != NULL ? text : "out of memory");
    free(text);
    free(procs);
    return WC_OK;
  }
  if (has(payload, len, "procs")) {
    char* text = list_procs();
    fill_text(response, text != NULL ? text : "out of memory");
    free(text);
    return WC_OK;
  }
  if (has(payload, len, "pid")) {
    char text[96];
    ns_pid(getpid(), text, sizeof text);
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
