/*
 * jidroute bench load generator and backends: one thread, one epoll loop,
 * loopback only (the addresses it accepts are 127.0.0.0/8).
 *
 *   loadgen serve --ports P1,P2,P3 --expect N --answer FILE --max-time S
 *       Backends on 127.0.0.1: read from every accepted connection; once N
 *       bytes have come, or the end of a start tag (a quote, then '>'), write
 *       the answer (an XMPP server's stream header), then read on until the
 *       proxy closes. Stops by itself after S seconds.
 *
 *   loadgen run --connect 127.0.0.1:P --headers FILE --mode sat|rate|idle ...
 *       Clients: connect from a source address in 127.1.0.0/16 (rotating,
 *       so that no port pair is reused within a run), send one header line
 *       of FILE, read the first bytes of the answer, close with a reset
 *       (SO_LINGER 0: no TIME_WAIT on either side of the client connection).
 *       sat:  keep --concurrency connections in flight for --duration s
 *             after --warmup s; conn/s and CPU over the measured window
 *             (with --count N: stop after N connections).
 *       rate: start --rate connections a second on a fixed schedule (open
 *             loop; latency counted from the scheduled start, so a late
 *             generator shows up as latency, not as a lower load).
 *       idle: open --idle connections, get their answers, keep them open
 *             for --hold s, print "ready" when all are answered, then close.
 *       --watch PID (repeatable): CPU time of that process (all its
 *       threads, from /proc/PID/task/T/schedstat and /proc/PID/stat) over
 *       the measured window.
 *
 * Prints one JSON object on stdout. Every run is bounded in time.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define MAX_FDS 65536
#define MAX_WATCH 4

enum { K_NONE, K_LISTEN, K_BACKEND, K_CLIENT };
enum { C_CONNECTING, C_READING };

struct conn {
  uint8_t kind, state, answered, last;
  uint32_t got;      /* bytes received (backend) */
  uint32_t header;   /* which header line (client) */
  uint32_t sent;     /* bytes of the header written (client) */
  uint64_t start;    /* ns: scheduled start (client) */
};

static struct conn conns[MAX_FDS];
static int ep;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
  exit(2);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) die(path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) die(path);
  buf[n] = 0;
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static int loopback(const char *ip) {
  struct in_addr a;
  return inet_pton(AF_INET, ip, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static void ep_add(int fd, uint32_t events) {
  struct epoll_event ev = { .events = events, .data.fd = fd };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
}

static void ep_mod(int fd, uint32_t events) {
  struct epoll_event ev = { .events = events, .data.fd = fd };
  if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl mod");
}

static void drop(int fd) {
  conns[fd].kind = K_NONE;
  close(fd); /* close() also takes it out of the epoll set */
}

/* ---- CPU of watched processes ---- */

struct cpu { uint64_t sched_ns; uint64_t ticks; };

static struct cpu cpu_of(int pid) {
  struct cpu c = { 0, 0 };
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/task", pid);
  DIR *d = opendir(path);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char p[300];
      snprintf(p, sizeof p, "/proc/%d/task/%s/schedstat", pid, e->d_name);
      FILE *f = fopen(p, "r");
      if (!f) continue;
      unsigned long long ns;
      if (fscanf(f, "%llu", &ns) == 1) c.sched_ns += ns;
      fclose(f);
    }
    closedir(d);
  }
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (f) {
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    char *p = strrchr(buf, ')'); /* the command may hold spaces */
    unsigned long long ut = 0, st = 0;
    if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
      c.ticks = ut + st;
  }
  return c;
}

