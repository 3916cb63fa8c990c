"""The marked sections of docs/performance.md: each benchmark replaces its own section
(``<!-- NAME -->`` ... ``<!-- /NAME -->``) and leaves the rest of the page as it is."""

from __future__ import annotations

import re
from pathlib import Path


def replace_section(path: Path, name: str, text: str) -> None:
    """Put ``text`` (which starts and ends with the ``name`` markers) in place of the page's
    ``name`` section, or at the end of the page when it has none; written atomically."""
    from scgraph.files import write_atomic

    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    old = path.read_text("utf-8") if path.is_file() else "# Performance\n"
    pattern = re.compile(rf"(?ms)^{re.escape(begin)}$.*?^{re.escape(end)}$\n?")
    new = pattern.sub(lambda _m: text, old) if pattern.search(old) else old.rstrip("\n") + "\n\n" + text
    write_atomic(path, new)
