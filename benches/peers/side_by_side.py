#!/usr/bin/env python3
"""VAE step timings side by side with outside implementations, in alternated rounds.

Each round runs, one after the other on the same machine: the JAX implementation's IWAE step and its
lockstep coupled C-ISIR-DISIR theta-gradient (at each beta asked), the PyTorch implementation's IWAE step
(when its folder is given), and this project's `vae_peer_step` example at each beta (which also times its
own IWAE step). All use the same D (default 20), K = 10, batch 100, L = 10, window (1, 10), cap 1000 and the same `.npz`
parameters. Prints one line per round with the 1-minute load, then a Markdown table of the medians and of
the median per-round ratios, with the date and the machine's load at the start.

    python3 benches/peers/side_by_side.py --jax DIR --params FILE.npz [--torch DIR] [--rounds 3]
        [--beta 0.9 --beta 0] [--python-jax PY] [--python-torch PY]

DIR is an outside implementation's folder (its `vae_peer.py` is run with its documented flags); PY is the
Python interpreter of that implementation's environment (default: `python3`). Nothing is installed.
Run from the project's root; MNIST must be in `$UCG_DATA_DIR/mnist` or `data/mnist` (`cargo xtask data
mnist`). Logs go to `results/peers/`.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def run(cmd, log, env=None):
    """Runs `cmd` (a list), writes its output to `log`, returns the output; stops on failure."""
    with open(log, "w") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, timeout=3600)
    with open(log) as f:
        text = f.read()
    if r.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed (status {r.returncode}); see {log}:\n{text[-600:]}")
    return text


def last_json(path):
    with open(path) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def number(pattern, text, what, log):
    m = re.search(pattern, text)
    if m is None:
        sys.exit(f"error: no {what} in {log}")
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jax", required=True, help="folder of the JAX implementation (vae_peer.py)")
    ap.add_argument("--torch", help="folder of the PyTorch implementation (vae_peer.py)")
    ap.add_argument("--params", required=True, help=".npz parameters for both (latent dimension D)")
    ap.add_argument("--latent", type=int, default=20, help="D of the parameters (default 20)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--beta", type=float, action="append", help="coupled steps' beta (repeatable)")
    ap.add_argument("--python-jax", default="python3")
    ap.add_argument("--python-torch", default="python3")
    args = ap.parse_args()
    betas = args.beta or [0.9, 0.0]
    if args.rounds < 1:
        sys.exit("error: --rounds must be at least 1")
    for b in betas:
        if not 0.0 <= b < 1.0:
            sys.exit(f"error: --beta {b} is outside [0, 1)")
    data = os.environ.get("UCG_DATA_DIR", "data")
    mnist = os.path.join(data, "mnist")
    if not os.path.isdir(mnist):
        sys.exit(f"error: no MNIST in {mnist}: run `cargo xtask data mnist` first")
    out = os.path.join("results", "peers")
    os.makedirs(out, exist_ok=True)
    subprocess.run(["cargo", "build", "-q", "--release", "-p", "ucg-benches", "--example", "vae_peer_step"],
                   check=True)
    ours_bin = os.path.join("target", "release", "examples", "vae_peer_step")
    jax_peer = os.path.join(args.jax, "vae_peer.py")
    torch_peer = os.path.join(args.torch, "vae_peer.py") if args.torch else None

    started = time.strftime("%Y-%m-%d %H:%M", time.gmtime())
    print(f"start {started} UTC, 1-minute load {load():.2f}, {os.cpu_count()} cores")
    rounds = []
    for r in range(args.rounds):
        row = {"load": load()}
        jl = os.path.join(out, f"jax-iwae-{r}.jsonl")
        run([args.python_jax, jax_peer, "--mode", "iwae-step", "--latent", str(args.latent), "--params",
             args.params, "--mnist", mnist, "--steps", "200", "--json", jl], os.path.join(out, f"jax-iwae-{r}.log"))
        row["jax_iwae_ms"] = last_json(jl)["median_ms"]
        if torch_peer:
            tl = os.path.join(out, f"torch-iwae-{r}.jsonl")
            run([args.python_torch, torch_peer, "--latent", str(args.latent), "--steps", "200", "--threads", "2", "--no-gemm",
                 "--json", tl], os.path.join(out, f"torch-iwae-{r}.log"))
            row["torch_iwae_ms"] = last_json(tl)["sec_per_step"] * 1e3
        for b in betas:
            log = os.path.join(out, f"ours-b{b}-{r}.log")
            text = run([ours_bin, args.params, str(b), "1"], log)
            row[f"ours_b{b}_s"] = number(r"coupled step: median ([0-9.]+) s", text, "coupled step", log)
            row["ours_iwae_ms"] = 1e3 * number(r"IWAE step \(forward \+ backward[^)]*\): median ([0-9.]+) s",
                                               text, "IWAE step", log)
            cl = os.path.join(out, f"jax-coupled-b{b}-{r}.jsonl")
            run([args.python_jax, jax_peer, "--mode", "coupled-step", "--latent", str(args.latent), "--params", args.params,
                 "--mnist", mnist, "--beta", str(b), "--reps", "1", "--json", cl],
                os.path.join(out, f"jax-coupled-b{b}-{r}.log"))
            row[f"jax_b{b}_s"] = last_json(cl)["median_s"]
        rounds.append(row)
        parts = [f"IWAE ms: JAX {row['jax_iwae_ms']:.1f}"]
        if torch_peer:
            parts.append(f"PyTorch {row['torch_iwae_ms']:.1f}")
        parts.append(f"ours {row['ours_iwae_ms']:.1f}")
        for b in betas:
            parts.append(f"coupled β={b} s: JAX {row[f'jax_b{b}_s']:.2f} ours {row[f'ours_b{b}_s']:.2f}")
        print(f"round {r + 1}: " + "; ".join(parts) + f" (load {row['load']:.2f})", flush=True)

    def med(key):
        return statistics.median(row[key] for row in rounds)

    def ratio(num, den):
        per = [row[num] / row[den] for row in rounds]
        return statistics.median(per), min(per), max(per)

    print()
    loads = ", ".join("%.2f" % row["load"] for row in rounds)
    print(f"Side by side, {args.rounds} alternated rounds, started {started} UTC "
          f"(1-minute load at each round's start: {loads}).")
    print()
    print(f"| D = {args.latent}, K = 10, batch 100 | JAX | PyTorch | ucg | JAX / ucg (median of rounds; range) |")
    print("|---|--:|--:|--:|--:|")
    torch_cell = f"{med('torch_iwae_ms'):.1f} ms" if torch_peer else "–"
    r = ratio("jax_iwae_ms", "ours_iwae_ms")
    print(f"| IWAE step | {med('jax_iwae_ms'):.1f} ms | {torch_cell} | {med('ours_iwae_ms'):.1f} ms | "
          f"{r[0]:.2f}× ({r[1]:.2f}–{r[2]:.2f}) |")
    for b in betas:
        r = ratio(f"jax_b{b}_s", f"ours_b{b}_s")
        print(f"| C-ISIR-DISIR θ-gradient, β = {b}, L = 10, cap 1,000 | {med(f'jax_b{b}_s'):.2f} s | – | "
              f"{med(f'ours_b{b}_s'):.2f} s | **{r[0]:.1f}×** ({r[1]:.1f}–{r[2]:.1f}) |")


if __name__ == "__main__":
    main()
