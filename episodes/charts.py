"""Plotly figures built from selector output, embedded without plotly.js
(the page loads /static/plotly/plotly.min.js once)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from memoryadmin.charts import figure_html

VERDICT_COLORS = {
    "success": "#1f8a4c",
    "partial_success": "#d69e2e",
    "failure": "#c0392b",
    "abstained": "#7f8c9d",
    "running": "#2f5bd3",
}


def episodes_per_day_chart(rows: list[dict[str, Any]]) -> str:
    fig = go.Figure()
    for verdict, color in VERDICT_COLORS.items():
        picked = [r for r in rows if r["verdict"] == verdict]
        if picked:
            fig.add_bar(
                x=[str(r["day"]) for r in picked],
                y=[r["n"] for r in picked],
                name=verdict.replace("_", " "),
                marker_color=color,
            )
    # Days as categories: a date axis makes a lone day's bar wider than the plot.
    fig.update_layout(barmode="stack", title="Episodes per day by verdict")
    fig.update_xaxes(type="category")
    return figure_html(fig, "chart-episodes-per-day")


def reward_histogram_chart(rows: list[dict[str, Any]]) -> str:
    fig = go.Figure(
        go.Bar(x=[r["bucket"] for r in rows], y=[r["n"] for r in rows], marker_color="#2f5bd3")
    )
    fig.update_layout(title="Reward distribution", xaxis_title="reward (0.1 buckets)", bargap=0.05)
    return figure_html(fig, "chart-reward-histogram")


def success_rate_chart(rows: list[dict[str, Any]], *, by: str) -> str:
    fig = go.Figure(
        go.Bar(
            x=[r["key"] for r in rows],
            y=[round(r["rate"] * 100, 1) for r in rows],
            text=[f"n={r['n']}" for r in rows],
            marker_color="#1f8a4c",
        )
    )
    fig.update_layout(title=f"Success rate by {by.replace('_', ' ')} (%)", yaxis_range=[0, 100])
    return figure_html(fig, f"chart-success-by-{by}")


def reward_breakdown_chart(reward: dict[str, float]) -> str:
    parts = [k for k in reward if k != "total"]
    fig = go.Figure(
        go.Bar(
            x=[k.replace("_", " ") for k in parts],
            y=[reward[k] for k in parts],
            marker_color=["#1f8a4c" if reward[k] >= 0 else "#c0392b" for k in parts],
        )
    )
    fig.update_layout(title=f"Reward breakdown (total {reward.get('total', 0):.2f})")
    return figure_html(fig, "chart-reward-breakdown")
