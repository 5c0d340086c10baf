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

#include "../../native/sockdiag.h"
#include "../floor/reads.h"

static char buf[65536];

// Bytes of one table; a missing one (tcp6 without IPv6) counts as empty.
static long table_bytes(const char *path) {
  long n = read_all(path, buf, sizeof buf);
  return n < 0 ? 0 : n;
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
    bytes = table_bytes(tcp) + table_bytes(tcp6);
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
    if (fd4 >= 0) records += diag_drain(fd4), close(fd4);
    if (fd6 >= 0) records += diag_drain(fd6), close(fd6);
    long long t2 = now_ns();
    if (r >= 0) text[r] = t1 - t0, diag[r] = t2 - t1;
  }
  printf("{\"bytes\":%ld,\"records\":%ld,\"diagErrno\":%d", bytes, records, diag_errno);
  print_array("textNs", text, reps);
  print_array("diagNs", diag, reps);
  printf("}\n");
  return 0;
}
