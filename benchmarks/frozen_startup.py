"""The frozen app (dist/CareLetter/ from `make dist`): size, start-up and self-check times.

    python benchmarks/frozen_startup.py [--runs 5]

Prints the bundle's size unpacked and as its archive, the time of `careletter-cli --version` (target <= 1 s),
of `careletter-cli self-check`, and from launching `CareLetter` until its window is shown offscreen
(target <= 2 s; the app reports the moment through DESKTOP_APP_STARTUP_PROBE). Each figure is the median of
--runs launches, with a fresh data folder each time. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist" / "CareLetter"
EXE = ".exe" if os.name == "nt" else ""
TARGETS = {"bundle_mb": 560, "archive_mb": 260, "version_s": 1.0, "window_s": 2.0}


def size_mb(folder: Path) -> float:
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        total += sum(os.lstat(os.path.join(dirpath, f)).st_size for f in files)
    return total / 2**20


def env_with_data(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(DESKTOP_APP_DATA_DIR=tempfile.mkdtemp(prefix="careletter-bench-"), QT_QPA_PLATFORM="offscreen", **extra)
    return env


def _children_cpu() -> float:
    try:
        import resource  # Unix only
    except ImportError:
        return float("nan")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


CPU: dict[str, list[float]] = {}  # CPU seconds of each launch: less sensitive than wall time to a busy machine


def time_cli(*args: str) -> tuple[float, str]:
    env = env_with_data()
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run([str(DIST / f"careletter-cli{EXE}"), *args], capture_output=True, text=True,
                          encoding="utf-8", env=env)
    seconds = time.perf_counter() - t0
    CPU.setdefault(args[0], []).append(_children_cpu() - cpu0)
    if proc.returncode != 0:
        raise SystemExit(f"careletter-cli {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return seconds, proc.stdout


def time_window() -> float:
    probe = Path(tempfile.mkdtemp(prefix="careletter-probe-")) / "probe.json"
    env = env_with_data(DESKTOP_APP_STARTUP_PROBE=str(probe))
    cpu0, t0 = _children_cpu(), time.time()  # from launch, as a double-click would see it
    proc = subprocess.run([str(DIST / f"CareLetter{EXE}")], capture_output=True, text=True, env=env, timeout=120)
    CPU.setdefault("window", []).append(_children_cpu() - cpu0)  # the whole process, up to its exit
    if proc.returncode != 0 or not probe.exists():
        raise SystemExit(f"CareLetter failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    info = json.loads(probe.read_text(encoding="utf-8"))
    if not info.get("visible"):
        raise SystemExit("the window was not visible")
    return info["shown_at"] - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not (DIST / f"careletter-cli{EXE}").exists():
        print(f"{DIST} not found: run `make dist` first", file=sys.stderr)
        return 2
    results: dict[str, float] = {"bundle_mb": size_mb(DIST)}
    archives = sorted((ROOT / "dist").glob("CareLetter-*.tar.gz"))
    if archives:
        results["archive_mb"] = archives[-1].stat().st_size / 2**20
    time_cli("--version")  # the first launch after a build pays for a cold file cache; not counted
    CPU.clear()
    results["version_s"] = statistics.median(time_cli("--version")[0] for _ in range(args.runs))
    self_checks = [time_cli("self-check") for _ in range(max(1, args.runs // 2))]
    results["self_check_s"] = statistics.median(s for s, _ in self_checks)
    load_line = next((ln for ln in self_checks[-1][1].splitlines() if "load GiNZA" in ln), "")
    results["window_s"] = statistics.median(time_window() for _ in range(args.runs))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"frozen app: {DIST.relative_to(ROOT)} ({sys.platform}, {os.cpu_count()} CPUs, load {load:.1f}; "
          f"median of {args.runs} runs)")
    labels = {"bundle_mb": ("bundle, unpacked", "MB"), "archive_mb": ("archive (tar.gz)", "MB"),
              "version_s": ("careletter-cli --version", "s"), "self_check_s": ("careletter-cli self-check", "s"),
              "window_s": ("CareLetter window shown", "s")}
    failed = False
    for key, value in results.items():
        label, unit = labels[key]
        target = TARGETS.get(key)
        verdict = "" if target is None else ("  ok" if value <= target else "  OVER")
        failed |= target is not None and value > target
        limit = f"(target <= {target:g} {unit})" if target is not None else ""
        print(f"  {label:<28} {value:8.2f} {unit:<3} {limit}{verdict}")
    if load_line:
        print(f"  of which: {load_line.strip()}")
    cpu = {key: statistics.median(values) for key, values in CPU.items()}
    print("  CPU seconds (user+sys, median): " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
