"""Learning from a completed episode: patterns and heuristics (reward and
reflection are computed by the completion service itself; learn.py joins the two)."""
