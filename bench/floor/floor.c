// The floor: only the system work one full collection of a process needs —
// readdir + readlinkat over /proc/PID/fd, and reading /proc/PID/net/tcp and
// tcp6 to the end — with no parsing and no allocation in the loop. Timed
// inside, so process start-up is not part of it.
//
// usage: floor PID REPS [WARMUP]
// prints one JSON line: per-repetition times in ns of the fd walk, the net
// reads, the stat() fast path for the open-fd count, and (not part of the
// floor) the fd walk with full-path readlink, as Node can do it, and the
// NETLINK_SOCK_DIAG dump of the same TCP sockets that sockeye reads instead of
// the text tables when the target shares its network namespace.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reads.h"

// A large buffer: seq_file fills as much as asked per read(2), so fewer
// syscalls; a collector can do the same.
static char buf[4 << 20];

// The same walk as fd_walk with readlink(2) on a full path, as Node's
// fs.readlinkSync must do it (Node has no readlinkat): the kernel resolves
// /proc/PID/fd/N from the root each time.
static long fd_walk_paths(const char *dir, long *links_out) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  long n = 0, links = 0;
  char path[512], target[4096];
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    n++;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (readlink(path, target, sizeof target) > 0) links++;
  }
  closedir(d);
  *links_out = links;
  return n;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s PID REPS [WARMUP]\n", argv[0]);
    return 2;
  }
  const char *pid = argv[1];
  int reps = atoi(argv[2]);
  int warmup = argc > 3 ? atoi(argv[3]) : 3;
  if (reps < 1 || reps > 100000 || warmup < 0) {
    fprintf(stderr, "floor: REPS must be 1..100000 and WARMUP >= 0\n");
    return 2;
  }
  char fddir[64], tcp[64], tcp6[64];
  snprintf(fddir, sizeof fddir, "/proc/%s/fd", pid);
  snprintf(tcp, sizeof tcp, "/proc/%s/net/tcp", pid);
  snprintf(tcp6, sizeof tcp6, "/proc/%s/net/tcp6", pid);

  long long *fdt = calloc(reps, sizeof *fdt), *nett = calloc(reps, sizeof *nett), *statt = calloc(reps, sizeof *statt), *patht = calloc(reps, sizeof *patht), *diagt = calloc(reps, sizeof *diagt);
  long fds = 0, links = 0, bytes = 0, diagSockets = 0;
  long long statSize = -1;
  for (int i = -warmup; i < reps; i++) {
    long long t0 = now_ns();
    links = 0;
    fds = fd_walk(fddir, &links);
    long long t1 = now_ns();
    long a = read_all(tcp, buf, sizeof buf), b = read_all(tcp6, buf, sizeof buf);
    long long t2 = now_ns();
    struct stat st;
    int ok = stat(fddir, &st);
    long long t3 = now_ns();
    long pathLinks = 0;
    long pathFds = fd_walk_paths(fddir, &pathLinks);
    long long t4 = now_ns();
    long d4 = diag_dump(AF_INET), d6 = diag_dump(AF_INET6);
    long long t5 = now_ns();
    if (fds < 0 || a < 0 || b < 0 || ok != 0 || pathFds < 0) {
      fprintf(stderr, "floor: cannot read /proc/%s (gone, or no permission)\n", pid);
      return 1;
    }
    bytes = a + b;
    diagSockets = d4 < 0 || d6 < 0 ? -1 : d4 + d6;
    statSize = (long long)st.st_size;
    if (i >= 0) {
      fdt[i] = t1 - t0;
      nett[i] = t2 - t1;
      statt[i] = t3 - t2;
      patht[i] = t4 - t3;
      diagt[i] = t5 - t4;
    }
  }
  printf("{\"fds\":%ld,\"links\":%ld,\"netBytes\":%ld,\"statSize\":%lld,\"diagSockets\":%ld", fds, links, bytes, statSize, diagSockets);
  print_array("fdWalkNs", fdt, reps);
  print_array("netReadNs", nett, reps);
  print_array("statNs", statt, reps);
  print_array("fdWalkPathNs", patht, reps);
  print_array("diagNs", diagt, reps);
  printf("}\n");
  return 0;
}
