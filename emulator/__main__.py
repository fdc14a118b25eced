"""``python -m emulator --host 127.0.0.1 --port 8080 [--db PATH] [--users FILE] [--site FILE]``.

Deployed mode (``emulator.site``): ``--site FILE`` describes a customer's server (control plane on or
off, retention, preloaded recordings, users, standing calls); ``--no-control-plane``,
``--retention-days N`` and ``--preload N`` set the same things and override the file. Without any of
them the emulator is exactly the plain one.

Runs on uvicorn with uvloop and httptools (about 4x the req/s of the defaults on one core), through
``emulator.connection_guard`` (request-head limits and read deadlines), which also sends each answer in
one write (``emulator.coalescing_transport``). The access log writes one line per request; it never
includes headers, so credentials are not logged, and its records skip the caller, thread and process
lookups no line prints (``emulator.lean_logging``).

``--exit-with-parent [PID]``: the emulator shuts down when its parent process (or PID) is gone, so a
launcher killed with SIGKILL cannot leave it holding its port and database.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from emulator.app import create_app
from emulator.auth import UserExistsError, UserSetupError
from emulator.connection_guard import GuardedHttpToolsProtocol
from emulator.lean_logging import lighten_log_records
from emulator.site import Site, SiteError, load_site


def _load_users(path: str | None) -> list[dict[str, Any]]:
    if path is None:
        return []
    try:
        users = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"emulator: cannot read users file {path}: {exc}") from None
    if not isinstance(users, list):
        raise SystemExit(f"emulator: users file {path} must hold a JSON list of user bodies")
    return users


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0: {value}")
    return value


def _site(args: argparse.Namespace) -> Site | None:
    """The site file with the flags applied over it; ``None`` when neither is given (plain emulator)."""
    flags = args.no_control_plane or args.retention_days is not None or args.preload is not None
    if args.site is None and not flags:
        return None
    site = Site()
    if args.site is not None:
        try:
            site = load_site(args.site)
        except SiteError as exc:
            raise SystemExit(f"emulator: site file {args.site}: {exc}") from None
    if args.no_control_plane:
        site.control_plane = False
    if args.retention_days is not None:
        site.retention_days = args.retention_days
    if args.preload is not None:
        site.preload_recordings = args.preload
    return site


PARENT_POLL_S = 0.2
SHUTDOWN_GRACE_S = 5
"""How long a shutdown waits for requests in flight (uvicorn's default is forever); then it is forced."""


def _exit_with_parent(parent: int) -> None:
    """Shut down gracefully once ``parent`` is no longer this process's parent, in a daemon thread.

    Why polling ``os.getppid()`` and not Linux's ``prctl(PR_SET_PDEATHSIG)``: the death signal fires
    when the *thread* that started the child ends, not the process, so a launcher that starts the
    emulator from a worker thread would kill it early; it also needs a ``preexec_fn`` (unsafe in a
    threaded parent) or ctypes, and exists on Linux only. A re-parented process sees its parent pid
    change on every POSIX system, whatever killed the parent; a poll every 0.2 s costs nothing.
    The shutdown is uvicorn's own (SIGTERM to itself); if it hangs, the process exits regardless.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        print(f"emulator: parent process {parent} is gone; shutting down", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(SHUTDOWN_GRACE_S + 5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    parser.add_argument("--port", type=int, default=8080, help="TCP port (default 8080)")
    parser.add_argument("--db", default=":memory:", help="SQLite file for recordings (default :memory:)")
    parser.add_argument("--users", default=None, help="JSON list of user bodies seeded at start-up")
    parser.add_argument("--site", default=None, help="TOML site file: deployed mode (see emulator.site)")
    parser.add_argument(
        "--no-control-plane", action="store_true", help="every /_emulator path is 404, as on a real server"
    )
    parser.add_argument("--retention-days", type=_non_negative, default=None, help="the server's retention")
    parser.add_argument(
        "--preload", type=_non_negative, default=None, help="completed recordings on the server at start"
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    parser.add_argument(
        "--exit-with-parent",
        nargs="?",
        type=int,
        const=0,
        default=None,
        metavar="PID",
        help="shut down when the parent process (or PID, the launcher's own pid) is gone",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.exit_with_parent is not None:
        _exit_with_parent(args.exit_with_parent or os.getppid())

    site = _site(args)
    started = time.perf_counter()
    where = f"site file {args.site}" if args.site else "deployed-mode flags"
    try:
        app = create_app(db_path=args.db, users=_load_users(args.users), site=site)
    except (UserSetupError, UserExistsError) as exc:
        raise SystemExit(f"emulator: invalid users file {args.users}: {exc}") from None
    except SiteError as exc:
        raise SystemExit(f"emulator: {where}: {exc}") from None
    if site is not None:
        emulator = app.state.emulator
        print(
            f"emulator: deployed mode ({where}): control plane {'on' if site.control_plane else 'off'},"
            f" retention {emulator.settings.retentionDays} days, {emulator.preloaded} preloaded recordings,"
            f" {len(site.calls)} standing calls, {len(site.users)} site users;"
            f" ready in {time.perf_counter() - started:.2f} s",
            file=sys.stderr,
            flush=True,
        )
    lighten_log_records()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http=GuardedHttpToolsProtocol,
        ws="none",  # the vendor API has no WebSocket: no upgrade path around the guard
        lifespan="on",
        log_level=args.log_level,
        access_log=True,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
