# Process trees of the shapes a restart rule must tell apart, for the restart
# tests: argv[1] is the mode, the rest a tag for matchers ("sockeye-forks TAG").
# Children are forked (same command line as the parent) and die with it.
#   respawn N      a master with N workers; a worker that dies is respawned
#                  (nginx, cluster); prints {"workers": [pids]} at start and
#                  after every respawn.
#   per-connection a listener forking one child per connection, which answers
#                  one line and exits 0.2 s later (prefork / inetd: long enough
#                  to be seen by a collection on a busy machine); prints {"port": P}.
#   sessions       the same, the child living until its client closes and
#                  retitled after it (a PostgreSQL backend per session);
#                  prints {"port": P}.
import ctypes, json, os, signal, socket, sys, time

PR_SET_PDEATHSIG = 1


def say(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fork(body):
    pid = os.fork()
    if pid == 0:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        try:
            body()
        finally:
            os._exit(0)
    return pid


def idle():
    while True:
        time.sleep(3600)


def respawn(n):
    workers = [fork(idle) for _ in range(n)]
    say({"workers": workers})
    while True:
        pid, _ = os.wait()
        workers = [w for w in workers if w != pid] + [fork(idle)]
        say({"workers": workers})


def serve(per_session):
    signal.signal(signal.SIGCHLD, lambda *_: reap())
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lst.bind(("127.0.0.1", 0))
    lst.listen(128)
    say({"port": lst.getsockname()[1]})
    sessions = 0
    while True:
        try:
            conn, _ = lst.accept()
        except InterruptedError:
            continue

        sessions += 1

        def child(conn=conn, number=sessions):
            lst.close()
            f = conn.makefile("rwb")
            if per_session:
                # Retitled after its session, as a PostgreSQL backend is
                # ("postgres: user db 10.0.0.5(51234) idle"): one session's
                # backend is never another's replacement. Numbered rather
                # than by client port, which loopback reuses within seconds.
                with open("/proc/self/comm", "w") as comm:
                    comm.write(f"session {number}")
                while f.readline():
                    pass
            else:
                f.readline()
                f.write(b"ok\n")
                f.flush()
                time.sleep(0.2)
            conn.close()

        fork(child)
        conn.close()


def reap():
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


mode = sys.argv[1]
if mode == "respawn":
    respawn(int(sys.argv[2]))
elif mode == "per-connection":
    serve(False)
elif mode == "sessions":
    serve(True)
else:
    sys.exit(f"unknown mode {mode}")
