// The system reads the C floors share (bench/floor/floor.c, bench/node/floor.c,
// bench/netns-sockets/netns-sockets.c), compiled into each from reads.c, so a
// figure of one program means the same work as the same figure of another.
#ifndef BENCH_FLOOR_READS_H
#define BENCH_FLOOR_READS_H

#include <stddef.h>

long long now_ns(void);

// Reads path to the end through buf; bytes read, or -1 when it cannot be opened.
// seq_file fills as much as asked per read(2), so a large buffer means few syscalls.
long read_all(const char *path, char *buf, size_t size);

// readdir + readlinkat over one /proc/PID/fd directory: the entries, or -1 when
// it cannot be opened; adds the links read to *links.
long fd_walk(const char *dir, long *links);

// Records of one NETLINK_SOCK_DIAG dump answered on fd, or -1 on an error.
long diag_drain(int fd);

// The TCP sockets of the current network namespace in every state an fd can
// hold (not TIME_WAIT, SYN_RECV: the kernel filters them out), one family, with
// the addon's own request (native/sockdiag.h); records, or -1.
long diag_dump(int family);

// Prints ,"name":[v0,v1,...] — one array member of the programs' JSON line.
void print_array(const char *name, const long long *v, int n);

#endif
