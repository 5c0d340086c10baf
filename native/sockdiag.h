// The NETLINK_SOCK_DIAG dump request for TCP sockets, without N-API: shared
// by the addon (native/diag.c) and the benchmark's floor (bench/floor/floor.c),
// so the floor times exactly the request sockeye makes.
#pragma once
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

// Every TCP state a socket with an fd can be in: TIME_WAIT and (NEW_)SYN_RECV
// entries have no inode, and in a busy namespace they are most of the rows.
#define SOCKDIAG_HELD_STATES (((1u << (TCP_CLOSING + 1)) - 1) & ~((1u << TCP_TIME_WAIT) | (1u << TCP_SYN_RECV) | 1u))

// A netlink socket that has been asked for every TCP socket of `family` in
// `states` (a bitmask of 1 << TCP_*); the replies are then recv()'d from it.
// The socket, or -errno.
static inline int sockdiag_request_tcp(int family, uint32_t states) {
  int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return -errno;
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
  msg.req.idiag_states = states;
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}
