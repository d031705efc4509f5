"""The chart layout every app's plotly figures share, and their embedding.

A figure is embedded as an empty, sized ``<div>`` plus its JSON in a
``<script type="application/json">`` data block (never executed, so the
Content-Security-Policy allows no inline script). ``static/js/console.js``
draws every such figure with the one plotly.js the page loads, after the
stylesheet has laid the grid out, so a chart takes its card's width.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from django.utils.html import format_html
from django.utils.safestring import mark_safe

LAYOUT: dict[str, Any] = {
    "margin": {"l": 40, "r": 10, "t": 30, "b": 40},
    "autosize": True,
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "font": {"size": 12},
    "legend": {"orientation": "h", "y": -0.2},
}
CONFIG = {"displayModeBar": False, "responsive": True}
# Inside <script> only "</" could end the block early; escaping <, > and & (as
# Django's json_script does) keeps any text from the data safe there.
_SCRIPT_SAFE = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def figure_html(fig: go.Figure, div_id: str) -> str:
    """The figure as a sized <div> and its JSON data block (drawn by console.js)."""
    fig.update_layout(**LAYOUT)
    data = pio.to_json(fig, validate=False, pretty=False)
    figure = f'{{"figure": {data}, "config": {pio.json.to_json_plotly(CONFIG)}}}'
    return str(
        format_html(
            '<div class="plotly-chart" id="{}" data-figure="{}-figure"></div>'
            '<script type="application/json" id="{}-figure">{}</script>',
            div_id,
            div_id,
            div_id,
            # JSON escaped for a script data block above: nothing in it can end the block.
            mark_safe(figure.translate(_SCRIPT_SAFE)),  # noqa: S308
        )
    )
