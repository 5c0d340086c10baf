// One pod of the node benchmark: a process that moves into a new network
// namespace, brings its loopback up, listens there, and forks the pod's other
// processes, which each hold a share of regular files and TCP sockets on that
// loopback (both ends of each connection, some left in CLOSE_WAIT). Every
// process joins its container's cgroups before it opens anything. Small and
// forked from one parent, so 2,000 of them cost little memory.
//
// usage: pod PROCS FILES PAIRS CLOSE_WAIT FILE CONTAINER...
//   PROCS       processes in the pod, this one included
//   FILES       regular files each process opens (FILE, again and again)
//   PAIRS       connected pairs each process holds both ends of
//   CLOSE_WAIT  of those, pairs whose client end it closes (the held end stays in CLOSE_WAIT)
//   CONTAINER   a container's cgroup directories, comma-separated (one per
//               hierarchy); processes are dealt round-robin over the containers
//
// With EHASH set in the environment, the pod's namespace gets a TCP
// established-hash of its own of that many buckets (net.ipv4.
// tcp_child_ehash_entries, set in a throwaway namespace it is created from)
// instead of sharing the host's: how a node tuned that way reads sockets.
//
// Leaves its parent at once (a pod is no descendant of the agent); prints one
// line, {"pids":[...]}, once every process holds its fds; then holds no fd
// outside its pod (stdio on /dev/null: a socket of the benchmark's namespace
// would be one no table of the pod lists) and waits for the benchmark to exit
// (a pidfd of it), and takes the pod down (its workers die with it).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "pod %d: %s: %s\n", getpid(), what, strerror(errno));
  exit(1);
}

static void join_container(char *dirs) {
  char pid[32];
  int n = snprintf(pid, sizeof pid, "%d", getpid());
  for (char *save = NULL, *dir = strtok_r(dirs, ",", &save); dir; dir = strtok_r(NULL, ",", &save)) {
    char path[4096];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, pid, n) != n) die(path);
    close(fd);
  }
}

static void loopback_up(void) {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {0};
  strcpy(ifr.ifr_name, "lo");
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) die("lo flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) die("lo up");
  close(s);
}

// The fds a worker holds; nothing else happens in it afterwards.
static void hold(int listener, const struct sockaddr_in *addr, int files, const char *file, int pairs, int closeWait) {
  for (int i = 0; i < files; i++)
    if (open(file, O_RDONLY) < 0) die(file);
  for (int i = 0; i < pairs; i++) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (const struct sockaddr *)addr, sizeof *addr) < 0) die("connect");
    // Another worker may take this connection; every worker accepts as many as
    // it made, so the queue never runs dry while someone waits in accept.
    int a;
    while ((a = accept(listener, NULL, NULL)) < 0 && errno == EINTR) {}
    if (a < 0) die("accept");
    if (i < closeWait) close(c);
  }
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s PROCS FILES PAIRS CLOSE_WAIT FILE CONTAINER...\n", argv[0]);
    return 2;
  }
  int procs = atoi(argv[1]), files = atoi(argv[2]), pairs = atoi(argv[3]), closeWait = atoi(argv[4]);
  const char *file = argv[5];
  char **containers = argv + 6;
  int ncontainers = argc - 6;
  if (procs < 1 || files < 0 || pairs < 0 || closeWait < 0 || closeWait > pairs) {
    fprintf(stderr, "pod: PROCS >= 1, FILES, PAIRS >= 0, CLOSE_WAIT <= PAIRS\n");
    return 2;
  }
  // Not a child of the benchmark: an agent measured in the benchmark's own
  // process skips its descendants, and a node's pods are none of its own.
  // It ends when the benchmark does, however that ends: a pidfd says when.
  int bench = (int)syscall(SYS_pidfd_open, getppid(), 0);
  if (bench < 0) die("pidfd_open");
  pid_t daemon = fork();
  if (daemon < 0) die("fork");
  if (daemon > 0) return 0;
  setsid();
  const char *ehash = getenv("EHASH");
  if (ehash != NULL) {
    if (unshare(CLONE_NEWNET) < 0) die("unshare(CLONE_NEWNET)");
    int fd = open("/proc/sys/net/ipv4/tcp_child_ehash_entries", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, ehash, strlen(ehash)) != (ssize_t)strlen(ehash)) die("tcp_child_ehash_entries");
    close(fd);
  }
  if (unshare(CLONE_NEWNET) < 0) die("unshare(CLONE_NEWNET)");
  loopback_up();
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 4096) < 0 ||
      getsockname(listener, (struct sockaddr *)&addr, &len) < 0)
    die("listen");

  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) die("pipe");
  pid_t *pids = calloc(procs, sizeof *pids);
  pids[0] = getpid();
  for (int i = 1; i < procs; i++) {
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != pids[0]) _exit(1);
      close(ready[0]);
      close(bench);
      int null = open("/dev/null", O_RDWR);
      if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0) _exit(1);
      join_container(containers[i % ncontainers]);
      hold(listener, &addr, files, file, pairs, closeWait);
      if (dup2(null, 2) < 0 || write(ready[1], "", 1) != 1) _exit(1);
      close(null);
      close(ready[1]);
      for (;;) pause();
    }
    pids[i] = pid;
  }
  close(ready[1]);
  join_container(containers[0]);
  hold(listener, &addr, files, file, pairs, closeWait);
  char b;
  for (int i = 1; i < procs; i++) {
    ssize_t r = read(ready[0], &b, 1);
    if (r < 0 && errno == EINTR) { i--; continue; }
    if (r != 1) {
      fprintf(stderr, "pod %d: a worker died before it was ready\n", getpid());
      for (int j = 1; j < procs; j++) kill(pids[j], SIGKILL);
      return 1;
    }
  }
  close(ready[0]);
  printf("{\"pids\":[");
  for (int i = 0; i < procs; i++) printf(i ? ",%d" : "%d", pids[i]);
  printf("]}\n");
  fflush(stdout);
  int null = open("/dev/null", O_RDWR);
  if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) die("/dev/null");
  close(null);
  struct pollfd gone = {.fd = bench, .events = POLLIN};
  while (poll(&gone, 1, -1) < 0 && errno == EINTR) {}
  for (int i = 1; i < procs; i++) kill(pids[i], SIGKILL);
  while (wait(NULL) > 0 || errno == EINTR) {}
  return 0;
}
