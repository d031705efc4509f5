"""Plotly figures of sync history (embedded without plotly.js, like episodes/charts.py)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from memoryadmin.charts import figure_html


def sync_runs_chart(runs: list[dict[str, Any]]) -> str:
    """Duration (s) and items per run, oldest first."""
    labels = [f"#{r['id']}" for r in runs]
    fig = go.Figure()
    fig.add_bar(
        x=labels, y=[r["duration"] for r in runs], name="duration (s)", marker_color="#2f5bd3"
    )
    fig.add_scatter(
        x=labels,
        y=[r["items"] for r in runs],
        name="items",
        yaxis="y2",
        mode="lines+markers",
        line={"color": "#1f8a4c"},
    )
    fig.update_layout(
        title="Sync runs: duration and items",
        yaxis2={"overlaying": "y", "side": "right", "showgrid": False},
    )
    return figure_html(fig, "chart-sync-runs")


def cache_reads_chart(counters: dict[str, int]) -> str:
    names = [
        k for k in ("hit", "miss", "busy", "corrupt", "unavailable", "format") if counters.get(k)
    ]
    fig = go.Figure(go.Pie(labels=names, values=[counters[k] for k in names], hole=0.5))
    fig.update_layout(title="Cache reads by outcome (this worker)")
    return figure_html(fig, "chart-cache-reads")
