# A process that holds exactly the fds it is told to, for tests and benchmarks
# of the /proc collectors. Driven by test/support/procs.ts: the first spec is
# argv[1]; each stdin line is one more spec; after each, one JSON report line
# on stdout. Nothing else is open: fds 0-2 are its stdio, which Node makes
# unix socketpairs (3 connected unix sockets).
import ctypes, json, os, random, resource, select, signal, socket, sys, threading, time

PR_SET_PDEATHSIG = 1

held = []  # keeps every object alive
listeners = []
report = {"pid": os.getpid(), "listeners": [], "udp": [], "unix": [], "files": []}


def apply(spec):
    if spec.get("nofile"):
        resource.setrlimit(resource.RLIMIT_NOFILE, tuple(spec["nofile"]))
    if spec.get("comm"):
        with open("/proc/self/comm", "w") as f:
            f.write(spec["comm"])
    for item in spec.get("files", []):
        path = item["path"]
        for _ in range(item["count"]):
            held.append(open(path, "a+"))
        if item.get("deleted"):
            os.unlink(path)
        report["files"].append(path + (" (deleted)" if item.get("deleted") else ""))
    for _ in range(spec.get("pipes", 0)):
        r, w = os.pipe()
        held.extend([r, w])
    for _ in range(spec.get("eventfds", 0)):
        held.append(os.eventfd(0))
    for _ in range(spec.get("epolls", 0)):
        held.append(select.epoll())
    for item in spec.get("listen", []):
        fam = socket.AF_INET6 if ":" in item["host"] else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.bind((item["host"], 0))
        s.listen(item.get("backlog", 128))
        listeners.append(s)
        report["listeners"].append({"host": item["host"], "port": s.getsockname()[1], "backlog": item.get("backlog", 128)})
    # pending last: a later accept() would take a pending connection off the queue.
    conns = sorted(spec.get("connections", []), key=lambda c: c["state"] == "pending")
    for item in conns:
        lst = listeners[item["listener"]]
        host, port = lst.getsockname()[0], lst.getsockname()[1]
        for _ in range(item["count"]):
            c = socket.socket(lst.family, socket.SOCK_STREAM)
            c.connect((host, port))
            if item["state"] == "pending":
                held.append(c)
                continue
            a, _ = lst.accept()
            held.append(a)
            if item.get("send"):
                c.sendall(b"x" * item["send"])  # never read: sits in the accepted end's receive queue
            if item["state"] == "close_wait":
                c.close()  # the peer closes; we never do: our end sits in CLOSE_WAIT
            else:
                held.append(c)
    for item in spec.get("connectTo", []):
        fam = socket.AF_INET6 if ":" in item["host"] else socket.AF_INET
        for _ in range(item["count"]):
            c = socket.socket(fam, socket.SOCK_STREAM)
            c.connect((item["host"], item["port"]))
            held.append(c)
    for item in spec.get("udp", []):
        fam = socket.AF_INET6 if ":" in item["host"] else socket.AF_INET
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((item["host"], 0))
        held.append(u)
        report["udp"].append({"host": item["host"], "port": u.getsockname()[1]})
    for path in spec.get("unixListen", []):
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        u.bind(path)
        u.listen(8)
        held.append(u)
        report["unix"].append(path)
    for _ in range(spec.get("unixPairs", 0)):
        held.extend(socket.socketpair())
    # Memory the process keeps, written so the pages are resident (an untouched
    # allocation would not show in RSS).
    for _ in range(spec.get("allocateMiB", 0)):
        held.append(b"\x01" * 1048576)
    # Children that keep everything opened so far (the same fds, sockets
    # shared) and sleep until the holder dies: many processes for little memory.
    for _ in range(spec.get("forks", 0)):
        pid = os.fork()
        if pid == 0:
            ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            while True:
                signal.pause()
        report.setdefault("children", []).append(pid)
    if spec.get("churn"):
        threading.Thread(target=churn, args=(spec["churn"],), daemon=True).start()
    # Let loopback handshakes and FINs settle before anyone reads /proc.
    time.sleep(0.05)
    report["exitAfterMs"] = spec.get("exitAfterMs")


def churn(c):
    # Children that open many fds and exit after a few ms, `children` at a
    # time, for `durationMs`: targets vanishing in the middle of collections.
    parent = os.getpid()
    end = time.monotonic() + c["durationMs"] / 1000
    alive = set()
    while time.monotonic() < end:
        while len(alive) < c["children"]:
            pid = os.fork()
            if pid == 0:
                # Die with the holder: killing it must not leave children behind.
                ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
                if os.getppid() != parent:
                    os._exit(0)
                fds = [os.open(c["path"], os.O_RDONLY | os.O_CREAT) for _ in range(c["files"])]
                time.sleep(random.uniform(c["lifeMs"][0], c["lifeMs"][1]) / 1000)
                os._exit(0)
            alive.add(pid)
        pid, _ = os.wait()
        alive.discard(pid)
        report["churned"] = report.get("churned", 0) + 1
    for pid in alive:
        os.waitpid(pid, 0)


def main():
    # Start from exactly fds 0-2: whatever the test runner leaked to us goes.
    os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    apply(json.loads(sys.argv[1]))
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    deadline = report.get("exitAfterMs")
    if deadline is not None:
        time.sleep(deadline / 1000)
        os._exit(0)
    for line in sys.stdin:
        if line.strip():
            apply(json.loads(line))
            sys.stdout.write(json.dumps(report) + "\n")
            sys.stdout.flush()


main()
