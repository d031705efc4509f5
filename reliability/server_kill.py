"""kill -9 of the web server while agents write through the API.

CLIENTS agent threads run start → steps → steps → complete rounds with
Idempotency-Keys, retrying connection errors with the same key. A killer
thread SIGKILLs the whole server (``manage.py serve --no-cluster``: serve,
gunicorn master, workers) KILLS times at random moments and restarts it.
Afterwards every episode and step acknowledged with a 2xx must be in the
database exactly once, and every acknowledged completion recorded.
"""

from __future__ import annotations

import threading
import time

from reliability.agents import Agent, Ledger, audit
from reliability.common import Row, Server, api_key, log
from reliability.context import Context

NAME = "server-kill"
CLIENTS = 6
KILLS = 8
PAUSE = (2.0, 5.0)  # seconds of service between kills
DOWN = (0.1, 1.0)  # seconds the server stays dead


def run(ctx: Context) -> list[Row]:
    data = ctx.data(NAME)
    env = data.env()
    key = api_key(env, "server-kill agents")
    server = Server(env, data.path / "server.log", workers=2).start()
    ledger, stop, rng = Ledger(), threading.Event(), ctx.rng
    kills: list[float] = []

    def agent(n: int) -> None:
        bot = Agent(server.url, key, f"c{n}", ledger)
        round_ = 0
        while not stop.is_set():
            bot.episode_round(round_)
            round_ += 1

    threads = [threading.Thread(target=agent, args=(n,), daemon=True) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    restarts: list[float] = []
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(*PAUSE))
            server.kill()
            kills.append(time.monotonic())
            time.sleep(rng.uniform(*DOWN))
            began = time.monotonic()
            server.start()
            restarts.append(time.monotonic() - began)
            log(f"{NAME}: kill {len(kills)}: {len(ledger.episodes)} episodes acknowledged so far")
        time.sleep(rng.uniform(*PAUSE))
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
        hung = sum(thread.is_alive() for thread in threads)
        server.stop()
    found = audit(env, ledger)
    acked_steps = len(ledger.steps)
    return [
        Row(
            NAME,
            "server kills (kill -9 of serve + gunicorn) / clients",
            f"{len(kills)} / {CLIENTS}",
        ),
        Row(
            NAME,
            "acknowledged episodes / steps / completions",
            f"{len(ledger.episodes)} / {acked_steps} / {len(ledger.completed)}",
        ),
        Row(
            NAME,
            "retries after connection errors or 503 (same Idempotency-Key)",
            f"{ledger.counts['retries']} ({ledger.counts['replayed']} answered by replay)",
        ),
        Row(
            NAME,
            "acknowledged but missing (episodes, steps, completions)",
            ", ".join(
                str(len(x))
                for x in (found.missing_episodes, found.missing_steps, found.not_completed)
            ),
            "0, 0, 0",
            not (found.missing_episodes or found.missing_steps or found.not_completed),
        ),
        Row(
            NAME,
            "duplicated (episodes, steps) / step-number gaps",
            f"{len(found.duplicate_episodes)}, {len(found.duplicate_steps)} / {len(found.gaps)}",
            "0, 0 / 0",
            not (found.duplicate_episodes or found.duplicate_steps or found.gaps),
        ),
        Row(
            NAME,
            "episodes / steps stored by the agents",
            f"{found.stored_episodes} / {found.stored_steps}",
        ),
        Row(
            NAME,
            "requests that failed for good (non-retryable errors)",
            "; ".join(ledger.failures[:5]) or "0",
            "0",
            not ledger.failures,
        ),
        Row(NAME, "server restart time (max)", f"{max(restarts, default=0):.1f} s"),
        Row(NAME, "client threads still hanging at the end", str(hung), "0", hung == 0),
    ]