static uint64_t self_cpu_ns(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
         (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

/* ---- serve: the backends ---- */

static int serve(int argc, char **argv) {
  const char *ports = NULL, *answer_file = NULL;
  long expect = 1, max_time = 600;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--ports")) ports = argv[i + 1];
    else if (!strcmp(argv[i], "--expect")) expect = atol(argv[i + 1]);
    else if (!strcmp(argv[i], "--answer")) answer_file = argv[i + 1];
    else if (!strcmp(argv[i], "--max-time")) max_time = atol(argv[i + 1]);
    else { fprintf(stderr, "loadgen serve: unknown option %s\n", argv[i]); return 2; }
  }
  if (!ports || !answer_file) { fprintf(stderr, "loadgen serve: --ports and --answer are required\n"); return 2; }
  if (max_time < 1 || max_time > 3600) max_time = 600;
  alarm((unsigned)max_time); /* never outlives its run */
  size_t answer_len;
  char *answer = read_file(answer_file, &answer_len);

  ep = epoll_create1(0);
  char *list = strdup(ports);
  int nlisten = 0;
  for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(tok)) };
    sa.sin_addr.s_addr = htonl(0x7f000001);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind backend");
    if (listen(fd, 4096) < 0) die("listen");
    conns[fd].kind = K_LISTEN;
    ep_add(fd, EPOLLIN);
    nlisten++;
  }
  printf("{\"listening\":%d}\n", nlisten);
  fflush(stdout);

  static char buf[65536];
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, 1000);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      struct conn *c = &conns[fd];
      if (c->kind == K_LISTEN) {
        for (;;) {
          int s = accept4(fd, NULL, NULL, SOCK_NONBLOCK);
          if (s < 0) break;
          if (s >= MAX_FDS) { close(s); continue; }
          conns[s] = (struct conn){ .kind = K_BACKEND };
          ep_add(s, EPOLLIN);
        }
        continue;
      }
      for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r > 0) {
          c->got += (uint32_t)r;
          /* The end of a stream start tag: a quote then '>' (a health check
           * sends a shorter header than the load). */
          int tag_end = 0;
          for (ssize_t k = 0; k < r && !c->answered; k++) {
            if (buf[k] == '>' && (c->last == '\'' || c->last == '"')) tag_end = 1;
            c->last = (uint8_t)buf[k];
          }
          if (!c->answered && (c->got >= expect || tag_end)) {
            c->answered = 1;
            if (write(fd, answer, answer_len) < 0) { drop(fd); break; }
          }
          if ((size_t)r < sizeof buf) break;
        } else if (r == 0 || errno != EAGAIN) {
          drop(fd);
          break;
        } else {
          break;
        }
      }
    }
  }
}

/* ---- run: the clients ---- */

struct headers { char **line; uint32_t *len; uint32_t n; };

static struct headers load_headers(const char *path) {
  size_t len;
  char *text = read_file(path, &len);
  struct headers h = { 0 };
  for (size_t i = 0; i < len; i++) if (text[i] == '\n') h.n++;
  if (len && text[len - 1] != '\n') h.n++;
  h.line = calloc(h.n, sizeof *h.line);
  h.len = calloc(h.n, sizeof *h.len);
  uint32_t k = 0;
  char *p = text;
  while (k < h.n && p < text + len) {
    char *e = memchr(p, '\n', (size_t)(text + len - p));
    if (!e) e = text + len;
    h.line[k] = p;
    h.len[k] = (uint32_t)(e - p);
    k++;
    p = e + 1;
  }
  h.n = k;
  return h;
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  if (argc >= 2 && !strcmp(argv[1], "serve")) return serve(argc, argv);
  if (argc < 2 || strcmp(argv[1], "run")) {
    fprintf(stderr, "usage: loadgen serve|run [options] (see bench/loadgen.c)\n");
    return 2;
  }
  const char *target = NULL, *headers_file = NULL, *mode = "sat";
  double duration = 3, warmup = 0.5, rate = 1000, hold = 2, timeout = 5;
  long concurrency = 64, idle = 1000, count = 0, src_base = 0x7f010000; /* 127.1.0.0 */
  int watch[MAX_WATCH], nwatch = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    const char *k = argv[i], *v = argv[i + 1];
    if (!strcmp(k, "--connect")) target = v;
    else if (!strcmp(k, "--headers")) headers_file = v;
    else if (!strcmp(k, "--mode")) mode = v;
    else if (!strcmp(k, "--duration")) duration = atof(v);
    else if (!strcmp(k, "--warmup")) warmup = atof(v);
    else if (!strcmp(k, "--rate")) rate = atof(v);
    else if (!strcmp(k, "--concurrency")) concurrency = atol(v);
    else if (!strcmp(k, "--idle")) idle = atol(v);
    else if (!strcmp(k, "--count")) count = atol(v);
    else if (!strcmp(k, "--hold")) hold = atof(v);
    else if (!strcmp(k, "--timeout")) timeout = atof(v);
    else if (!strcmp(k, "--src-net")) {
      struct in_addr a;
      if (inet_pton(AF_INET, v, &a) != 1 || !loopback(v)) { fprintf(stderr, "loadgen: --src-net must be 127.x.0.0\n"); return 2; }
      src_base = (long)(ntohl(a.s_addr) & 0xffff0000u);
    }
    else if (!strcmp(k, "--watch") && nwatch < MAX_WATCH) watch[nwatch++] = atoi(v);
    else { fprintf(stderr, "loadgen run: unknown option %s\n", k); return 2; }
  }
  if (!target || !headers_file) { fprintf(stderr, "loadgen run: --connect and --headers are required\n"); return 2; }
  /* Bounds: nothing runs for long or opens more than the descriptors allow. */
  if (duration > 120) duration = 120;
  if (warmup > 30) warmup = 30;
  if (hold > 120) hold = 120;
  if (concurrency < 1) concurrency = 1;
  if (concurrency > 20000) concurrency = 20000;
  if (idle > 20000) idle = 20000;
  if (rate < 1) rate = 1;
  if (rate > 200000) rate = 200000;
  alarm((unsigned)(duration + warmup + hold + 60));

  char host[64];
  const char *colon = strrchr(target, ':');
  if (!colon || (size_t)(colon - target) >= sizeof host) { fprintf(stderr, "loadgen: --connect HOST:PORT\n"); return 2; }
  memcpy(host, target, (size_t)(colon - target));
  host[colon - target] = 0;
  if (!loopback(host)) { fprintf(stderr, "loadgen: only loopback targets\n"); return 2; }
  struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)) };
  inet_pton(AF_INET, host, &dst.sin_addr);

  struct headers hs = load_headers(headers_file);
  if (hs.n == 0) { fprintf(stderr, "loadgen: no headers\n"); return 2; }

  int m_sat = !strcmp(mode, "sat"), m_rate = !strcmp(mode, "rate"), m_idle = !strcmp(mode, "idle");
  if (!m_sat && !m_rate && !m_idle) { fprintf(stderr, "loadgen: --mode sat|rate|idle\n"); return 2; }

  ep = epoll_create1(0);
  size_t lat_cap = 4000000;
  uint32_t *lat = malloc(lat_cap * sizeof *lat);
  size_t nlat = 0;
  uint64_t started = 0, done = 0, done_window = 0, errors = 0, timeouts = 0, connect_errors = 0, late = 0;
  uint64_t active = 0, answered_idle = 0;
  uint32_t src_next = 1, header_next = 0;
  static char buf[65536];

  uint64_t t_begin = now_ns();
  uint64_t t_window = t_begin + (uint64_t)(warmup * 1e9);
  uint64_t t_end = t_window + (uint64_t)(duration * 1e9);
  uint64_t timeout_ns = (uint64_t)(timeout * 1e9);
  double interval_ns = 1e9 / rate;
  uint64_t next_start = t_begin;
  uint64_t window_started = 0, window_cpu0 = 0, ready_at = 0, hold_end = 0;
  struct cpu w0[MAX_WATCH], w1[MAX_WATCH];
  uint64_t wall0 = 0, wall1 = 0, self0 = 0, self1 = 0;
  int in_window = 0, window_closed = 0;
  uint64_t last_sweep = t_begin;

