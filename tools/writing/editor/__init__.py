"""The grounded editor: improves the merchant's own text instead of replacing it.

A good copywriter keeps the merchant's message (its purpose, product, voice, even its joke)
and fixes what is wrong with it. The editor does the same: the plan's features (what the
evidence or best practice asks for) become edits to the original, each recorded with the
text before and after, the pattern and the evidence behind it; what nothing asks to change
stays as the merchant wrote it. Offer facts, codes and dates are only ever written from the
request, and the message comes back in the merchant's own merge-field syntax.

One module per step of the editing, each a family of edit kinds:

- ``core``: the ``Editor`` (its state, recording an edit with its evidence, ``edit``, which
  runs the steps below in order) and the ``Edited`` result;
- ``body``: the message as lines of sentences, and the small sentence helpers;
- ``fields``: merge fields and template blanks (resolved, held, written back in the
  merchant's syntax), typed names, markup;
- ``language``: profanity, shouting, emoji, GSM characters;
- ``facts``: the offer and the deadline, true to the voucher, and where they go;
- ``learned``: the wordings the history favours, and lines borrowed from the merchant's best
  texts;
- ``frame``: the sender, the greeting, the call to action, an SMS's requirements, the
  closing marks;
- ``limits``: fitting to the channel's limits;
- ``subject``: the subject (or title) and the preheader.

A new kind of edit is a function in its family's module and one line in ``Editor.edit``.
Imports the ground, ``tools.message`` and the rest of ``tools.writing``.
"""

from __future__ import annotations

from tools.writing.editor.core import Edited, Editor

__all__ = ["Edited", "Editor"]
