"""The app the extension's readme builds, block by block: each block marked `<!-- readme-app: <file> -->`.

The readme's quick start is tested as written: the marked fenced blocks are the files of an app
(`requirements.txt`, `function_app.py`, its modules), written out unchanged into a folder that our
server then serves.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "python_worker_extension_timer" / "readme.md"
_MARKED_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)<!-- readme-app: (?P<file>[\w./-]+) -->\n(?P=indent)```[\w-]*\n(?P<body>.*?)^(?P=indent)```",
    re.MULTILINE | re.DOTALL,
)
_ANY_PYTHON_BLOCK = re.compile(r"^(?P<indent>[ \t]*)```python\n(?P<body>.*?)^(?P=indent)```", re.MULTILINE | re.DOTALL)


def app_files(readme: Path = README) -> dict[str, str]:
    """File name to content of every marked block, in the readme's order (a name twice is an error)."""
    files: dict[str, str] = {}
    for match in _MARKED_BLOCK.finditer(readme.read_text(encoding="utf-8")):
        name = match["file"]
        assert name not in files, f"the readme marks two blocks as {name}"
        files[name] = textwrap.dedent(match["body"])
    return files


def python_blocks(readme: Path = README) -> list[str]:
    """Every Python block of the readme, marked or not, dedented."""
    return [textwrap.dedent(m["body"]) for m in _ANY_PYTHON_BLOCK.finditer(readme.read_text(encoding="utf-8"))]


def write_app(folder: Path, readme: Path = README) -> dict[str, str]:
    """Write the readme's app into `folder` (created); return its files."""
    files = app_files(readme)
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return files
