// The node floor: only the system work one full node collection needs — the fd
// walk (readdir + readlinkat over /proc/PID/fd) of every process, and one
// socket read per network namespace (/proc/PID/net/tcp and tcp6 of one process
// in it, read to the end) — with no parsing and no allocation in the loop.
// Timed inside, so process start-up is not part of it.
//
// usage: node-floor PIDS NAMESPACE_PIDS REPS [WARMUP]
//   PIDS            a file of the pids to walk, one a line
//   NAMESPACE_PIDS  a file of one pid per network namespace
// prints one JSON line: per-repetition times in ns of the fd walks, the text
// socket reads, and (not part of the floor) the NETLINK_SOCK_DIAG dump of the
// same namespaces done inside each one (setns); discovery: readdir of /proc
// plus /proc/PID/cgroup of every process on the host, which a node agent
// reads to find the containers; and the other per-process files a collection
// reads (stat, status, limits, cmdline of each process): the floor of what
// sockeye reads besides the fd walk and the sockets.
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../floor/reads.h"

// seq_file fills as much as asked per read(2): one large buffer, few syscalls.
static char buf[4 << 20];

// Into the namespace of pid, dump, and back; records, or -1.
static long diag_in(int pid, int home) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", pid);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) return -1;
  long records = -1;
  if (setns(ns, CLONE_NEWNET) == 0) {
    long a = diag_dump(AF_INET), b = diag_dump(AF_INET6);
    records = a < 0 || b < 0 ? -1 : a + b;
    if (setns(home, CLONE_NEWNET) != 0) {
      perror("node-floor: setns back");
      exit(1);
    }
  }
  close(ns);
  return records;
}

// Every process of the host: readdir /proc and read each one's cgroup file.
static long discover(long *bytes) {
  DIR *d = opendir("/proc");
  if (!d) return -1;
  long n = 0;
  struct dirent *e;
  char path[300];
  while ((e = readdir(d)) != NULL) {
    if (!isdigit((unsigned char)e->d_name[0])) continue;
    snprintf(path, sizeof path, "/proc/%s/cgroup", e->d_name);
    long r = read_all(path, buf, sizeof buf);
    if (r >= 0) {
      n++;
      *bytes += r;
    }
  }
  closedir(d);
  return n;
}

// The per-process files sockeye reads besides the fd walk; bytes read, or -1 when the process is gone.
static long process_files(int pid) {
  static const char *const names[] = {"stat", "status", "limits", "cmdline"};
  char path[64];
  long total = 0;
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    snprintf(path, sizeof path, "/proc/%d/%s", pid, names[i]);
    long r = read_all(path, buf, sizeof buf);
    if (r < 0) return -1;
    total += r;
  }
  return total;
}

static int *read_pids(const char *file, int *count) {
  FILE *f = fopen(file, "r");
  if (!f) {
    perror(file);
    exit(2);
  }
  int cap = 1024, n = 0, *v = malloc(cap * sizeof *v), pid;
  while (fscanf(f, "%d", &pid) == 1) {
    if (n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
    v[n++] = pid;
  }
  fclose(f);
  *count = n;
  return v;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s PIDS NAMESPACE_PIDS REPS [WARMUP]\n", argv[0]);
    return 2;
  }
  int npids, nns;
  int *pids = read_pids(argv[1], &npids), *nspids = read_pids(argv[2], &nns);
  int reps = atoi(argv[3]), warmup = argc > 4 ? atoi(argv[4]) : 3;
  if (reps < 1 || reps > 100000 || warmup < 0) {
    fprintf(stderr, "node-floor: REPS must be 1..100000 and WARMUP >= 0\n");
    return 2;
  }
  int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) {
    perror("node-floor: /proc/self/ns/net");
    return 1;
  }
  long long *fdt = calloc(reps, sizeof *fdt), *nett = calloc(reps, sizeof *nett), *diagt = calloc(reps, sizeof *diagt), *disct = calloc(reps, sizeof *disct), *proct = calloc(reps, sizeof *proct);
  long fds = 0, links = 0, netBytes = 0, diagSockets = 0, gone = 0, hostProcs = 0, cgroupBytes = 0;
  for (int i = -warmup; i < reps; i++) {
    fds = links = netBytes = diagSockets = gone = cgroupBytes = 0;
    long long t0 = now_ns();
    char path[64];
    for (int p = 0; p < npids; p++) {
      snprintf(path, sizeof path, "/proc/%d/fd", pids[p]);
      long n = fd_walk(path, &links);
      if (n < 0) gone++;
      else fds += n;
    }
    long long t1 = now_ns();
    for (int p = 0; p < nns; p++) {
      snprintf(path, sizeof path, "/proc/%d/net/tcp", nspids[p]);
      long a = read_all(path, buf, sizeof buf);
      snprintf(path, sizeof path, "/proc/%d/net/tcp6", nspids[p]);
      long b = read_all(path, buf, sizeof buf);
      if (a > 0) netBytes += a;
      if (b > 0) netBytes += b;
    }
    long long t2 = now_ns();
    for (int p = 0; p < nns; p++) {
      long r = diag_in(nspids[p], home);
      diagSockets = diagSockets < 0 || r < 0 ? -1 : diagSockets + r;
    }
    long long t3 = now_ns();
    hostProcs = discover(&cgroupBytes);
    long long t4 = now_ns();
    for (int p = 0; p < npids; p++) process_files(pids[p]);
    long long t5 = now_ns();
    if (i >= 0) {
      fdt[i] = t1 - t0;
      nett[i] = t2 - t1;
      diagt[i] = t3 - t2;
      disct[i] = t4 - t3;
      proct[i] = t5 - t4;
    }
  }
  printf("{\"processes\":%d,\"gone\":%ld,\"namespaces\":%d,\"fds\":%ld,\"links\":%ld,\"netBytes\":%ld,\"diagSockets\":%ld,\"hostProcesses\":%ld,\"cgroupBytes\":%ld",
         npids, gone, nns, fds, links, netBytes, diagSockets, hostProcs, cgroupBytes);
  print_array("fdWalkNs", fdt, reps);
  print_array("netReadNs", nett, reps);
  print_array("diagNs", diagt, reps);
  print_array("discoveryNs", disct, reps);
  print_array("processFilesNs", proct, reps);
  printf("}\n");
  return 0;
}
