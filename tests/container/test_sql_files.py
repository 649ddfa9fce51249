"""Every SQL file of container/sql runs top to bottom, in the order of its number.

Each file is split into statements by sqlglot's Snowflake tokenizer (comments, '...' strings and
$$...$$ blocks stay whole) and every statement is parsed by sqlglot's Snowflake dialect. sqlglot does
not know every Snowflake command: the kinds it cannot parse are listed below, each with the page of
Snowflake's SQL reference that shows it is valid, and a statement of any other kind must parse.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.dialects.snowflake import Snowflake
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from tests.container.test_deploy_files import SQL, SQL_FILES

# The order a reader runs them in: the numbers say it, and the cleanup comes last.
RUN_ORDER = SQL_FILES
REFERENCE = "https://docs.snowflake.com/en/sql-reference/sql/"
# Statement kinds (their first words) that sqlglot 30 leaves unparsed, and where Snowflake documents them.
NOT_PARSED_BY_SQLGLOT = {
    "CREATE ROLE": REFERENCE + "create-role",
    "GRANT OWNERSHIP": REFERENCE + "grant-ownership",
    "GRANT USAGE, MONITOR ON COMPUTE POOL": REFERENCE + "grant-privilege",
    "CREATE COMPUTE POOL": REFERENCE + "create-compute-pool",
    "ALTER COMPUTE POOL": REFERENCE + "alter-compute-pool",
    "DROP COMPUTE POOL": REFERENCE + "drop-compute-pool",
    "EXECUTE IMMEDIATE": REFERENCE + "execute-immediate",
    "CREATE IMAGE REPOSITORY": REFERENCE + "create-image-repository",
    "SHOW IMAGE REPOSITORIES": REFERENCE + "show-image-repositories",
    "DROP IMAGE REPOSITORY": REFERENCE + "drop-image-repository",
    "CREATE SERVICE": REFERENCE + "create-service",
    "DESCRIBE SERVICE": REFERENCE + "desc-service",
    "SHOW SERVICE CONTAINERS IN SERVICE": REFERENCE + "show-service-containers-in-service",
    "SHOW SERVICE INSTANCES IN SERVICE": REFERENCE + "show-service-instances-in-service",
    "SHOW ENDPOINTS IN SERVICE": REFERENCE + "show-endpoints",
    "DROP SERVICE": REFERENCE + "drop-service",
    "SHOW PARAMETERS": REFERENCE + "show-parameters",
}
# Reading the event table (the account's, through $event_table, or Snowflake's default one).
READS_EVENT_TABLE = re.compile(r"\bFROM\s+(?:IDENTIFIER\(\$event_table\)|SNOWFLAKE\.TELEMETRY\.EVENTS\b)", re.I)
EVENT_TABLE_ROLE = "ACCOUNTADMIN"


@dataclass(frozen=True)
class Statement:
    file: str
    number: int  # 1-based, in the file
    text: str  # without the comments before it and the `;` after it

    @property
    def words(self) -> str:
        """The statement's words upper-cased, one space apart."""
        return " ".join(self.text.split()).upper()

    @property
    def kind(self) -> str | None:
        """The NOT_PARSED_BY_SQLGLOT kind the statement is of, if any."""
        return next((kind for kind in NOT_PARSED_BY_SQLGLOT if self.words.startswith(kind)), None)

    def __str__(self) -> str:
        return f"{self.file} statement {self.number}: {self.words[:100]}"


@cache
def statements(name: str) -> tuple[Statement, ...]:
    """The statements of a file, split where Snowflake's tokenizer finds a `;`."""
    text = (SQL / name).read_text(encoding="utf-8")
    found: list[Statement] = []
    tokens: list[sqlglot.tokens.Token] = []
    for token in [*Snowflake().tokenize(text), None]:
        if token is not None and token.token_type != TokenType.SEMICOLON:
            tokens.append(token)
            continue
        if tokens:
            found.append(Statement(name, len(found) + 1, text[tokens[0].start : tokens[-1].end + 1]))
        tokens = []
    return tuple(found)


