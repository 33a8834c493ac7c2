"""What Prefect costs a small run: an unchanged `newsdesk run --all` over the demo newsroom
(every feed answers 304 or unchanged, no page is fetched), cold (no Prefect server: the
run starts its own) and with a Prefect server already up, next to `python -c "import
prefect"`, all measured in this one run.

    .venv/bin/python bench/overhead.py [--repeats 3]

Wall time is the process's start to exit; CPU is user + system of the process and every
process it waited for (Prefect's temporary server included). With a server up, that
server's own CPU during the run is printed separately. Figures are medians.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import ports  # noqa: E402
from flows.demo.site import Newsroom  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="Runs of each case (the median is printed).")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="newsdesk-overhead-"))
    env = _clean_env(work / "state")
    rows = [("python -c 'import prefect'", *_median(args.repeats, [sys.executable, "-c", "import prefect"], env))]
    with Newsroom() as room:
        sources = _write_sources(work, room)
        run = [str(Path(sys.executable).parent / "newsdesk"), "run", "--all", "--sources", str(sources)]
        _measure(run, env)  # loads the demo: every later run is unchanged
        rows.append(("unchanged run, cold", *_median(args.repeats, run, env)))
        from flows.serve import local_prefect_server

        with local_prefect_server(ports.free_port()) as api:
            server = _server_process(api)
            before = _cpu(server)
            warm = _median(args.repeats, run, {**env, "PREFECT_API_URL": api})
            server_cpu = (_cpu(server) - before) / args.repeats
            rows.append(("unchanged run, server up", *warm))
    base = rows[0][1]
    print(f"\n{'case':<28} {'wall s':>7} {'CPU s':>7} {'wall / import':>14}")
    for name, wall, cpu in rows:
        print(f"{name:<28} {wall:7.2f} {cpu:7.2f} {wall / base:13.1f}x")
    print(f"(the Prefect server's own CPU per run with the server up: {server_cpu:.2f} s)")


def _median(repeats: int, command: list[str], env: dict[str, str]) -> tuple[float, float]:
    samples = [_measure(command, env) for _ in range(repeats)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def _measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _clean_env(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSDESK_"))}
    return {**env, "NEWSDESK_STATE_DIR": str(state)}


def _write_sources(work: Path, room: Newsroom) -> Path:
    path = work / "sources.yaml"
    settings = {"warehouse": str(work / "news.duckdb"), "allow_private_networks": True, "min_delay_seconds": 0}
    path.write_text(yaml.safe_dump({"settings": settings, "sources": room.sources()}), encoding="utf-8")
    return path


def _server_process(api: str) -> psutil.Process:
    port = int(api.rsplit(":", 1)[1].split("/")[0])
    for connection in psutil.net_connections("tcp"):
        if connection.laddr.port == port and connection.status == psutil.CONN_LISTEN and connection.pid:
            return psutil.Process(connection.pid)
    raise SystemExit(f"no process listens on port {port}")


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


if __name__ == "__main__":
    main()
