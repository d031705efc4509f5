"""Realistic, varied demo episodes (for seed_demo and benchmarks)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

DOMAINS = {
    "web": ("python", "django", ["auth", "forms", "orm", "api", "templates"]),
    "payments": ("python", "fastapi", ["stripe", "webhooks", "refunds", "ledger"]),
    "data": ("python", "pandas", ["etl", "parquet", "joins", "dedup"]),
    "frontend": ("typescript", "react", ["hooks", "css", "routing", "state"]),
    "infra": ("go", "kubernetes", ["helm", "ingress", "autoscaling", "dns"]),
    "mobile": ("kotlin", "android", ["gradle", "compose", "push"]),
    "ml": ("python", "pytorch", ["training", "eval", "dataloader", "gpu"]),
    "cli": ("rust", "clap", ["parsing", "config", "errors"]),
}
TASKS = {
    "debugging": [
        "fix the flaky {t} test",
        "find why {t} fails after the upgrade",
        "track down the {t} memory leak",
    ],
    "code_generation": ["add {t} support", "implement the {t} endpoint", "write a {t} helper"],
    "refactoring": ["split the {t} module", "remove duplication in {t}", "rename the {t} service"],
    "testing": ["cover {t} with tests", "add property tests for {t}", "make the {t} suite faster"],
    "analysis": ["profile {t} under load", "estimate the cost of {t}", "review the {t} design"],
    "documentation": ["document the {t} API", "write the {t} runbook", "explain {t} in the README"],
    "other": ["triage {t} issues", "clean up {t} config"],
}
TOOL_FLOWS = {
    "debugging": [
        ["grep", "read_file", "pytest", "edit_file", "pytest"],
        ["git_log", "bisect", "read_file", "edit_file", "pytest"],
    ],
    "code_generation": [
        ["read_file", "edit_file", "ruff", "pytest"],
        ["search_docs", "edit_file", "mypy", "pytest"],
    ],
    "refactoring": [
        ["grep", "edit_file", "ruff", "mypy", "pytest"],
        ["read_file", "rename_symbol", "pytest"],
    ],
    "testing": [["read_file", "edit_file", "pytest", "coverage"], ["hypothesis", "pytest"]],
    "analysis": [["profiler", "read_file", "notes"], ["sql_query", "plot", "notes"]],
    "documentation": [["read_file", "edit_file", "markdown_lint"], ["search_docs", "edit_file"]],
    "other": [["shell", "read_file"], ["issue_tracker", "notes"]],
}
OBSERVATIONS_OK = [
    "all checks passed",
    "found the call site",
    "3 files changed",
    "no issues",
    "suite green in 4.2s",
]
OBSERVATIONS_BAD = [
    "AssertionError: expected 200 got 500",
    "ModuleNotFoundError: requests",
    "timeout after 30s",
    "2 failed, 40 passed",
    "TypeError: NoneType has no attribute id",
]


@dataclass
class DemoEpisode:
    description: str
    task_type: str
    context: dict[str, Any]
    started_at: datetime
    duration: timedelta
    steps: list[dict[str, Any]]
    outcome: dict[str, Any] | None


def demo_episode(rng: random.Random, now: datetime, days: int = 60) -> DemoEpisode:
    task_type = rng.choices(list(TASKS), weights=[30, 25, 12, 12, 8, 8, 5])[0]
    domain = rng.choice(list(DOMAINS))
    language, framework, topics = DOMAINS[domain]
    topic = rng.choice(topics)
    complexity = rng.choices(["simple", "moderate", "complex"], weights=[3, 5, 2])[0]
    flow = list(rng.choice(TOOL_FLOWS[task_type]))
    skill = rng.random()
    steps = []
    for tool in flow:
        ok = rng.random() < 0.55 + 0.4 * skill
        steps.append(_step(rng, tool, ok))
        if not ok and rng.random() < 0.7:  # retry after a fix
            steps.append(_step(rng, "edit_file", True))
            steps.append(_step(rng, tool, rng.random() < 0.8))
    failures = sum(1 for s in steps if not s["success"])
    roll = rng.random()
    outcome: dict[str, Any] | None
    if roll < 0.04:
        outcome = None  # still running
    elif failures == 0 or roll < 0.5:
        outcome = {"kind": "success", "verdict": f"{topic} works", "artifacts": [f"{topic}.patch"]}
    elif roll < 0.7:
        outcome = {
            "kind": "partial_success",
            "verdict": "partly done",
            "completed": ["main path"],
            "failed": [f"{topic} edge cases"],
        }
    elif roll < 0.85:
        outcome = {
            "kind": "failure",
            "reason": rng.choice(OBSERVATIONS_BAD),
            "error_details": "see last step",
        }
    else:
        outcome = {
            "kind": "abstained",
            "reason": "missing access to the staging environment",
            "stopped_at_step": min(2, len(steps)),
        }
    started = now - timedelta(days=rng.random() * days)
    return DemoEpisode(
        description=rng.choice(TASKS[task_type]).format(t=topic),
        task_type=task_type,
        context={
            "language": language,
            "framework": framework,
            "domain": domain,
            "complexity": complexity,
            "tags": rng.sample(topics, k=min(2, len(topics))),
        },
        started_at=started,
        duration=timedelta(
            seconds=sum(s["latency_ms"] for s in steps) / 1000 + rng.randint(20, 900)
        ),
        steps=steps,
        outcome=outcome,
    )


def _step(rng: random.Random, tool: str, ok: bool) -> dict[str, Any]:
    return {
        "tool": tool,
        "action": f"{tool} on the affected files",
        "parameters": {"path": f"src/module_{rng.randint(1, 40)}.py"},
        "success": ok,
        "latency_ms": rng.randint(20, 4000)
        if tool not in ("pytest", "profiler")
        else rng.randint(800, 9000),
        "tokens": rng.randint(20, 900),
        "observation": rng.choice(OBSERVATIONS_OK if ok else OBSERVATIONS_BAD),
    }
