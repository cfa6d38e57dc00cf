"""(h) Failover: two ``serve`` replicas on one PostgreSQL; SIGKILL the leader, time until the
standby's ``/metrics`` says ``spokesync_leader 1``; the killed one comes back as the standby.
Each kill lands at a random moment of the standby's probe cycle.

Run: ``.venv/bin/python -m bench.failover --kills 10`` (starts a private PostgreSQL server with
the test suite's helper: initdb and pg_ctl must be installed, or set
SPOKESYNC_TEST_POSTGRES_URL to a server to use).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from tests import postgres_server
from tests.serve_process import ServeProcess, wait_until
from tests.world_kit import auth0_user, make_world, seed

from bench.common import console, figures_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--failover-seconds", type=float, default=15.0)
    args = parser.parse_args()
    failover = args.failover_seconds
    scratch = None
    server = os.environ.get(postgres_server.URL_ENV)
    if server is None:
        scratch = postgres_server.new_scratch_dir()
        server = postgres_server.server_url(scratch)
    tmp = Path(tempfile.mkdtemp(prefix="spokesync-failover-"))
    world = make_world(tmp, seed([auth0_user(n) for n in range(10)]), state_url=server)
    replicas: list[ServeProcess] = []
    took: list[float] = []
    try:
        postgres_server.empty_database(server)
        world.write_config(f"[serve]\nfailover_seconds = {failover}\n")

        def start(name: str) -> ServeProcess:
            replica = ServeProcess(world.command(), world.env, tmp / f"{name}.log")
            replicas.append(replica)
            replica.wait_up()
            return replica

        leader = start("replica-0")
        wait_until("the first replica leads", leader.leads, failover)
        standby = start("replica-1")
        for kill in range(args.kills):
            time.sleep(random.uniform(0, failover / 2))  # (the standby probes every F/5)
            leader.kill()
            killed = time.monotonic()
            wait_until("the standby leads", standby.leads, 2 * failover, step=0.01)
            took.append(time.monotonic() - killed)
            console.print(f"kill {kill + 1}: the standby led after {took[-1]:.2f} s")
            leader.stop()
            leader, standby = standby, start(f"replica-{kill + 2}")
    finally:
        for replica in replicas:
            replica.stop()
        world.emulators.stop()
        if scratch is not None:
            postgres_server.stop(scratch)
    console.print(
        figures_table(
            f"failover, failover_seconds = {failover:g}, {len(took)} SIGKILLs of the leader",
            [
                ("p50", f"{statistics.median(took):.2f} s"),
                ("max", f"{max(took):.2f} s"),
                ("min", f"{min(took):.2f} s"),
            ],
        )
    )


if __name__ == "__main__":
    main()
