"""The logger every `live` module writes to.

One logger named `run_live`, so the log lines keep the name they had when all of this lived in
`run_live.py` (operators and log filters match on it).
"""

from __future__ import annotations

import logging

log = logging.getLogger("run_live")
