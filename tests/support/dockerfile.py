"""Reading a Dockerfile and a .dockerignore the way `docker build` does, for the tests.

`parse_dockerfile(path)` gives the parts a test (or a test that runs the image's
command as a plain subprocess) needs: the ENV the container starts with, what is
COPYed where, the CMD, EXPOSE, USER, WORKDIR and HEALTHCHECK. It understands
the common syntax: comments, `\\` line continuations, JSON (exec) and shell
forms, `ENV k=v ...` and the legacy `ENV k v`, `--flags` on COPY and
HEALTHCHECK, and `$VAR` / `${VAR}` / `${VAR:-default}` expansion in the
instructions Docker expands them in. One build stage only (the last FROM wins).

`parse_dockerignore(path)` gives a matcher with Docker's rules: patterns are
matched against a path and its parent directories, `**` spans directories, a
`!pattern` re-includes, and the last matching pattern wins.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Instructions whose arguments Docker expands environment variables in.
_EXPANDED = frozenset({"ADD", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"})
_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


@dataclass(frozen=True)
class Instruction:
    """One instruction as written: keyword (upper case), its text, the line it starts on."""

    keyword: str
    text: str
    line: int


@dataclass
class Dockerfile:
    """What a single-stage Dockerfile sets up."""

    path: Path
    base: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    copies: list[tuple[list[str], str]] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    cmd_exec_form: bool = False
    entrypoint: list[str] = field(default_factory=list)
    expose: list[int] = field(default_factory=list)
    user: str | None = None
    workdir: str | None = None
    healthcheck: list[str] | None = None
    healthcheck_options: dict[str, str] = field(default_factory=dict)
    instructions: list[Instruction] = field(default_factory=list)

    @property
    def copy_sources(self) -> list[str]:
        """Every source path of every COPY, in order, without duplicates."""
        seen: dict[str, None] = {}
        for sources, _ in self.copies:
            for source in sources:
                seen.setdefault(source, None)
        return list(seen)

    def command(self) -> list[str]:
        """The process the container starts: ENTRYPOINT (exec form) followed by CMD."""
        return [*self.entrypoint, *self.cmd]


def parse_dockerfile(path: str | Path) -> Dockerfile:
    path = Path(path)
    result = Dockerfile(path=path)
    for instruction in _instructions(path.read_text(encoding="utf-8")):
        result.instructions.append(instruction)
        keyword, text = instruction.keyword, instruction.text
        if keyword in _EXPANDED and keyword != "ENV":
            text = _expand(text, result.env)
        if keyword == "FROM":
            result = _restart_stage(result, text)
        elif keyword == "ENV":
            result.env.update(_env_pairs(text, result.env))
        elif keyword in ("COPY", "ADD"):
            words = _exec_or_shell_words(text)[0]
            words = [w for w in words if not w.startswith("--")]
            if len(words) < 2:
                raise ValueError(f"{path}:{instruction.line}: {keyword} needs a source and a destination")
            result.copies.append((words[:-1], words[-1]))
        elif keyword == "RUN":
            result.runs.append(text)
        elif keyword == "CMD":
            result.cmd, result.cmd_exec_form = _exec_or_shell_words(text, shell_wrap=True)
        elif keyword == "ENTRYPOINT":
            result.entrypoint = _exec_or_shell_words(text, shell_wrap=True)[0]
        elif keyword == "EXPOSE":
            result.expose.extend(int(port.split("/")[0]) for port in text.split())
        elif keyword == "USER":
            result.user = text.strip()
        elif keyword == "WORKDIR":
            workdir = text.strip()
            if not workdir.startswith("/") and result.workdir:
                workdir = f"{result.workdir.rstrip('/')}/{workdir}"
            result.workdir = workdir
        elif keyword == "HEALTHCHECK":
            result.healthcheck, result.healthcheck_options = _healthcheck(text)
    return result


def _restart_stage(previous: Dockerfile, text: str) -> Dockerfile:
    """A FROM starts a new stage: only the path and the instructions so far carry over."""
    words = [w for w in text.split() if not w.startswith("--")]
    return Dockerfile(path=previous.path, base=words[0] if words else None, instructions=previous.instructions)


def _instructions(source: str) -> list[Instruction]:
    """Logical instructions: comments dropped, `\\` continuations joined."""
    found: list[Instruction] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(source.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):  # blank and comment lines vanish, even mid-continuation
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer.append(stripped[:-1].strip())
            continue
        buffer.append(stripped)
        logical = " ".join(part for part in buffer if part)
        buffer = []
        keyword, _, rest = logical.partition(" ")
        found.append(Instruction(keyword.upper(), rest.strip(), start))
    if buffer:
        raise ValueError("the Dockerfile ends inside a line continuation")
    return found


def _expand(text: str, env: Mapping[str, str]) -> str:
    def replace(found: re.Match[str]) -> str:
        name = found["braced"] or found["bare"]
        if name in env and env[name] != "":
            return env[name]
        return found["default"] or ""

    return _VARIABLE.sub(replace, text)


def _env_pairs(text: str, env: Mapping[str, str]) -> dict[str, str]:
    words = shlex.split(text, posix=True)
    if words and "=" not in words[0]:  # legacy form: ENV KEY value with spaces
        key, _, value = text.partition(" ")
        return {key: _expand(value.strip().strip('"'), env)}
    pairs: dict[str, str] = {}
    scope = dict(env)
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            raise ValueError(f"ENV {word!r} is not KEY=value")
        pairs[key] = scope[key] = _expand(value, scope)
    return pairs


def _exec_or_shell_words(text: str, shell_wrap: bool = False) -> tuple[list[str], bool]:
    """(words, is_exec_form): JSON array form, or shell form (optionally as `/bin/sh -c`)."""
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            words = json.loads(stripped)
        except json.JSONDecodeError:
            words = None
        if isinstance(words, list) and all(isinstance(w, str) for w in words):
            return words, True
    if shell_wrap:
        return ["/bin/sh", "-c", stripped], False
    return shlex.split(stripped), False


def _healthcheck(text: str) -> tuple[list[str] | None, dict[str, str]]:
    options: dict[str, str] = {}
    rest = text.strip()
    while rest.startswith("--"):
        option, _, rest = rest.partition(" ")
        name, _, value = option[2:].partition("=")
        options[name] = value
        rest = rest.strip()
    keyword, _, command = rest.partition(" ")
    if keyword.upper() == "NONE":
        return None, options
    if keyword.upper() != "CMD":
        raise ValueError(f"HEALTHCHECK must be NONE or CMD ..., not {rest!r}")
    return _exec_or_shell_words(command, shell_wrap=True)[0], options


@dataclass(frozen=True)
class _Pattern:
    text: str
    exclusion: bool
    regex: re.Pattern[str]


@dataclass
class DockerIgnore:
    """The patterns of a .dockerignore, matched as `docker build` matches them."""

    patterns: list[_Pattern]

    def excludes(self, relative_path: str) -> bool:
        """Whether `relative_path` (POSIX, relative to the build context) stays out of the context."""
        path = relative_path.strip("/")
        parents = path.split("/")[:-1]
        excluded = False
        for pattern in self.patterns:
            if pattern.exclusion != excluded:  # only a pattern that could change the answer is evaluated
                continue
            matched = pattern.regex.fullmatch(path) is not None
            if not matched:
                matched = any(pattern.regex.fullmatch("/".join(parents[: i + 1])) for i in range(len(parents)))
            if matched:
                excluded = not pattern.exclusion
        return excluded

    def includes(self, relative_path: str) -> bool:
        return not self.excludes(relative_path)

    def context_files(self, root: Path) -> list[str]:
        """Every file under `root` that the build context would hold, as sorted POSIX paths.

        An excluded directory that no `!` pattern could reach into is not walked (.venv, .git: most of the files).
        """
        found: list[str] = []
        for directory, subdirectories, files in os.walk(root):
            base = Path(directory).relative_to(root).as_posix()
            prefix = "" if base == "." else base + "/"
            subdirectories[:] = [
                d for d in subdirectories if not (self.excludes(prefix + d) and not self._may_reinclude(prefix + d))
            ]
            found += [prefix + f for f in files if self.includes(prefix + f)]
        return sorted(found)

    def _may_reinclude(self, directory: str) -> bool:
        """Whether a `!` pattern could match something under `directory` (its first segment, or a wildcard)."""
        first = directory.split("/")[0]
        heads = [pattern.text.split("/")[0] for pattern in self.patterns if pattern.exclusion]
        return any(head == first or any(c in head for c in "*?[\\") for head in heads)


def parse_dockerignore(path: str | Path) -> DockerIgnore:
    patterns: list[_Pattern] = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        text = _clean(line[1:].strip() if exclusion else line)
        if text:
            patterns.append(_Pattern(text, exclusion, _compile_pattern(text)))
    return DockerIgnore(patterns)


def _clean(pattern: str) -> str:
    """Docker cleans each pattern like a path: no leading `/`, `./` or trailing `/`, no `//`."""
    parts = [p for p in pattern.split("/") if p not in ("", ".")]
    return "/".join(parts)


def _compile_pattern(pattern: str) -> re.Pattern[str]:
    regex = ""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):  # `**/` spans zero or more whole directories
                regex += "(?:.*/)?"
                i += 1
            else:
                regex += ".*"
            continue
        if char == "*":
            regex += "[^/]*"
        elif char == "?":
            regex += "[^/]"
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                regex += re.escape(char)
            else:
                body = pattern[i + 1 : end]
                regex += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
                i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            regex += re.escape(pattern[i])
        else:
            regex += re.escape(char)
        i += 1
    return re.compile(regex)
