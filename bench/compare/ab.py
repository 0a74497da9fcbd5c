"""Two meshroute builds (and nginx or HAProxy) against each other on scenario (a), the plain
proxy with 1 KiB answers, set up as counts.py sets it up (one worker, no access log, proxy on
CPU 1, backend and load on CPU 0):

- cpu: CPU time (user and system, from /proc) per request over N keep-alive requests
  (h2load, C connections), runs alternating between the targets, R rounds;
- syscalls: system calls per request by name (strace -c -f), N requests on C connections
  (one connection shows a request's own sequence, without the batching of several).

Usage: /usr/bin/python3 bench/compare/ab.py {cpu,syscalls} TARGET[,TARGET...]
       [--requests 100000] [--rounds 3] [--connections 4]
TARGET: a meshroute binary's path, or nginx, or haproxy."""
import argparse
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import counts  # noqa: E402
from run import start_backend, wait_port  # noqa: E402


def cpu_ticks(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]), int(f[12])  # utime, stime in clock ticks


def measure_cpu(p, n, conns):
    counts.h2load(p.port, 5000, conns)
    u0, s0 = cpu_ticks(p.proc.pid)
    counts.h2load(p.port, n, conns)
    u1, s1 = cpu_ticks(p.proc.pid)
    tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
    return (u1 - u0) * tick_us / n, (s1 - s0) * tick_us / n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=("cpu", "syscalls"))
    ap.add_argument("targets")
    ap.add_argument("--requests", type=int, default=100000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--connections", type=int, default=4)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="meshroute-ab-")
    backend, backends = start_backend(work)
    try:
        for b in backends:
            wait_port(b)
        rounds = args.rounds if args.mode == "cpu" else 1
        for _ in range(rounds):
            for t in args.targets.split(","):
                name = "meshroute" if "/" in t else t
                binary = os.path.abspath(t) if "/" in t else ""
                p = counts.Proxy(name, counts.SCENARIO["a"], backends, binary, work, 100)
                try:
                    if args.mode == "cpu":
                        u, s = measure_cpu(p, args.requests, args.connections)
                        print(f"{t}: user {u:.2f} + system {s:.2f} = {u + s:.2f} µs/request",
                              flush=True)
                    else:
                        r = counts.syscalls(p, args.requests, args.connections)
                        top = ", ".join(f"{k} {v:.2f}" for k, v in r["top"].items())
                        print(f"{t}: {r['syscalls_per_request']:.2f} system calls/request ({top})",
                              flush=True)
                finally:
                    p.stop()
    finally:
        backend.terminate()
        backend.wait()


if __name__ == "__main__":
    main()
