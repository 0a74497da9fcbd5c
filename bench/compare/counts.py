"""Counted, not timed: what one proxied request and one idle connection cost meshroute, nginx
and HAProxy. Counts do not drift on a noisy shared machine the way requests/s and CPU-µs do.

For each target, a proxy with one worker (nginx `master_process off`, HAProxy `-db` and
`nbthread 1`, meshroute `run --workers 1`), no access log, pinned to CPU 1, in front of the
backend of run.py (nginx answering 1 KiB) on CPU 0, with the configurations of configs.py for
(a) the plain single route and (b) the 80/20 split:

1. instructions per request: the proxy runs under `valgrind --tool=callgrind`; after a
   warm-up, `callgrind_control --zero`, then `h2load --h1 -n N -c 4` (N keep-alive requests
   over 4 connections, one request in flight on each), then `callgrind_control --dump`; the
   dump's total Ir (every thread, user space only) divided by N.
2. system calls per request: the same N requests, not under valgrind, with
   `strace -c -f -p` attached to every process of the proxy; total calls / N and the top calls.
   The epoll_wait count depends on how requests bunch up, so it moves a little between runs.
3. bytes per idle keep-alive connection: C client connections (default 2,000) opened one after
   the other, one request answered on each, all left open; the proxy's RSS (VmRSS summed over
   its processes) after minus before, divided by C; the lower of two runs, each on a fresh
   proxy. Kernel socket buffers are not in RSS. Also reported: file descriptors the proxy holds
   per idle connection (1 = just the client socket; 2 = an upstream connection kept for it).

Usage: /usr/bin/python3 bench/compare/counts.py [--meshroute build/release/meshroute]
       [--only meshroute,nginx,haproxy,a,b,instructions,syscalls,idle] [--requests 20000]
       [--connections 2000] [--json bench/results/counts.json] [--markdown]
--only takes target, scenario and measurement names; a group left unnamed runs whole.
Needs nginx, haproxy, h2load (nghttp2-client; scripts/bench.sh installs these three), valgrind
and strace."""
import argparse
import glob
import http.client
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import configs  # noqa: E402
from run import (LOAD_CPU, PROXY_CPU, SCENARIOS, free_port, pids_of, poll, rss_kb,  # noqa: E402
                 start_backend, versions, wait_port)

TARGETS = ("meshroute", "nginx", "haproxy")
SCENARIO = {"a": next(s for s in SCENARIOS if s.name == "a1k"),
            "b": next(s for s in SCENARIOS if s.name == "b")}
MEASURES = ("instructions", "syscalls", "idle")
WARMUP = 2000
CALLGRIND = ("valgrind", "--tool=callgrind", "--callgrind-out-file={dir}/callgrind.out")


