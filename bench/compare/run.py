"""Side-by-side benchmark: meshroute against nginx and HAProxy, and against no proxy at all
(client straight to the backend: the machine's limit). Every scenario's configurations come
from one description (configs.py). The proxy under test runs alone on CPU 1 with one worker;
the backend and the load generator share CPU 0. Runs alternate between targets (A B C D A B C
D ...) after a warm-up; each figure is the median of the runs with min-max.

Usage: /usr/bin/python3 bench/compare/run.py --meshroute build/release/meshroute
       [--runs 5] [--duration 5] [--only a,b,c] [--out docs/benchmarks.md]"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import configs  # noqa: E402
from configs import Scenario  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PROXY_CPU = "1"
LOAD_CPU = "0"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    end = time.monotonic() + timeout
    delay = 0.01
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return
        except OSError:
            time.sleep(delay)  # polling back-off while a server starts
            delay = min(delay * 2, 0.2)
    raise RuntimeError(f"nothing listens on {port}")


def pids_of(root):
    """The process and its descendants (nginx workers, haproxy workers)."""
    out = [root]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) in out:
                out.append(int(entry))
        except (OSError, IndexError):
            pass
    return out


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total / CLK_TCK


def rss_kb(pids, field="VmRSS"):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith(field + ":"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Target:
    """A proxy (or none) started for one scenario."""

    def __init__(self, name, scenario, backends, meshroute, workdir):
        self.name = name
        self.proc = None
        self.port = backends[0]
        self.host = "backend"
        d = os.path.join(workdir, name)
        os.makedirs(d, exist_ok=True)
        self.dir = d
        if name == "direct":
            return
        self.port = free_port()
        hosts = scenario.kind == "hosts"
        if name == "meshroute":
            with open(os.path.join(d, "mesh.yaml"), "w") as f:
                f.write(configs.meshroute_hosts(scenario, backends) if hosts
                        else configs.meshroute_proxy(scenario, backends))
            self.admin = free_port()
            argv = [meshroute, "run", "-f", d, "--listen", f"127.0.0.1:{self.port}", "--admin",
                    f"127.0.0.1:{self.admin}", "--workers", "1", "--access-log-format", "off"]
        elif name == "nginx":
            conf = os.path.join(d, "nginx.conf")
            with open(conf, "w") as f:
                f.write(configs.nginx_hosts(scenario, d, self.port, backends) if hosts
                        else configs.nginx_proxy(scenario, d, self.port, backends))
            argv = ["nginx", "-p", d, "-c", conf, "-g", "daemon off;"]
        elif name == "haproxy":
            conf = os.path.join(d, "haproxy.cfg")
            with open(conf, "w") as f:
                f.write(configs.haproxy_hosts(scenario, d, self.port, backends) if hosts
                        else configs.haproxy_proxy(scenario, d, self.port, backends))
            argv = ["haproxy", "-W", "-f", conf]
        self.argv = argv
        started = time.monotonic()
        with open(os.path.join(d, "stderr.log"), "w") as err:
            self.proc = subprocess.Popen(["taskset", "-c", PROXY_CPU] + argv,
                                         stdout=subprocess.DEVNULL, stderr=err)
        try:
            wait_port(self.port, timeout=120)
            if hosts:
                # Ready when the last host's route answers: the whole configuration is served.
                last = f"svc{scenario.hosts - 1}"
                path, headers = configs.host_route_request(max(scenario.routes - 1, 0))
                if not poll(lambda: get_status(self.port, path, {"Host": last, **headers}) == 200,
                            timeout=120):
                    raise RuntimeError("the last host never answered 200")
            self.ready_s = time.monotonic() - started
        except RuntimeError:
            with open(os.path.join(d, "stderr.log")) as f:
                raise RuntimeError(f"{name} did not start: {f.read()[-2000:]}") from None

    def pids(self):
        return pids_of(self.proc.pid) if self.proc else []

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM if self.name != "nginx" else signal.SIGQUIT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


PACE_LUA = """
-- One request per millisecond per connection: with -c 1, a fixed 1,000 requests/s.
function delay() return 1 end
"""
REPORT_LUA = """
done = function(summary, latency, requests)
  for _, p in pairs({50, 90, 99, 99.9}) do
    io.write(string.format("P%g %d\\n", p, latency:percentile(p)))
  end
  io.write(string.format("ERRORS %d\\n", summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.status + summary.errors.timeout))
