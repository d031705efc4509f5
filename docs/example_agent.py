"""An agent's round trip through the memory admin API, standard library only.

    python manage.py create_api_key --name my-agent --scopes read,write
    MEMORYADMIN_API_KEY=ma_live_... python docs/example_agent.py

MEMORYADMIN_URL defaults to http://127.0.0.1:8000 (what `make run` serves).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

BASE = os.environ.get("MEMORYADMIN_URL", "http://127.0.0.1:8000").rstrip("/") + "/api/v1"
API_KEY = os.environ["MEMORYADMIN_API_KEY"]


def call(method: str, path: str, body: dict[str, Any] | None = None, *, key: str = "") -> Any:
    """One JSON request, retried on 429/503 and network errors.

    ``key`` becomes the Idempotency-Key: a retry of start, steps or complete
    then answers with the first reply instead of doing the work twice.
    """
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    data = json.dumps(body).encode() if body is not None else None
    for attempt in range(3):
        request = urllib.request.Request(BASE + path, data, headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:  # errors are {"error", "message", "extra"}
            detail = json.loads(error.read() or b"{}")
            if error.code in (429, 503) and attempt < 2:
                time.sleep(min(int(error.headers.get("Retry-After", "1")), 5))
                continue
            raise SystemExit(f"{method} {path}: {error.code} {detail.get('message')}") from None
        except urllib.error.URLError:
            if attempt == 2:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


episode = call(
    "POST",
    "/episodes",
    {
        "task_description": "fix the flaky login test",
        "task_type": "debugging",
        "context": {"language": "python", "framework": "django", "domain": "web",
                    "complexity": "moderate", "tags": ["auth"]},
        "metadata": {"agent": "example"},
    },
    key=str(uuid.uuid4()),
)  # fmt: skip
print("started", episode["id"])

steps = call(
    "POST",
    f"/episodes/{episode['id']}/steps",
    {"steps": [
        {"tool": "pytest", "action": "run the auth tests", "parameters": {}, "success": False,
         "latency_ms": 840, "tokens": 310, "observation": "2 failed"},
        {"tool": "editor", "action": "fix the session expiry check", "parameters": {},
         "success": True, "latency_ms": 1200, "tokens": 450, "observation": "patched"},
    ]},
    key=str(uuid.uuid4()),
)  # fmt: skip
print("logged", steps["logged"], "steps")

done = call(
    "POST",
    f"/episodes/{episode['id']}/complete",
    {"outcome": {"kind": "success", "verdict": "login tests pass", "artifacts": ["fix.patch"]}},
    key=str(uuid.uuid4()),
)
print("completed: reward", done["reward"]["total"], "-", done["reflection"]["insights"][:1])

found = call(
    "POST",
    "/context/retrieve",
    {"description": "login test fails", "context": {"task_type": "debugging"}, "limit": 3},
)
print("retrieval mode", found["mode"])
for hit in found["episodes"]:
    print(f"  {hit['score']:.3f} {hit['task_description']} {hit['breakdown']}")
