"""Turns bench/results/compare.json into the tables of docs/benchmarks.md (between the
compare:begin / compare:end markers) and a chart (docs/bench-compare.png).
Usage: /usr/bin/python3 bench/compare/report.py [JSON] [DOC] [PNG]"""
import json
import sys

TARGETS = ("direct", "meshroute", "nginx", "haproxy")


def fmt_range(r, digits=0, scale=1.0):
    if r is None:
        return "-"
    m, lo, hi = (v * scale for v in r)
    return f"{m:,.{digits}f} ({lo:,.{digits}f}-{hi:,.{digits}f})"


def render(data):
    meta = data["meta"]
    v = meta["versions"]
    out = [f"Measured {meta['date']} on {meta['cpus']} CPUs (kernel {meta['machine']}); "
           f"{meta['runs']} runs of {meta['duration_s']} s per target, alternating, after a "
           f"1 s warm-up; median (min-max). {v['meshroute']}, {v['nginx']}, "
           f"{v['haproxy']}, {v['wrk']}. Proxy pinned to CPU 1 with one worker; backend (nginx) "
           "and wrk (1 thread, 32 keep-alive connections) on CPU 0; access logs off.", ""]
    for key, sc in data["results"].items():
        if "reload" in sc:
            out.append(f"### {sc['title']}")
            out.append("")
            out.append("| target | requests | failed (socket errors + non-2xx) | reloads seen | "
                       "median time to serve a change |")
            out.append("|---|---|---|---|---|")
            for n, r in sc["reload"].items():
                ms = f"{r['reload_ms']:.0f} ms" if r["reload_ms"] is not None else "-"
                out.append(f"| {n} | {r['requests']:,} | {r['errors'] + r['non2xx']:,} | "
                           f"{r['reloads']} of 100 | {ms} |")
            out.append("")
            continue
        t = sc["targets"]
        out.append(f"### {sc['title']}")
        out.append("")
        probes = [p for p in next(iter(t.values())) if p not in
                  ("idle_rss_kb", "peak_rss_kb", "split_a", "ready_s")]
        out.append("| probe | target | req/s | proxy CPU-µs/request | errors |")
        out.append("|---|---|---|---|---|")
        for p in probes:
            for name in TARGETS:
                if name not in t:
                    continue
                e = t[name][p]
                out.append(f"| {p} | {name} | {fmt_range(e['rps'])} | {fmt_range(e['cpu_us'], 1)} "
                           f"| {e['errors'] + e['non2xx'] if p != 'miss' else '404s expected'} |")
        lat = [(n, t[n]["all"].get("latency_us")) for n in TARGETS if n in t and "all" in t[n]]
        if any(l for _, l in lat):
            out.append("")
            out.append("Latency at a fixed 1,000 requests/s (wrk, 1 connection paced at 1 ms), µs:")
            out.append("")
            out.append("| target | p50 | p90 | p99 | p99.9 | added p99 over direct |")
            out.append("|---|---|---|---|---|---|")
            direct99 = dict(lat).get("direct", {}) or {}
            d99 = direct99.get("99")[0] if direct99.get("99") else None
            for n, l in lat:
                if not l:
                    continue
                added = f"{l['99'][0] - d99:,.0f}" if d99 is not None and n != "direct" else "-"
                out.append(f"| {n} | {l['50'][0]:,.0f} | {l['90'][0]:,.0f} | {l['99'][0]:,.0f} "
                           f"| {l['99.9'][0]:,.0f} | {added} |")
        rss = [(n, t[n].get("idle_rss_kb"), t[n].get("peak_rss_kb")) for n in TARGETS
               if n in t and t[n].get("idle_rss_kb")]
        if rss:
            out.append("")
            out.append("RSS, MB (idle / peak): " + ", ".join(
                f"{n} {i / 1024:.1f} / {p / 1024:.1f}" for n, i, p in rss))
        ready = [(n, t[n]["ready_s"]) for n in TARGETS if n in t and t[n].get("ready_s")]
        if ready:
            out.append("")
            out.append("Time from start to the last host answering: " +
                       ", ".join(f"{n} {r:.2f} s" for n, r in ready))
            base = data["results"].get("a1k", {}).get("targets", {})
            units = sc.get("units")
            if units and base:
                per = []
                for n, _, p in rss:
                    b = base.get(n, {}).get("idle_rss_kb")
                    if b:
                        per.append(f"{n} {(p - b) * 1024 / units[1]:,.0f}")
                if per:
                    out.append("")
                    out.append(f"Peak RSS above the plain proxy's idle RSS, bytes per {units[0]}: "
                               + ", ".join(per))
        split = [(n, t[n]["split_a"]) for n in TARGETS if n in t and "split_a" in t[n]]
        if split:
            out.append("")
            out.append("Share of 2,000 requests answered by the 80% backend: " +
                       ", ".join(f"{n} {s * 100:.1f}%" for n, s in split))
        out.append("")
    return "\n".join(out)


def chart(data, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = []
    for key, sc in data["results"].items():
        for p, e in sc.get("targets", {}).get("meshroute", {}).items():
            if isinstance(e, dict) and e.get("cpu_us"):
                rows.append((f"{key} {p}".strip(), key, p))
    names = ("meshroute", "nginx", "haproxy")
    fig, ax = plt.subplots(figsize=(max(8, len(rows) * 0.9), 4.5))
    width = 0.27
    for i, n in enumerate(names):
        vals = []
        for label, key, p in rows:
            e = data["results"][key]["targets"].get(n, {}).get(p)
            vals.append(e["cpu_us"][0] if e and e.get("cpu_us") else 0)
        ax.bar([x + (i - 1) * width for x in range(len(rows))], vals, width, label=n)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r[0] for r in rows], rotation=30, ha="right")
    # Log scale: the ordered route scans of the peers cost hundreds of times the plain request,
    # and on a linear axis every other bar would be flat.
    ax.set_yscale("log")
    ax.grid(axis="y", which="both", alpha=0.3)
    ax.set_ylabel("proxy CPU-µs per request, log scale (lower is better)")
    ax.set_title("meshroute vs nginx vs HAProxy, one worker, same machine")
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "bench/results/compare.json"
    doc = sys.argv[2] if len(sys.argv) > 2 else "docs/benchmarks.md"
    png = sys.argv[3] if len(sys.argv) > 3 else "docs/bench-compare.png"
    with open(src) as f:
        data = json.load(f)
    with open(doc) as f:
        text = f.read()
    begin, end = "<!-- compare:begin -->", "<!-- compare:end -->"
    body = render(data)
    if begin in text:
        head = text[:text.index(begin) + len(begin)]
        tail = text[text.index(end):]
        text = head + "\n" + body + "\n" + tail
    else:
        text += f"\n{begin}\n{body}\n{end}\n"
    with open(doc, "w") as f:
        f.write(text)
    chart(data, png)
    print(f"updated {doc} and {png}")


if __name__ == "__main__":
    main()
