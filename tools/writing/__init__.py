"""Writing: the grounded writer and editor, and the wordings they learn from.

The slot writer that adapts an exemplar or writes from rules (``writer``), the editor that
improves the merchant's own text edit by edit (``editor``), and what the history says of
each opening, offer verb and call to action (``wording``). Imports the ground,
``tools.message`` and ``tools.crm``.
"""

from __future__ import annotations

from tools.writing import wording
from tools.writing.editor import Edited, Editor
from tools.writing.wording import learn, read_segment
from tools.writing.writer import LINK, NAME, QUIET_VOICES, Exemplar, WritePlan, Writer, request_seed

__all__ = [
    "LINK",
    "NAME",
    "QUIET_VOICES",
    "Edited",
    "Editor",
    "Exemplar",
    "WritePlan",
    "Writer",
    "learn",
    "read_segment",
    "request_seed",
    "wording",
]