class Proxy:
    """One proxy, one process, started for a scenario; `wrap` goes before its argv (valgrind;
    "{dir}" in it becomes the proxy's directory)."""

    def __init__(self, name, scenario, backends, meshroute, workdir, connections, wrap=()):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=name + "-", dir=workdir)
        self.port = free_port()
        self.admin = free_port() if name == "meshroute" else None
        d = self.dir
        if name == "meshroute":
            with open(os.path.join(d, "mesh.yaml"), "w") as f:
                f.write(configs.meshroute_proxy(scenario, backends))
            argv = [meshroute, "run", "-f", d, "--listen", f"127.0.0.1:{self.port}",
                    "--admin", f"127.0.0.1:{self.admin}", "--workers", "1",
                    "--access-log-format", "off"]
        elif name == "nginx":
            conf = os.path.join(d, "nginx.conf")
            text = configs.nginx_proxy(scenario, d, self.port, backends)
            # A client connection and perhaps an upstream one each; 4096 is configs.py's value.
            text = text.replace("worker_connections 4096",
                                f"worker_connections {max(4096, 2 * connections + 100)}")
            with open(conf, "w") as f:
                f.write(text)
            argv = ["nginx", "-p", d, "-c", conf, "-g", "daemon off; master_process off;"]
        else:
            conf = os.path.join(d, "haproxy.cfg")
            text = configs.haproxy_proxy(scenario, d, self.port, backends)
            text = text.replace("maxconn 4096", f"maxconn {max(4096, connections + 100)}")
            with open(conf, "w") as f:
                f.write(text)
            argv = ["haproxy", "-db", "-f", conf]
        with open(os.path.join(d, "stderr.log"), "w") as err:
            wrap = [w.format(dir=d) for w in wrap]
            self.proc = subprocess.Popen(["taskset", "-c", PROXY_CPU, *wrap, *argv],
                                         stdout=subprocess.DEVNULL, stderr=err)
        try:
            wait_port(self.port, timeout=120)
            if not poll(lambda: get_status(self.port) == 200, timeout=60):
                raise RuntimeError("no 200 from the proxy")
        except RuntimeError as e:
            self.stop()
            with open(os.path.join(d, "stderr.log")) as f:
                raise RuntimeError(f"{name} did not start ({e}): {f.read()[-2000:]}") from None

    def pids(self):
        return pids_of(self.proc.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT if self.name == "nginx" else signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def get_status(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.request("GET", "/", headers={"Host": "backend"})
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def h2load(port, n, connections=4):
    """N keep-alive GET / requests over `connections` connections, one in flight on each."""
    argv = ["taskset", "-c", LOAD_CPU, "h2load", "--h1", "-n", str(n), "-c", str(connections),
            "-H", ":authority: backend", f"http://127.0.0.1:{port}/"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=3600).stdout
    ok = re.search(r"status codes: (\d+) 2xx", out)
    if not ok or int(ok.group(1)) != n:
        raise RuntimeError(f"h2load: not {n} answers of 2xx:\n{out[-1500:]}")


def instructions(p, n):
    """Ir of N requests, the proxy already running under callgrind."""
    pid = str(p.proc.pid)
    h2load(p.port, WARMUP)
    subprocess.run(["callgrind_control", "--zero", pid], check=True, capture_output=True)
    h2load(p.port, n)
    before = set(glob.glob(os.path.join(p.dir, "callgrind.out*")))
    subprocess.run(["callgrind_control", "--dump", pid], check=True, capture_output=True)
    dumps = []
    poll(lambda: dumps.extend(set(glob.glob(os.path.join(p.dir, "callgrind.out*"))) - before)
         or dumps, timeout=60)
    if not dumps:
        raise RuntimeError("callgrind wrote no dump")
    ir = 0
    for path in dumps:  # one file unless threads are dumped separately
        with open(path) as f:
            text = f.read()  # "totals:" is the sum of every cost line; "summary:" may differ
        m = re.search(r"^totals: (\d+)", text, re.M) or re.search(r"^summary: (\d+)", text, re.M)
        ir += int(m.group(1)) if m else 0
    return {"instructions_per_request": ir / n, "ir_total": ir}


def syscalls(p, n, connections=4):
    """strace -c over every thread of every process of the proxy during N requests."""
    h2load(p.port, WARMUP, connections)
    pids = p.pids()
    out = os.path.join(p.dir, "strace.txt")
    argv = ["strace", "-c", "-f", "-U", "name,calls,errors", "-S", "calls", "-o", out]
    for pid in pids:
        argv += ["-p", str(pid)]
    st = subprocess.Popen(argv, stderr=subprocess.DEVNULL)
    tasks = [f"/proc/{pid}/task/{t}/status" for pid in pids
             for t in os.listdir(f"/proc/{pid}/task")]

    def attached():
        for path in tasks:
            with open(path) as f:
                if int(re.search(r"TracerPid:\s+(\d+)", f.read()).group(1)) != st.pid:
                    return False
        return True
    if not poll(attached, timeout=30):
        st.kill()
        raise RuntimeError("strace did not attach")
    h2load(p.port, n, connections)
    st.send_signal(signal.SIGINT)
    st.wait(60)
    calls, total = {}, 0
    with open(out) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 2 and fields[1].isdigit():
                if fields[0] == "total":
                    total = int(fields[1])
                else:
                    calls[fields[0]] = int(fields[1])
    top = sorted(calls.items(), key=lambda kv: -kv[1])[:6]
    return {"syscalls_per_request": total / n,
            "top": {name: round(c / n, 2) for name, c in top}}


def fd_count(pids):
    return sum(len(os.listdir(f"/proc/{pid}/fd")) for pid in pids)


def heap_bytes(p):
    """meshroute's heap in use (its admin /memory), or None for a proxy without one."""
    if p.admin is None:
        return None
    c = http.client.HTTPConnection("127.0.0.1", p.admin, timeout=10)
    c.request("GET", "/memory")
    return int(json.loads(c.getresponse().read())["allocated"])


def idle_connections(p, count):
    """RSS and fds the proxy adds for `count` idle keep-alive connections, one request each."""
    h2load(p.port, WARMUP)
    time.sleep(0.5)  # let the proxy settle after the warm-up's connections close
    pids = p.pids()
    rss0, fds0 = rss_kb(pids), fd_count(pids)
    heap0 = heap_bytes(p)
    conns = []
    try:
        for _ in range(count):
            c = http.client.HTTPConnection("127.0.0.1", p.port, timeout=30)
            c.request("GET", "/", headers={"Host": "backend"})
            r = c.getresponse()
            r.read()
            if r.status != 200 or r.will_close:
                raise RuntimeError(f"connection {len(conns)}: status {r.status}, not kept alive")
            conns.append(c)
        time.sleep(1)  # any deferred work (timers, buffer release) has happened
        rss1, fds1 = rss_kb(pids), fd_count(pids)
        heap1 = heap_bytes(p)
    finally:
        for c in conns:
            c.close()
    heap = None if heap0 is None else (heap1 - heap0) / count
    return {"bytes_per_connection": (rss1 - rss0) * 1024 / count,
            "heap_bytes_per_connection": heap,
            "fds_per_connection": (fds1 - fds0) / count,
            "rss_before_kb": rss0, "rss_after_kb": rss1}


def raise_fd_limit(connections):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max(soft, 3 * connections + 1000)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))  # proxies inherit it


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
        cpu = m.group(1) if m else cpu
    def first_line(argv):
        p = subprocess.run(argv, capture_output=True, text=True)
        return (p.stdout + p.stderr).strip().splitlines()[0]
    def git(*argv):
        here = os.path.dirname(os.path.abspath(__file__))
        return subprocess.run(["git", "-C", here, *argv], capture_output=True, text=True).stdout
    commit = git("log", "-1", "--format=%h").strip()  # of the source tree, not of the binary
    if git("status", "--porcelain", "--", ":/src").strip():
        commit += " with uncommitted changes under src/"
    return {"nproc": os.cpu_count(), "cpu": cpu, "kernel": os.uname().release,
            "valgrind": first_line(["valgrind", "--version"]),
            "strace": first_line(["strace", "-V"]), "h2load": first_line(["h2load", "--version"]),
            "commit": commit}


