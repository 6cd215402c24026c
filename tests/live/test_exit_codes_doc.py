"""The README's exit-code table is what a supervisor is configured from: it must list exactly the codes
`live.errors.ExitCode` defines."""

from __future__ import annotations

import re

from catalog import shipped_data
from live.errors import ExitCode

SECTION = "### Running as a service: exit codes"


def _table_codes() -> list[int]:
    readme = (shipped_data.PROJECT_ROOT / "README.md").read_text()
    assert readme.count(SECTION) == 1
    section = readme.split(SECTION, 1)[1].split("\n#", 1)[0]
    return [int(m) for m in re.findall(r"^\| (\d+) \|", section, flags=re.MULTILINE)]


def test_the_readme_lists_every_exit_code_once_and_no_other() -> None:
    codes = _table_codes()
    assert sorted(codes) == sorted(int(code) for code in ExitCode) and len(codes) == len(set(codes))
