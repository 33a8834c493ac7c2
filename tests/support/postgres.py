"""A throwaway PostgreSQL server for one test session: initdb, start on a private socket, stop."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.loopback import free_port


class NoPostgres(RuntimeError):
    """No PostgreSQL server binaries here (`make postgres` installs Debian's)."""


def find_bin(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if found is None:
        raise NoPostgres(f"no {name} on PATH or in /usr/lib/postgresql/*/bin (`make postgres` installs it)")
    return found


@contextmanager
def throwaway() -> Iterator[str]:
    """Yield a libpq connection string to a fresh server; its files go when it stops. They live
    in a folder of their own: the server's user must reach them, and pytest's are private."""
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    folder = Path(tempfile.mkdtemp(prefix="newsdesk-pg-"))
    data, socket = folder / "data", folder / "socket"
    for made in (data, socket):
        made.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(made, "postgres")
    os.chmod(folder, 0o755)
    port = free_port()
    _as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"])
    _as_postgres(
        [
            pg_ctl,
            "-D",
            str(data),
            "-w",
            "-l",
            str(socket / "server.log"),
            "-o",
            f"-k {socket} -p {port} -c listen_addresses='' -c fsync=off",
            "start",
        ]
    )
    try:
        yield f"dbname=postgres host={socket} port={port} user=postgres"
    finally:
        _as_postgres([pg_ctl, "-D", str(data), "-m", "immediate", "stop"])
        shutil.rmtree(folder, ignore_errors=True)


def _as_postgres(command: list[str]) -> None:
    """initdb refuses to run as root: as root, run it as the `postgres` user."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
