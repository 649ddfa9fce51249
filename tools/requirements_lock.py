"""The lock's bookkeeping around uv: `make lock` and `make lock-check` run it.

uv resolves `requirements.lock` (exact versions for Python 3.10-3.13, with hashes). This module
adds what uv does not keep: a digest of the inputs the lock was made from, so a check that needs no
network and no resolver can tell that a requirements file changed without a new lock; and
`constraints.txt`, the lock's pins without their hashes, which `requirements.txt` names for pip
(pip refuses hashes next to a local folder requirement such as the timer extension).

    python tools/requirements_lock.py stamp   after uv wrote requirements.lock
    python tools/requirements_lock.py check   fails when the lock or constraints.txt is stale
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = "requirements.lock"
CONSTRAINTS = "constraints.txt"
#: What the lock is made from: the two requirements files and the timer extension's own dependencies.
INPUTS = ("requirements.txt", "container/requirements.txt", "python_worker_extension_timer/pyproject.toml")
DIGEST_LINE = re.compile(r"^# inputs sha256: (?P<digest>[0-9a-f]{64})$", re.MULTILINE)
CONSTRAINTS_HEADER = (
    "# Written by `make lock` from requirements.lock: the same pins, without hashes, which pip refuses\n"
    "# next to the timer extension's local folder in requirements.txt. Do not edit.\n"
)


def _meaningful_lines(relative: str, text: str) -> list[str]:
    """The lines that decide the resolution: requirement lines without comments; for the pyproject,
    the `dependencies` and `optional-dependencies` it declares."""
    if relative.endswith("pyproject.toml"):
        declared = []
        for header, body in re.findall(r"^\[([^\]]+)\]\n(.*?)(?=^\[|\Z)", text, re.MULTILINE | re.DOTALL):
            wanted = r"dependencies" if header == "project" else r"[\w-]+"
            if header in ("project", "project.optional-dependencies"):
                declared += re.findall(rf"^{wanted} = \[[^\]]*\]", body, re.MULTILINE)
        return [re.sub(r"\s+", " ", entry) for entry in declared]
    lines = (line.split(" #", 1)[0].split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def inputs_digest(root: Path = ROOT) -> str:
    """sha256 over what the inputs require (comments and blank lines do not count)."""
    digest = hashlib.sha256()
    for relative in INPUTS:
        digest.update(f"{relative}\n".encode())
        for line in _meaningful_lines(relative, (root / relative).read_text(encoding="utf-8")):
            digest.update(f"{line}\n".encode())
    return digest.hexdigest()


def without_hashes(lock_text: str) -> str:
    """The lock's requirement lines (name==version ; marker), no hashes, no comments."""
    pins = []
    for line in lock_text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "--hash")):
            continue
        pins.append(stripped.removesuffix("\\").rstrip())
    return CONSTRAINTS_HEADER + "\n".join(pins) + "\n"


def stamp(root: Path = ROOT) -> None:
    """Record the inputs' digest at the top of the lock and write constraints.txt from it."""
    lock = root / LOCK
    text = DIGEST_LINE.sub("", lock.read_text(encoding="utf-8")).lstrip("\n")
    lock.write_text(f"# inputs sha256: {inputs_digest(root)}\n{text}", encoding="utf-8")
    (root / CONSTRAINTS).write_text(without_hashes(text), encoding="utf-8")


def problems(root: Path = ROOT) -> list[str]:
    """Why the lock does not match its inputs (empty when it does)."""
    lock = root / LOCK
    if not lock.is_file():
        return [f"{LOCK} is missing: run `make lock`"]
    text = lock.read_text(encoding="utf-8")
    found = DIGEST_LINE.search(text)
    found_problems = []
    if found is None:
        found_problems.append(f"{LOCK} has no '# inputs sha256:' line: it was not made by `make lock`")
    elif found["digest"] != inputs_digest(root):
        found_problems.append(
            f"a requirement in {', '.join(INPUTS[:-1])} or {INPUTS[-1]} changed since {LOCK} was made "
            f"(inputs sha256 {inputs_digest(root)}, the lock was made from {found['digest']})"
        )
    constraints = root / CONSTRAINTS
    if not constraints.is_file() or constraints.read_text(encoding="utf-8") != without_hashes(text):
        found_problems.append(f"{CONSTRAINTS} is not {LOCK} without its hashes")
    return found_problems


def main(argv: list[str]) -> int:
    if argv == ["stamp"]:
        stamp()
        return 0
    if argv == ["check"]:
        found = problems()
        for problem in found:
            print(f"lock-check: {problem}", file=sys.stderr)
        if found:
            print(f"lock-check: run `make lock` and commit {LOCK} and {CONSTRAINTS}", file=sys.stderr)
            return 1
        print(f"lock-check: {LOCK} matches {', '.join(INPUTS)}")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
