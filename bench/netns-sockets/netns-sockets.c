// The two ways a node agent can read the TCP sockets of another network
// namespace, timed inside one program: the text tables /proc/PID/net/tcp and
// tcp6 (what sockeye reads there), against a sock_diag dump made inside that
// namespace (setns to it, open the netlink socket, which stays in it, setns
// back, dump). The dump is the only one that gives a listener's backlog; it
// needs CAP_SYS_ADMIN for setns.
//   netns-sockets PID REPS  → JSON: bytes, records, per-rep ns of each way
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../../native/sockdiag.h"

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static long read_all(const char *path) {
  static char buf[65536];
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0; // tcp6 without IPv6
  long total = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) total += n;
  close(fd);
  return total;
}

// Records of one dump from `fd`, or -errno.
static long drain(int fd) {
  static long buf[32768 / sizeof(long)];
  long records = 0;
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) return -errno;
    if (n == 0) return records;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return records;
      if (h->nlmsg_type == NLMSG_ERROR) return -EIO;
      if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) records++;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *pid = argv[1];
  int reps = atoi(argv[2]);
  char tcp[64], tcp6[64], ns[64];
  snprintf(tcp, sizeof tcp, "/proc/%s/net/tcp", pid);
  snprintf(tcp6, sizeof tcp6, "/proc/%s/net/tcp6", pid);
  snprintf(ns, sizeof ns, "/proc/%s/ns/net", pid);
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  long long *text = calloc(reps, sizeof *text), *diag = calloc(reps, sizeof *diag);
  long bytes = 0, records = 0;
  int diag_errno = 0;
  for (int r = -3; r < reps; r++) {
    long long t0 = now_ns();
    bytes = read_all(tcp) + read_all(tcp6);
    long long t1 = now_ns();
    // Opened per read, as a collection would: the namespace is another each time.
    int target = open(ns, O_RDONLY | O_CLOEXEC);
    int fd4 = -1, fd6 = -1;
    if (target < 0 || setns(target, CLONE_NEWNET) != 0) diag_errno = errno;
    else {
      fd4 = sockdiag_request_tcp(AF_INET, SOCKDIAG_HELD_STATES);
      fd6 = sockdiag_request_tcp(AF_INET6, SOCKDIAG_HELD_STATES);
      if (setns(self, CLONE_NEWNET) != 0) return 3;
    }
    if (target >= 0) close(target);
    records = 0;
    if (fd4 >= 0) records += drain(fd4), close(fd4);
    if (fd6 >= 0) records += drain(fd6), close(fd6);
    long long t2 = now_ns();
    if (r >= 0) text[r] = t1 - t0, diag[r] = t2 - t1;
  }
  printf("{\"bytes\":%ld,\"records\":%ld,\"diagErrno\":%d,\"textNs\":[", bytes, records, diag_errno);
  for (int i = 0; i < reps; i++) printf("%s%lld", i ? "," : "", text[i]);
  printf("],\"diagNs\":[");
  for (int i = 0; i < reps; i++) printf("%s%lld", i ? "," : "", diag[i]);
  printf("]}\n");
  return 0;
}
