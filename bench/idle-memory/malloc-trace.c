// LD_PRELOAD library for bench/idle-memory/run.sh: logs every malloc, free
// and realloc of a process named nginx, with its call stack, to
// $IDLE_TRACE_DIR/log.PID (one line each: op seq ptr size old-ptr frames...).
// The worker opens its file at its first malloc, before it drops
// privileges, so the folder needs no special rights. Other processes (node, the load
// generator) inherit the variable and log nothing.
#define _GNU_SOURCE
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static int on = -1;
static char dir[400];  // read once in the master: nginx clears its workers' environment
static __thread int busy;  // backtrace() may allocate: no recursion
static int fd = -1;
static pid_t fd_pid;
static unsigned long seq;
#define DEPTH 10

static void note(char op, void *p, size_t size, void *old) {
  if (on == 0 || busy) return;
  busy = 1;
  if (on < 0) {
    const char *d = getenv("IDLE_TRACE_DIR");
    on = strcmp(program_invocation_short_name, "nginx") == 0 && d != NULL && strlen(d) < sizeof dir;
    if (!on) { busy = 0; return; }
    strcpy(dir, d);
  }
  pid_t me = getpid();
  if (fd < 0 || fd_pid != me) {  // a forked worker writes a file of its own
    char name[512];
    snprintf(name, sizeof name, "%s/log.%d", dir, (int)me);
    fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    fd_pid = me;
  }
  void *frames[DEPTH + 2];
  int n = backtrace(frames, DEPTH + 2);
  char line[512];
  int len = snprintf(line, sizeof line, "%c %lu %lx %zu %lx", op, seq++, (unsigned long)p, size, (unsigned long)old);
  for (int i = 2; i < n && len < (int)sizeof line - 20; i++) len += snprintf(line + len, sizeof line - len, " %lx", (unsigned long)frames[i]);
  line[len++] = '\n';
  if (write(fd, line, len) < 0) on = 0;
  busy = 0;
}

void *malloc(size_t s) { void *p = __libc_malloc(s); note('m', p, s, 0); return p; }
void free(void *p) { if (p) note('f', p, 0, 0); __libc_free(p); }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); note('m', p, a * b, 0); return p; }
void *realloc(void *o, size_t s) { void *p = __libc_realloc(o, s); note('r', p, s, o); return p; }
void *memalign(size_t a, size_t s) { void *p = __libc_memalign(a, s); note('m', p, s, 0); return p; }
void *aligned_alloc(size_t a, size_t s) { void *p = __libc_memalign(a, s); note('m', p, s, 0); return p; }
int posix_memalign(void **r, size_t a, size_t s) {
  void *p = __libc_memalign(a, s);
  if (!p) return ENOMEM;
  *r = p;
  note('m', p, s, 0);
  return 0;
}