end
"""


def wrk(target, path, headers, duration, connections, script_extra=""):
    script = os.path.join(target.dir, "report.lua")
    with open(script, "w") as f:
        f.write(script_extra + REPORT_LUA)
    argv = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{connections}", f"-d{duration}s",
            "-s", script, "-H", f"Host: {headers.get('Host', target.host)}"]
    for k, v in headers.items():
        if k != "Host":
            argv += ["-H", f"{k}: {v}"]
    argv.append(f"http://127.0.0.1:{target.port}{path}")
    out = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    pct = {m.group(1): int(m.group(2)) for m in re.finditer(r"P([\d.]+) (\d+)", out)}
    errors = int(re.search(r"ERRORS (\d+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "requests": total, "p": pct, "errors": errors,
            "non2xx": int(non2xx.group(1)) if non2xx else 0}


def measure(target, path, headers, duration):
    pids = target.pids()
    cpu0 = cpu_seconds(pids)
    r = wrk(target, path, headers, duration, 32)
    cpu = cpu_seconds(pids) - cpu0
    r["cpu_us"] = cpu * 1e6 / max(r["requests"], 1) if target.proc else None
    return r


def latency_at_1k(target, path, headers, duration):
    return wrk(target, path, headers, duration, 1, PACE_LUA)


def med(values):
    values = [v for v in values if v is not None]
    if not values:
        return None
    return (statistics.median(values), min(values), max(values))


def check_split(target, n=2000):
    counts = {}
    c = http.client.HTTPConnection("127.0.0.1", target.port, timeout=10)
    for _ in range(n):
        c.request("GET", "/", headers={"Host": target.host})
        r = c.getresponse()
        r.read()
        counts[r.getheader("x-backend")] = counts.get(r.getheader("x-backend"), 0) + 1
    c.close()
    return counts.get("a", 0) / n


SCENARIOS = [
    Scenario("a1k", "(a) plain proxy, 1 KiB responses", {"": ("/", {})}),
    Scenario("a64", "(a) plain proxy, 64 B responses", {"": ("/small", {})}),
    Scenario("b", "(b) weighted 80/20 split", {"": ("/", {})}, kind="split"),
    Scenario("c", "(c) header routing among 100 routes",
             {"first": ("/", {"x-route": "r0"}), "50th": ("/", {"x-route": "r49"}),
              "last": ("/", {"x-route": "r99"}), "miss": ("/", {"x-route": "none"})},
             kind="header", routes=100),
    Scenario("d", "(d) regex path routing among 1,000 routes",
             {"first": ("/r0/item", {}), "middle": ("/r499/item", {}),
              "last": ("/r999/item", {}), "miss": ("/none/item", {})},
             kind="regex", routes=1000),
    Scenario("e", "(e) 10,000 routes of mixed kinds (exact, prefix, header, regex) over 1,000 hosts",
             {"first host, first route": ("/j0", {"Host": "svc0"}),
              "last host, last route": ("/j9/x", {"Host": "svc999"})},
             kind="hosts", hosts=1000, routes=10),
    Scenario("h1k", "(h) 1,000 services, each with a DestinationRule and a route",
             {"last service": ("/", {"Host": "svc999"})}, kind="hosts", hosts=1000, routes=1),
    Scenario("h10k", "(h) 10,000 services, each with a DestinationRule and a route",
             {"last service": ("/", {"Host": "svc9999"})}, kind="hosts", hosts=10000, routes=1),
]


def children(pid):
    return sorted(p for p in pids_of(pid) if p != pid)


def reload_under_load(target, backends, duration, count=100):
    """(g): `count` configuration changes while wrk saturates the proxy. Returns wrk's errors and
    non-2xx answers and the median time from a change to the proxy serving it."""
    script = os.path.join(target.dir, "report.lua")
    with open(script, "w") as f:
        f.write(REPORT_LUA)
    wrk_proc = subprocess.Popen(
        ["taskset", "-c", LOAD_CPU, "wrk", "-t1", "-c32", f"-d{duration}s", "-s", script, "-H",
         f"Host: {target.host}", f"http://127.0.0.1:{target.port}/"],
        stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)  # let the load reach steady state before the first change
    waits = []
    for i in range(count):
        start = time.monotonic()
        if target.name == "meshroute":
            before = json.loads(admin_get(target.admin, "/config_dump"))["version"]
            split = (100, 0) if i % 2 else (0, 100)
            tmp = os.path.join(target.dir, ".mesh.yaml.tmp")
            with open(tmp, "w") as f:
                f.write(configs.meshroute_proxy(Scenario("g", "g", {}, kind="split"), backends, split))
            os.rename(tmp, os.path.join(target.dir, "mesh.yaml"))
            ok = poll(lambda: json.loads(admin_get(target.admin, "/config_dump"))["version"] > before)
        else:
            workers = children(target.proc.pid)
            master = target.proc.pid
            os.kill(master, signal.SIGHUP if target.name == "nginx" else signal.SIGUSR2)
            ok = poll(lambda: children(master) and not set(children(master)) & set(workers)
                      or len(children(master)) > len(workers))
        if ok:
            waits.append(time.monotonic() - start)
    out = wrk_proc.communicate(timeout=duration + 60)[0]
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = int(re.search(r"ERRORS (\d+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests": total, "errors": errors, "non2xx": int(non2xx.group(1)) if non2xx else 0,
            "reloads": len(waits),
            "reload_ms": statistics.median(waits) * 1000 if waits else None}


def get_status(port, path, headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def admin_get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        return c.getresponse().read().decode()
    finally:
        c.close()


def poll(pred, timeout=10.0):
    end = time.monotonic() + timeout
    delay = 0.002
    while time.monotonic() < end:
        try:
            if pred():
                return True
        except (OSError, ValueError, http.client.HTTPException):
            pass
        time.sleep(delay)  # polling back-off while the proxy reloads
        delay = min(delay * 2, 0.05)
    return False


def start_backend(work):
    """The backend every scenario proxies to (nginx answering 1 KiB) on LOAD_CPU: the process
    and its two ports."""
    backends = [free_port(), free_port()]
    bdir = os.path.join(work, "backend")
    os.makedirs(bdir)
    with open(os.path.join(bdir, "nginx.conf"), "w") as f:
        f.write(configs.backend_nginx(bdir, backends))
    proc = subprocess.Popen(["taskset", "-c", LOAD_CPU, "nginx", "-p", bdir, "-c",
                             os.path.join(bdir, "nginx.conf"), "-g", "daemon off;"])
    return proc, backends


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meshroute", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--only", default="")
    ap.add_argument("--json", default="bench/results/compare.json")
    args = ap.parse_args()
    meshroute = os.path.abspath(args.meshroute)
    work = tempfile.mkdtemp(prefix="meshroute-bench-")
    backend, backends = start_backend(work)
    results = {}
    try:
        for b in backends:
            wait_port(b)
        for s in SCENARIOS:
            if args.only and s.name not in args.only.split(","):
                continue
            print(f"== {s.title}", flush=True)
            targets = {}
            try:
                for name in ("direct", "meshroute", "nginx", "haproxy"):
                    if s.kind != "plain" and name == "direct":
                        continue  # the backend itself does no routing
                    targets[name] = Target(name, s, backends, meshroute, work)
                res = {name: {"idle_rss_kb": rss_kb(t.pids()) if t.proc else None}
                       for name, t in targets.items()}
                if s.kind == "hosts":
                    for name, t in targets.items():
                        res[name]["ready_s"] = t.ready_s
                if s.kind == "split":
                    for name, t in targets.items():
                        res[name]["split_a"] = check_split(t)
                for probe, (path, headers) in s.probes.items():
                    for t in targets.values():  # warm-up
                        wrk(t, path, headers, 1, 32)
                    runs = {name: [] for name in targets}
                    for _ in range(args.runs):
                        for name, t in targets.items():
                            runs[name].append(measure(t, path, headers, args.duration))
                    lat = {name: [] for name in targets}
                    if s.name == "a1k":
                        for _ in range(args.runs):
                            for name, t in targets.items():
                                lat[name].append(latency_at_1k(t, path, headers, args.duration))
                    for name in targets:
                        r = runs[name]
                        entry = {
                            "rps": med([x["rps"] for x in r]),
                            "cpu_us": med([x["cpu_us"] for x in r]),
                            "errors": sum(x["errors"] for x in r),
                            "non2xx": sum(x["non2xx"] for x in r),
                        }
                        if lat[name]:
                            entry["latency_us"] = {p: med([x["p"].get(p) for x in lat[name]])
                                                   for p in ("50", "90", "99", "99.9")}
                        res[name][probe or "all"] = entry
                        print(f"   {probe or 'all':7} {name:10} {entry['rps'][0]:>10.0f} req/s"
                              + (f"  {entry['cpu_us'][0]:6.1f} CPU-us/req" if entry["cpu_us"] else ""),
                              flush=True)
                for name, t in targets.items():
                    res[name]["peak_rss_kb"] = rss_kb(t.pids(), "VmHWM") if t.proc else None
            finally:
                for t in targets.values():
                    t.stop()
            results[s.name] = {"title": s.title, "targets": res}
            if s.kind == "hosts":
                # What the memory figures are divided by: routes in (e), services in (h).
                results[s.name]["units"] = (("route", s.hosts * s.routes) if s.routes > 1
                                            else ("service", s.hosts))
        if not args.only or "g" in args.only.split(","):
            print("== (g) 100 configuration changes under load", flush=True)
            g = Scenario("g", "(g) reload under load", {}, kind="split")
            res = {}
            for name in ("meshroute", "nginx", "haproxy"):
                t = Target(name, g, backends, meshroute, work)
                try:
                    res[name] = reload_under_load(t, backends, max(args.duration * 4, 20))
                finally:
                    t.stop()
                print(f"   {name:10} {res[name]}", flush=True)
            results["g"] = {"title": g.title, "reload": res}
    finally:
        backend.send_signal(signal.SIGQUIT)
        backend.wait(20)
        shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.dirname(args.json), exist_ok=True)
    meta = {"machine": os.uname().release, "cpus": os.cpu_count(), "runs": args.runs,
            "duration_s": args.duration, "date": time.strftime("%Y-%m-%d"),
            "versions": versions(meshroute)}
    with open(args.json, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=2)
    print(f"wrote {args.json}")


def versions(meshroute):
    def first(argv):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    return {"meshroute": first([meshroute, "--version"]), "nginx": first(["nginx", "-v"]),
            "haproxy": first(["haproxy", "-v"]), "wrk": first(["wrk", "-v"])}


if __name__ == "__main__":
    main()