def all_statements() -> list[Statement]:
    return [statement for name in RUN_ORDER for statement in statements(name)]


def parses(statement: Statement) -> bool:
    """sqlglot's Snowflake dialect parses it into an expression of its own (not the raw-Command fallback)."""
    logging.getLogger("sqlglot").setLevel(logging.ERROR)  # the fallback warns; the answer says it
    try:
        parsed = Snowflake().parse(statement.text)
    except SqlglotError:
        return False
    return len(parsed) == 1 and parsed[0] is not None and not isinstance(parsed[0], exp.Command)


def test_the_files_are_numbered_in_the_order_they_run_with_the_cleanup_last() -> None:
    assert sorted(p.name for p in SQL.glob("*.sql")) == list(RUN_ORDER)
    assert "cleanup" in RUN_ORDER[-1]


@pytest.mark.parametrize("statement", all_statements(), ids=str)
def test_every_statement_parses_or_is_a_listed_snowflake_command(statement: Statement) -> None:
    assert parses(statement) or statement.kind is not None, f"sqlglot cannot parse {statement}"


@pytest.mark.parametrize("kind", NOT_PARSED_BY_SQLGLOT)
def test_each_listed_kind_occurs_and_is_still_beyond_sqlglot(kind: str) -> None:
    """The list holds no kind the files no longer use, nor one a newer sqlglot parses."""
    of_kind = [s for s in all_statements() if s.kind == kind]
    assert of_kind, f"no statement is a {kind}: drop it from the list"
    assert not any(parses(s) for s in of_kind), f"sqlglot parses {kind} now: drop it from the list"


@pytest.mark.parametrize("name", RUN_ORDER)
def test_every_file_sets_its_role_first_so_it_runs_in_a_fresh_session(name: str) -> None:
    assert re.fullmatch(r"USE ROLE \w+", statements(name)[0].words)


def roles_in_effect(name: str) -> list[tuple[str, Statement]]:
    """Each statement of a file with the role the file's own USE ROLE statements put in effect."""
    role, found = "", []
    for statement in statements(name):
        if used := re.fullmatch(r"USE ROLE (\w+)", statement.words):
            role = used[1]
        found.append((role, statement))
    return found


@pytest.mark.parametrize("name", RUN_ORDER)
def test_the_event_table_is_read_as_a_role_that_may_read_it(name: str) -> None:
    readers = [(role, s) for role, s in roles_in_effect(name) if READS_EVENT_TABLE.search(s.text)]
    assert all(role == EVENT_TABLE_ROLE for role, _ in readers), [str(s) for role, s in readers]


def test_the_status_file_reads_the_event_table_and_returns_to_the_services_role() -> None:
    roles = roles_in_effect("05_status_and_logs.sql")
    assert any(READS_EVENT_TABLE.search(s.text) for _, s in roles)
    assert roles[-1][0] == "TEST_ROLE"  # the service's owner: SHOW ENDPOINTS and the rest after the read


@pytest.mark.parametrize("statement", all_statements(), ids=str)
def test_no_statement_asks_for_the_log_of_a_previous_run(statement: Statement) -> None:
    """SYSTEM$GET_SERVICE_LOGS(..., TRUE) fails on a container that never restarted, so a batch would stop."""
    for call in re.finditer(r"SYSTEM\$GET_SERVICE_LOGS\s*\(([^)]*)\)", statement.text, re.I):
        assert not re.search(r"\bTRUE\b", call[1], re.I), f"{statement}"


def test_the_previous_run_variant_waits_in_a_comment() -> None:
    text = (SQL / "05_status_and_logs.sql").read_text(encoding="utf-8")
    commented = [line for line in text.splitlines() if line.strip().startswith("--")]
    assert any(re.search(r"SYSTEM\$GET_SERVICE_LOGS\([^)]*,\s*TRUE\)", line) for line in commented)
