// TCP sockets of sockeye's network namespace through NETLINK_SOCK_DIAG (what
// `ss` asks): the same rows as /proc/net/tcp and tcp6 as binary records, at a
// third of the kernel's cost of formatting them as text, with the sockets no
// process can hold (TIME_WAIT, SYN_RECV) filtered out in the kernel. A listener's
// record carries its backlog, which /proc/net/tcp does not show. One dump per family, in
// the caller's namespace (a sidecar shares its pod's); no privilege needed.
// Node cannot open a netlink socket, hence C.
//
// The dump asks for no inode: it runs on libuv's pool while the fd walk that
// finds the target's socket inodes runs on another thread, and the sockets
// those inodes name are then selected from it on the JS thread.
#include <stdio.h>
#include <stdlib.h>

#include "arrays.h"
#include "async.h"
#include "diag.h"
#include "sockdiag.h"
#include "table.h"

typedef int (*row_fn)(const struct inet_diag_msg *m, void *ctx);

// Dumps the TCP sockets of one family in the states of `states` (a bitmask of
// 1 << TCP_*), calling row() for each; 0 or an errno (row()'s non-zero ends the dump).
static int dump_tcp(int family, uint32_t states, row_fn row, void *ctx) {
  int fd = sockdiag_request_tcp(family, states);
  if (fd < 0) return -fd;
  // 32 KiB is what the kernel fills per recv for a dump; aligned for nlmsghdr.
  // Per thread: dumps may run at once on libuv's pool and in the worker.
  static __thread long buf[32768 / sizeof(long)];
  int rc = 0;
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      rc = errno;
      break;
    }
    if (n == 0) break;
    int done = 0;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        done = 1;
        break;
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        const struct nlmsgerr *err = NLMSG_DATA(h);
        rc = h->nlmsg_len >= NLMSG_LENGTH(sizeof *err) && err->error ? -err->error : EIO;
        done = 1;
        break;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) continue;
      if ((rc = row(NLMSG_DATA(h), ctx)) != 0) {
        done = 1;
        break;
      }
    }
    if (done) break;
  }
  close(fd);
  return rc;
}

// Both families; no IPv6 in this kernel or namespace means no IPv6 sockets, not a failure.
static int dump_tcp_both(uint32_t states, row_fn row, void *ctx) {
  int rc = dump_tcp(AF_INET, states, row, ctx);
  if (rc == 0) {
    rc = dump_tcp(AF_INET6, states, row, ctx);
    if (rc == EAFNOSUPPORT || rc == ENOENT) rc = 0;
  }
  return rc;
}

static napi_value diag_error(napi_env env, const char *what, int rc) {
  // errno as a number: strerror() is not thread-safe and this runs off the JS thread.
  char msg[96];
  snprintf(msg, sizeof msg, "sock_diag dump of %s failed: errno %d", what, rc);
  napi_value code, text, err;
  napi_create_string_utf8(env, "ESOCKDIAG", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &err);
  return err;
}

// One socket of the dump, as much of its inet_diag_msg as sockeye reads.
typedef struct {
  uint32_t inode;
  uint32_t rqueue, wqueue;
  uint16_t sport;
  uint8_t v6, state;
  unsigned char dst[16]; // IPv4 as ::ffff:a.b.c.d
} tcp_record;

// A whole dump, sorted by inode for tcpSelect; owned by the JS object that wraps it until selected from.
typedef struct {
  tcp_record *r;
  size_t len, cap;
  int selected;
} tcp_records;

static void records_free(tcp_records *d) {
  if (!d) return;
  free(d->r);
  free(d);
}

static int record_row(const struct inet_diag_msg *m, void *ctx) {
  tcp_records *d = ctx;
  if (grow_array((void **)&d->r, &d->cap, d->len + 1, sizeof *d->r, 1024) != 0) return ENOMEM;
  tcp_record *r = &d->r[d->len++];
  memset(r, 0, sizeof *r);
  r->inode = m->idiag_inode;
  r->rqueue = m->idiag_rqueue;
  r->wqueue = m->idiag_wqueue;
  r->sport = ntohs(m->id.idiag_sport);
  r->state = m->idiag_state;
  r->v6 = m->idiag_family == AF_INET6;
  if (r->v6) memcpy(r->dst, m->id.idiag_dst, 16);
  else r->dst[10] = r->dst[11] = 0xff, memcpy(r->dst + 12, m->id.idiag_dst, 4);
  return 0;
}

static int cmp_record(const void *a, const void *b) {
  uint32_t x = ((const tcp_record *)a)->inode, y = ((const tcp_record *)b)->inode;
  return x < y ? -1 : x > y;
}

static tcp_record *record_find(const tcp_records *d, uint32_t inode) {
  size_t lo = 0, hi = d->len;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (d->r[mid].inode < inode) lo = mid + 1;
    else if (d->r[mid].inode > inode) hi = mid;
    else return &d->r[mid];
  }
  return NULL;
}

typedef struct {
  async_job job;
  tcp_records *d;
  int rc;
} dump_job;