def fmt(v, digits=0):
    return "-" if v is None else f"{v:,.{digits}f}"


def rows(results):
    """(label, {target: text}) rows shared by the plain and the markdown table."""
    def row(label, key, field, show):
        return label, {t: show(r.get(key, {}).get(field)) for t, r in results.items()}

    def top(calls):
        return ", ".join(f"{n} {c:g}" for n, c in (calls or {}).items() if c >= 0.01)
    out = []
    for key, title in (("a", "(a) plain"), ("b", "(b) 80/20 split")):
        out.append(row(f"instructions per request, {title}", key, "instructions_per_request", fmt))
        out.append(row(f"system calls per request, {title}", key, "syscalls_per_request",
                       lambda v: fmt(v, 2)))
        out.append(row(f"  top calls, {title}", key, "top", top))
    out.append(row("RSS bytes per idle keep-alive connection", "idle", "bytes_per_connection", fmt))
    out.append(row("  fds per idle connection", "idle", "fds_per_connection", lambda v: fmt(v, 2)))
    return out


def print_table(results, markdown):
    names = list(results)
    if markdown:
        print("| per request / per connection | " + " | ".join(names) + " |")
        print("|---" * (len(names) + 1) + "|")
        for label, cells in rows(results):
            print(f"| {label.strip()} | " + " | ".join(cells[n] or "-" for n in names) + " |")
        return
    print(f"{'':44}" + "".join(f"{n:>14}" for n in names))
    for label, cells in rows(results):
        if label.startswith("  top"):
            for n in names:
                print(f"    {n}: {cells[n]}")
        else:
            print(f"{label:44}" + "".join(f"{cells[n]:>14}" for n in names))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--meshroute", default="build/release/meshroute")
    ap.add_argument("--only", default="")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--connections", type=int, default=2000)
    ap.add_argument("--json", default="bench/results/counts.json")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    sel = set(filter(None, args.only.split(",")))
    unknown = sel - set(TARGETS) - set(SCENARIO) - set(MEASURES)
    if unknown:
        ap.error(f"--only: unknown {', '.join(sorted(unknown))}")

    def want(group, x):
        return not (sel & set(group)) or x in sel
    meshroute = os.path.abspath(args.meshroute)
    if want(TARGETS, "meshroute") and not os.access(meshroute, os.X_OK):
        ap.error(f"{meshroute} is not there: bash scripts/build.sh release")
    raise_fd_limit(args.connections)
    started = time.monotonic()
    work = tempfile.mkdtemp(prefix="meshroute-counts-")
    backend, backends = start_backend(work)
    results = {t: {} for t in TARGETS if want(TARGETS, t)}

    def with_proxy(target, scenario, fn, *fn_args, wrap=()):
        p = Proxy(target, scenario, backends, meshroute, work, args.connections, wrap)
        try:
            return fn(p, *fn_args)
        finally:
            p.stop()
    try:
        for b in backends:
            wait_port(b)
        for target in results:
            for key, s in SCENARIO.items():
                if not want(SCENARIO, key):
                    continue
                r = results[target].setdefault(key, {})
                if want(MEASURES, "instructions"):
                    print(f"== {target} ({key}): callgrind, {args.requests} requests", flush=True)
                    r.update(with_proxy(target, s, instructions, args.requests, wrap=CALLGRIND))
                    print(f"   {r['instructions_per_request']:,.0f} instructions/request",
                          flush=True)
                if want(MEASURES, "syscalls"):
                    print(f"== {target} ({key}): strace, {args.requests} requests", flush=True)
                    r.update(with_proxy(target, s, syscalls, args.requests))
                    print(f"   {r['syscalls_per_request']:.2f} system calls/request {r['top']}",
                          flush=True)
            if want(MEASURES, "idle"):
                print(f"== {target}: {args.connections} idle connections, twice", flush=True)
                runs = [with_proxy(target, SCENARIO["a"], idle_connections, args.connections)
                        for _ in range(2)]
                best = min(runs, key=lambda x: x["bytes_per_connection"])
                each = [x["bytes_per_connection"] for x in runs]
                results[target]["idle"] = {**best, "runs": each}
                print(f"   {best['bytes_per_connection']:,.0f} bytes/connection (runs "
                      f"{', '.join(f'{x:,.0f}' for x in each)}), "
                      f"{best['fds_per_connection']:.2f} fds/connection"
                      + (f", {best['heap_bytes_per_connection']:,.0f} heap bytes/connection"
                         if best.get("heap_bytes_per_connection") is not None else ""),
                      flush=True)
    finally:
        backend.send_signal(signal.SIGQUIT)
        backend.wait(20)
        if not os.environ.get("COUNTS_KEEP"):  # COUNTS_KEEP=1 keeps the callgrind dumps
            shutil.rmtree(work, ignore_errors=True)
    meta = {"date": time.strftime("%Y-%m-%d"), "command": " ".join(["python3"] + sys.argv),
            "requests": args.requests, "connections": args.connections,
            "client": "h2load --h1 -c 4 (one request in flight per connection)",
            "duration_s": round(time.monotonic() - started), **machine(),
            "versions": versions(meshroute)}
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    print()
    print_table(results, args.markdown)
    print(f"\nwrote {args.json} ({meta['duration_s']} s)")


if __name__ == "__main__":
    main()
