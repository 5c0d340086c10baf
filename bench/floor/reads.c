#define _GNU_SOURCE
#include "reads.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "../../native/sockdiag.h"

long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long read_all(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  long total = 0;
  ssize_t r;
  while ((r = read(fd, buf, size)) > 0) total += r;
  close(fd);
  return total;
}

long fd_walk(const char *dir, long *links) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int dfd = dirfd(d);
  long n = 0;
  char target[4096];
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    n++;
    if (readlinkat(dfd, e->d_name, target, sizeof target) > 0) (*links)++;
  }
  closedir(d);
  return n;
}

long diag_drain(int fd) {
  static long buf[32768 / sizeof(long)];
  long records = 0;
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return records;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return records;
      if (h->nlmsg_type == NLMSG_ERROR) return -1;
      if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) records++;
    }
  }
}

long diag_dump(int family) {
  int fd = sockdiag_request_tcp(family, SOCKDIAG_HELD_STATES);
  if (fd < 0) return -1;
  long records = diag_drain(fd);
  close(fd);
  return records;
}

void print_array(const char *name, const long long *v, int n) {
  printf(",\"%s\":[", name);
  for (int i = 0; i < n; i++) printf(i ? ",%lld" : "%lld", v[i]);
  printf("]");
}
