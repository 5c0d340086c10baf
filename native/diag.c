// The listen backlog of every TCP listener in sockeye's network namespace,
// through NETLINK_SOCK_DIAG (what `ss -ltn` asks): /proc/net/tcp shows a
// listener's accept queue but not the backlog it was given, and Node cannot
// open a netlink socket. One dump per family, filtered to LISTEN in the kernel,
// in the caller's namespace (a sidecar shares its pod's); no privilege needed.
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arrays.h"
#include "diag.h"

// Listening sockets of one family appended as (inode, queue, backlog) triples; 0 or an errno.
static int dump_listeners(int family, doubles *out) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return errno;
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg;
  memset(&msg, 0, sizeof msg);
  msg.nlh.nlmsg_len = sizeof msg;
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.req.sdiag_family = (unsigned char)family;
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = 1u << TCP_LISTEN;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int e = errno;
    close(fd);
    return e;
  }
  // 32 KiB is what the kernel fills per recv for a dump; aligned for nlmsghdr.
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
      const struct inet_diag_msg *m = NLMSG_DATA(h);
      // For a listener the kernel reports the accept queue as rqueue and its limit (the backlog) as wqueue.
      if (doubles_push(out, (double)m->idiag_inode) || doubles_push(out, (double)m->idiag_rqueue) || doubles_push(out, (double)m->idiag_wqueue)) {
        rc = ENOMEM;
        done = 1;
        break;
      }
    }
    if (done) break;
  }
  close(fd);
  return rc;
}

napi_value diag_listeners(napi_env env, napi_callback_info info) {
  doubles rows = {0};
  int rc = dump_listeners(AF_INET, &rows);
  // No IPv6 in this kernel or namespace: no IPv6 listeners, not a failure.
  if (rc == 0) {
    rc = dump_listeners(AF_INET6, &rows);
    if (rc == EAFNOSUPPORT || rc == ENOENT) rc = 0;
  }
  napi_value arr = NULL;
  if (rc != 0) {
    // errno as a number: strerror() is not thread-safe and this runs in the collection worker.
    char msg[64];
    snprintf(msg, sizeof msg, "sock_diag dump of TCP listeners failed: errno %d", rc);
    napi_throw_error(env, "ESOCKDIAG", msg);
  } else {
    arr = make_f64(env, rows.v, rows.len);
  }
  free(rows.v);
  return arr;
}
