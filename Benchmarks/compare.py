#!/usr/bin/env python3
"""Prints the side-by-side table of Benchmarks/run.sh from its JSON lines."""
import json
import sys


def main():
    path = sys.argv[1]
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 2
    rows = [json.loads(line) for line in open(path) if line.strip().startswith("{")]
    machine = [r for r in rows if r["mode"] == "gemm"]
    rows = [r for r in rows if r["mode"] != "gemm"]
    ours_gemm = max((r for r in machine if r["engine"] == "transferscope"), key=lambda r: r["sgemm_gflops"], default=None)
    peer_gemm = max((r for r in machine if r["engine"] == "pytorch"), key=lambda r: r["sgemm_gflops"], default=None)
    # The FMA peak is measured on this machine (AVX-512 and AVX2 differ by 2x; no constant fits all).
    peak_all = ours_gemm["fma_peak_gflops_all"] if ours_gemm else float("nan")
    if ours_gemm:
        g = ours_gemm
        print(f"machine: FMA peak {g['fma_peak_gflops']:.1f} GFLOP/s on one core, {g['fma_peak_gflops_all']:.1f} on {g['threads']} "
              f"({g['vector_bits']}-bit vectors, measured); BLAS {g['blas']}")
        line = (f"sgemm 1024^3 through the engine's BLAS path: {g['sgemm_gflops']:.1f} GFLOP/s on one core "
                f"({100 * g['sgemm_gflops'] / g['fma_peak_gflops']:.0f}% of peak), {g['sgemm_gflops_all']:.1f} on {g['threads']} "
                f"({100 * g['sgemm_gflops_all'] / g['fma_peak_gflops_all']:.0f}%)")
        if peer_gemm:
            line += f"; PyTorch torch.mm {peer_gemm['sgemm_gflops']:.1f} on one core, {peer_gemm['sgemm_gflops_all']:.1f} on {g['threads']}"
        print(line)

    def best(engine):
        """The fastest of the repeated runs of each (model, mode), with the range seen."""
        result = {}
        for r in rows:
            if r["engine"] != engine:
                continue
            key = (r["model"], r["mode"], r.get("isa", "avx512"))
            seen = result.setdefault(key, dict(r, runs=[]))
            seen["runs"].append(r["images_per_second"])
            if r["images_per_second"] >= max(seen["runs"]):
                seen.update({k: v for k, v in r.items()})
        return result

    ours, peer = best("transferscope"), best("pytorch")
    print(f"{'model':12} {'mode':8} {'vectors':7} {'Transferscope img/s':>20} {'PyTorch img/s':>14} {'ratio':>6} "
          f"{'GFLOP/s':>8} {'% FMA peak':>10} {'RSS MB ours':>12} {'RSS MB torch':>12}")
    for key in ours:
        o, p = ours[key], peer.get(key)
        ratio = o["images_per_second"] / p["images_per_second"] if p else float("nan")
        # AVX2 rows against the AVX2 peak: half the 512-bit one, where the peak was measured with 512-bit vectors.
        peak = peak_all / 2 if key[2] == "avx2" and ours_gemm and ours_gemm["vector_bits"] == 512 else peak_all
        print(f"{key[0]:12} {key[1]:8} {key[2]:7} {o['images_per_second']:20.1f} {p['images_per_second'] if p else float('nan'):14.1f} "
              f"{ratio:6.2f} {o['gflops']:8.1f} {100 * o['gflops'] / peak:9.1f}% "
              f"{o['peak_rss_mb']:12.0f} {p['peak_rss_mb'] if p else float('nan'):12.0f}")
    for key in ours:
        o, p = ours[key], peer.get(key)
        spread = lambda r: f"{min(r['runs']):.1f}-{max(r['runs']):.1f}"
        print(f"  {key[0]} {key[1]} {key[2]}: Transferscope runs {spread(o)}" + (f", PyTorch runs {spread(p)}" if p else ""))
    if peer:
        print(f"(best of the repeated runs; PyTorch {next(iter(peer.values()))['torch']}, channels-last; % of the FMA peak measured on {threads} threads)")


if __name__ == "__main__":
    main()
