"""The web app for marketers, served by ``crmagent serve`` at ``/`` beside the HTTP API.

Pages (server-rendered Jinja2, autoescaped, with only the JavaScript a page needs): sign in
with a key (``session``), write a campaign and review the draft, the review queue, and the
data a merchant brings (``pages``); what a page shows of a result, the tracked changes and
the customer's view of each channel (``views``). It holds no copy logic of its own: runs,
checks and decisions go through the graph and the review queue (``crmagent.reviews``).
"""

from __future__ import annotations

from crmagent.web.pages import STATIC, router

__all__ = ["STATIC", "router"]
