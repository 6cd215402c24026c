"""The halts and pauses in force, as the strategies hear them on the control topics: who sent each,
why, on which instrument (or all) and until when. The node's status board and the dashboard keep
one each, so both say the same thing."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mm_strategy import messages as msg

ALL = "all"  # the scope of a message on the topic of all instruments


@dataclass(frozen=True, slots=True)
class HeldControl:
    scope: str  # ALL or the instrument it was sent for
    source: str
    reason: str
    until_ns: int  # 0: until its source resumes it

    def describe(self) -> str:
        return f"{self.source}: {self.reason}" + ("" if self.scope == ALL else f" [{self.scope}]")


class ControlsInForce:
    """Each halt or pause is kept until its own source resumes it (on its instrument, or on all)
    or its time is up, as a strategy treats it."""

    def __init__(self, now_ns: Callable[[], int] = time.time_ns) -> None:
        self._now_ns = now_ns
        self._halts: dict[tuple[str, str], HeldControl] = {}
        self._pauses: dict[tuple[str, str], HeldControl] = {}

    def on_control(self, scope: str, message: object) -> None:
        if isinstance(message, msg.Halt | msg.Pause):
            held = self._halts if isinstance(message, msg.Halt) else self._pauses
            held[(scope, message.source)] = HeldControl(scope, message.source, message.reason, message.until_ns)
        elif isinstance(message, msg.Resume):
            # As a strategy hears it: a resume on all reaches every instrument.
            for held in (self._halts, self._pauses):
                for key in [k for k in held if k[1] == message.source and scope in (ALL, k[0])]:
                    del held[key]

    def halts(self) -> list[HeldControl]:
        return self._in_force(self._halts)

    def pauses(self) -> list[HeldControl]:
        return self._in_force(self._pauses)

    def halted(self) -> str | None:
        """Every halt in force, "source: reason", with the instrument after one of a single instrument."""
        return "; ".join(h.describe() for h in self.halts()) or None

    def paused(self) -> str | None:
        return "; ".join(p.describe() for p in self.pauses()) or None

    def _in_force(self, held: dict[tuple[str, str], HeldControl]) -> list[HeldControl]:
        now = self._now_ns()
        for key in [k for k, c in held.items() if c.until_ns and c.until_ns <= now]:
            del held[key]  # its time is up: the strategy quotes again without a resume
        return list(held.values())
