// LD_PRELOAD library: logs njs's own pool allocations in nginx's njs module
// (ngx_stream_js_module.so calls njs_mp_* through its PLT, so they can be
// wrapped) to $IDLE_TRACE_DIR/mp.PID: "C pool" for each new pool (a VM per
// session), then "op pool alignment size ptr frames..." (a alloc, z zalloc,
// g align, y zalign, f free). pool-pages.py counts a session's 512-byte pool
// pages from it. The worker writes only once it runs as nobody: give it a
// folder it may write in (chmod 777). For example:
//   cc -O1 -shared -fPIC -o DIR/njs-pool-trace.so bench/idle-memory/njs-pool-trace.c -ldl
//   IDLE_TRACE_DIR=DIR LD_PRELOAD=DIR/njs-pool-trace.so node bench/cost.mjs --configs nginx-floor-read
//     --callgrind 0 --rounds 1 --idle 200 --core '' --out DIR/bench
//   python3 bench/idle-memory/pool-pages.py DIR/mp.*
// (the tracing slows the worker: the bench's own figures of that run mean
// nothing).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fd = -1;
static pid_t fd_pid;
static __thread int busy;

// The folder, read once in the master: nginx clears its workers' environment.
static char dir[400];
static int on = -1;

static void note(const char *op, void *mp, size_t align, size_t size, void *p) {
  if (on == 0 || busy) return;
  busy = 1;
  if (on < 0) {
    const char *d = getenv("IDLE_TRACE_DIR");
    on = d != NULL && strlen(d) < sizeof dir;
    if (!on) { busy = 0; return; }
    strcpy(dir, d);
  }
  pid_t me = getpid();
  if (fd < 0 || fd_pid != me) {
    char name[512];
    snprintf(name, sizeof name, "%s/mp.%d", dir, (int)me);
    fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    fd_pid = me;
  }
  void *frames[8];
  int n = backtrace(frames, 8);
  char line[400];
  int len = snprintf(line, sizeof line, "%s %lx %zu %zu %lx", op, (unsigned long)mp, align, size, (unsigned long)p);
  for (int i = 2; i < n; i++) len += snprintf(line + len, sizeof line - len, " %lx", (unsigned long)frames[i]);
  line[len++] = '\n';
  if (fd >= 0 && write(fd, line, len) < 0) { /* nothing to do */ }
  busy = 0;
}

typedef void *(*alloc_fn)(void *, size_t);
typedef void *(*align_fn)(void *, size_t, size_t);
typedef void (*free_fn)(void *, void *);
typedef void *(*create_fn)(size_t, size_t, size_t, size_t);
#define REAL(name, type) static type real; if (!real) real = (type)dlsym(RTLD_NEXT, name)

void *njs_mp_alloc(void *mp, size_t s) { REAL("njs_mp_alloc", alloc_fn); void *p = real(mp, s); note("a", mp, 0, s, p); return p; }
void *njs_mp_zalloc(void *mp, size_t s) { REAL("njs_mp_zalloc", alloc_fn); void *p = real(mp, s); note("z", mp, 0, s, p); return p; }
void *njs_mp_align(void *mp, size_t a, size_t s) { REAL("njs_mp_align", align_fn); void *p = real(mp, a, s); note("g", mp, a, s, p); return p; }
void *njs_mp_zalign(void *mp, size_t a, size_t s) { REAL("njs_mp_zalign", align_fn); void *p = real(mp, a, s); note("y", mp, a, s, p); return p; }
void njs_mp_free(void *mp, void *p) { REAL("njs_mp_free", free_fn); note("f", mp, 0, 0, p); real(mp, p); }
void *njs_mp_fast_create(size_t cluster, size_t align, size_t page, size_t min) {
  REAL("njs_mp_fast_create", create_fn);
  void *p = real(cluster, align, page, min);
  note("C", p, cluster, page, p);
  return p;
}
