#!/usr/bin/env python3
"""Prints the side-by-side table of Benchmarks/run.sh from its JSON lines."""
import json
import sys

PEAK_PER_CORE = 100.0  # GFLOP/s: 2.5 GHz x 2 FMA units x 8 lanes x 2 flops, as measured here


def main():
    path = sys.argv[1]
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
    rows = [json.loads(line) for line in open(path) if line.strip().startswith("{")]

    def best(engine):
        """The fastest of the repeated runs of each (model, mode), with the range seen."""
        result = {}
        for r in rows:
            if r["engine"] != engine:
                continue
            key = (r["model"], r["mode"])
            seen = result.setdefault(key, dict(r, runs=[]))
            seen["runs"].append(r["images_per_second"])
            if r["images_per_second"] >= max(seen["runs"]):
                seen.update({k: v for k, v in r.items()})
        return result

    ours, peer = best("transferscope"), best("pytorch")
    print(f"{'model':10} {'mode':8} {'Transferscope img/s':>20} {'PyTorch img/s':>14} {'ratio':>6} "
          f"{'GFLOP/s':>8} {'% FMA peak':>10} {'RSS MB ours':>12} {'RSS MB torch':>12}")
    for key in ours:
        o, p = ours[key], peer.get(key)
        ratio = o["images_per_second"] / p["images_per_second"] if p else float("nan")
        print(f"{key[0]:10} {key[1]:8} {o['images_per_second']:20.1f} {p['images_per_second'] if p else float('nan'):14.1f} "
              f"{ratio:6.2f} {o['gflops']:8.1f} {100 * o['gflops'] / (PEAK_PER_CORE * threads):9.1f}% "
              f"{o['peak_rss_mb']:12.0f} {p['peak_rss_mb'] if p else float('nan'):12.0f}")
    for key in ours:
        o, p = ours[key], peer.get(key)
        spread = lambda r: f"{min(r['runs']):.1f}-{max(r['runs']):.1f}"
        print(f"  {key[0]} {key[1]}: Transferscope runs {spread(o)}" + (f", PyTorch runs {spread(p)}" if p else ""))
    if peer:
        print(f"(best of the repeated runs; PyTorch {next(iter(peer.values()))['torch']}, channels-last; FMA peak {PEAK_PER_CORE:.0f} GFLOP/s per core x {threads})")


if __name__ == "__main__":
    main()