static void dump_job_run(async_job *job) {
  dump_job *t = (dump_job *)job;
  t->rc = dump_tcp_both(SOCKDIAG_HELD_STATES, record_row, t->d);
  // Sorted here, on the pool, so that tcpSelect on the JS thread only searches.
  if (t->rc == 0) qsort(t->d->r, t->d->len, sizeof *t->d->r, cmp_record);
}

static void dump_finalize(napi_env env, void *data, void *hint) {
  records_free(data);
}

static napi_value dump_job_settle(napi_env env, async_job *job, napi_value *error) {
  dump_job *t = (dump_job *)job;
  napi_value out = NULL;
  if (t->rc == 0 && napi_create_external(env, t->d, dump_finalize, NULL, &out) == napi_ok) {
    t->d = NULL; // the external owns it now
    return out;
  }
  *error = diag_error(env, "TCP sockets", t->rc ? t->rc : ENOMEM);
  return NULL;
}

static void dump_job_destroy(async_job *job) {
  dump_job *t = (dump_job *)job;
  records_free(t->d);
  free(t);
}

napi_value diag_tcp_dump_async(napi_env env, napi_callback_info info) {
  dump_job *t = job_new(env, sizeof *t, (async_job){.run = dump_job_run, .settle = dump_job_settle, .destroy = dump_job_destroy});
  if (!t) return NULL;
  if (!(t->d = calloc(1, sizeof *t->d))) {
    free(t);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  return job_start(env, &t->job, "sockeye:tcpDump");
}

// The selected sockets as tcpSelect returns them: TCP_DUMP_FIELDS doubles each, peers numbered once per distinct address.
typedef struct {
  doubles rows;
  byte_table peers;
} tcp_selection;

static int select_row(tcp_selection *s, const tcp_record *r) {
  static const unsigned char zero[16] = {0};
  // Unconnected: all zeros (IPv6) or 0.0.0.0 (IPv4, whose mapped form is not all zeros).
  int connected = r->v6 ? memcmp(r->dst, zero, 16) != 0 : memcmp(r->dst + 12, zero, 4) != 0;
  long peer = connected ? table_add(&s->peers, (const char *)r->dst, 16) : -1;
  if (connected && peer < 0) return ENOMEM;
  const double row[TCP_DUMP_FIELDS] = {r->inode, r->v6 ? 6 : 4, r->state, r->rqueue, r->wqueue, r->sport, (double)peer};
  for (int i = 0; i < TCP_DUMP_FIELDS; i++)
    if (doubles_push(&s->rows, row[i])) return ENOMEM;
  return 0;
}

static napi_value selection_result(napi_env env, const tcp_selection *s) {
  napi_value out, peers;
  void *data = NULL;
  if (napi_create_arraybuffer(env, s->peers.len * 16, &data, &peers) != napi_ok) return NULL;
  for (size_t i = 0; i < s->peers.len; i++) memcpy((char *)data + 16 * i, s->peers.e[i].s, 16);
  napi_create_object(env, &out);
  napi_set_named_property(env, out, "rows", make_f64(env, s->rows.v, s->rows.len));
  napi_set_named_property(env, out, "peers", peers);
  return out;
}

// tcpSelect(dump, wanted): the dump's sockets whose inode is in wanted, in wanted's order (an inode
// wanted twice is given once). The dump's memory is freed here: a dump is selected from once.
napi_value diag_tcp_select(napi_env env, napi_callback_info info) {
  size_t argc = 2, n;
  napi_value argv[2];
  void *ext = NULL;
  double *wanted;
  napi_typedarray_type type;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || napi_get_value_external(env, argv[0], &ext) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a dump of tcpDumpAsync and a Float64Array of socket inodes");
    return NULL;
  }
  if (napi_get_typedarray_info(env, argv[1], &type, &n, (void **)&wanted, NULL, NULL) != napi_ok || type != napi_float64_array) {
    napi_throw_type_error(env, NULL, "expected a Float64Array of socket inodes");
    return NULL;
  }
  tcp_records *d = ext;
  if (d->selected) {
    napi_throw_error(env, NULL, "this dump was already selected from");
    return NULL;
  }
  tcp_selection s = {0};
  // Sized once for every wanted inode (most are TCP sockets of the dump): no regrowth on the JS thread.
  int rc = grow_array((void **)&s.rows.v, &s.rows.cap, n * TCP_DUMP_FIELDS, sizeof *s.rows.v, 256) ? ENOMEM : 0;
  for (size_t i = 0; i < n && rc == 0; i++) {
    // sock_diag's inodes are 32-bit: a larger one is no socket it can report.
    if (!(wanted[i] >= 0 && wanted[i] <= UINT32_MAX)) continue;
    tcp_record *r = record_find(d, (uint32_t)wanted[i]);
    // A socket held by several fds is wanted several times: its record is marked taken with state 0, which no TCP state is.
    if (!r || r->state == 0) continue;
    rc = select_row(&s, r);
    r->state = 0;
  }
  // Freed now rather than when the wrapper is collected: a dump of tens of thousands of sockets is a megabyte.
  free(d->r);
  d->r = NULL;
  d->len = d->cap = 0;
  d->selected = 1;
  napi_value out = rc == 0 ? selection_result(env, &s) : NULL;
  free(s.rows.v);
  table_free(&s.peers);
  if (!out) napi_throw_error(env, "ENOMEM", "out of memory");
  return out;
}