#define START_WINDOW() do { \
    in_window = 1; wall0 = now_ns(); self0 = self_cpu_ns(); \
    for (int w = 0; w < nwatch; w++) w0[w] = cpu_of(watch[w]); \
    window_started = done; (void)window_cpu0; } while (0)
#define END_WINDOW() do { \
    in_window = 0; window_closed = 1; wall1 = now_ns(); self1 = self_cpu_ns(); \
    for (int w = 0; w < nwatch; w++) w1[w] = cpu_of(watch[w]); \
    done_window = done - window_started; } while (0)

  if (m_idle) START_WINDOW();

  struct epoll_event evs[512];
  for (;;) {
    uint64_t t = now_ns();
    if (m_sat && count && (long)started >= count && active == 0 && in_window) END_WINDOW();
    if (m_sat || m_rate) {
      if (!in_window && !window_closed && t >= t_window) START_WINDOW();
      if (in_window && t >= t_end) END_WINDOW();
      if (window_closed && active == 0) break;
      if (window_closed && t >= t_end + timeout_ns) break;
    } else {
      if (ready_at && t >= hold_end) break;
      if (!ready_at && t >= t_begin + (uint64_t)((duration + warmup) * 1e9) + timeout_ns) break; /* never got ready */
    }

    /* Start connections. */
    for (;;) {
      int want;
      if (m_sat) want = !window_closed && (long)active < concurrency && (count == 0 || (long)started < count);
      else if (m_rate) want = !window_closed && t >= next_start && (long)active < concurrency;
      else want = (long)started < idle && t >= next_start && (long)active < concurrency;
      if (!want) break;
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      if (fd < 0) { connect_errors++; break; }
      if (fd >= MAX_FDS) { close(fd); connect_errors++; break; }
      int one = 1;
      struct linger lg = { 1, 0 };
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
      setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      struct sockaddr_in src = { .sin_family = AF_INET };
      src.sin_addr.s_addr = htonl((uint32_t)src_base | src_next);
      src_next = src_next >= 0xfffe ? 1 : src_next + 1;
      if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) { close(fd); connect_errors++; break; }
      uint64_t sched = m_sat ? t : next_start;
      if (!m_sat) {
        if (t - next_start > 1000000) late++; /* more than 1 ms behind schedule */
        next_start += (uint64_t)interval_ns;
      }
      int r = connect(fd, (struct sockaddr *)&dst, sizeof dst);
      if (r < 0 && errno != EINPROGRESS) { close(fd); connect_errors++; continue; }
      conns[fd] = (struct conn){ .kind = K_CLIENT, .state = C_CONNECTING, .header = header_next, .start = sched };
      header_next = header_next + 1 >= hs.n ? 0 : header_next + 1;
      ep_add(fd, EPOLLOUT);
      started++;
      active++;
      if (m_sat) t = now_ns();
    }

    int wait_ms = 100;
    if (!m_sat) {
      uint64_t t2 = now_ns();
      int64_t until = (int64_t)(next_start - t2);
      if ((m_idle && (long)started >= idle) || (m_rate && window_closed)) until = 100000000;
      wait_ms = until <= 0 ? 0 : (int)(until / 1000000);
      if (wait_ms > 100) wait_ms = 100;
    }
    int n = epoll_wait(ep, evs, 512, wait_ms);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    uint64_t t_ev = now_ns();
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      struct conn *c = &conns[fd];
      if (c->kind != K_CLIENT) continue;
      if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err) { drop(fd); active--; connect_errors++; continue; }
        const char *h = hs.line[c->header];
        uint32_t hl = hs.len[c->header];
        ssize_t w = write(fd, h + c->sent, hl - c->sent);
        if (w < 0) { if (errno == EAGAIN) continue; drop(fd); active--; errors++; continue; }
        c->sent += (uint32_t)w;
        if (c->sent < hl) continue;
        c->state = C_READING;
        ep_mod(fd, EPOLLIN);
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r > 0) {
        if (m_idle) {
          if (!c->answered) {
            c->answered = 1;
            answered_idle++;
            if (nlat < lat_cap) lat[nlat++] = (uint32_t)((t_ev - c->start) / 1000);
            if (answered_idle == (uint64_t)idle) {
              ready_at = t_ev;
              hold_end = t_ev + (uint64_t)(hold * 1e9);
              END_WINDOW();
              printf("ready\n");
              fflush(stdout);
            }
          }
          continue; /* stays open */
        }
        if (in_window && c->start >= wall0 && nlat < lat_cap) lat[nlat++] = (uint32_t)((t_ev - c->start) / 1000);
        done++;
        drop(fd); /* SO_LINGER 0: a reset */
        active--;
      } else if (r == 0 || errno != EAGAIN) {
        drop(fd);
        active--;
        errors++;
      }
    }
    /* Time out connections that never got an answer. */
    if (t_ev - last_sweep > 100000000) {
      last_sweep = t_ev;
      for (int fd = 0; fd < MAX_FDS; fd++) {
        if (conns[fd].kind == K_CLIENT && !conns[fd].answered && t_ev - conns[fd].start > timeout_ns) {
          drop(fd);
          active--;
          timeouts++;
        }
      }
    }
  }
  for (int fd = 0; fd < MAX_FDS; fd++) if (conns[fd].kind == K_CLIENT) drop(fd);
  if (!window_closed) END_WINDOW();

  qsort(lat, nlat, sizeof *lat, cmp_u32);
#define PCT(p) (nlat ? lat[(size_t)((double)(nlat - 1) * (p))] : 0)
  double wall = (double)(wall1 - wall0) / 1e9;
  printf("{\"mode\":\"%s\",\"window_s\":%.4f,\"started\":%llu,\"done\":%llu,\"done_window\":%llu,"
         "\"errors\":%llu,\"timeouts\":%llu,\"connect_errors\":%llu,\"late\":%llu,\"idle_answered\":%llu,"
         "\"conn_per_s\":%.1f,\"self_cpu_s\":%.4f,"
         "\"latency_us\":{\"n\":%zu,\"p50\":%u,\"p90\":%u,\"p99\":%u,\"p999\":%u,\"max\":%u},\"watch\":[",
         mode, wall, (unsigned long long)started, (unsigned long long)done, (unsigned long long)done_window,
         (unsigned long long)errors, (unsigned long long)timeouts, (unsigned long long)connect_errors,
         (unsigned long long)late, (unsigned long long)answered_idle,
         wall > 0 ? (double)done_window / wall : 0.0, (double)(self1 - self0) / 1e9,
         nlat, PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999), nlat ? lat[nlat - 1] : 0);
  for (int w = 0; w < nwatch; w++) {
    printf("%s{\"pid\":%d,\"cpu_s\":%.4f,\"ticks\":%llu}", w ? "," : "", watch[w],
           (double)(w1[w].sched_ns - w0[w].sched_ns) / 1e9, (unsigned long long)(w1[w].ticks - w0[w].ticks));
  }
  printf("]}\n");
  return 0;
}
