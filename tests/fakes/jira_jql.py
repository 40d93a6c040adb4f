"""The small JQL subset that issue-sync clients send, parsed the way Jira reads it (for the Jira fake)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Fields the fake can filter on, by every name Jira accepts for them.
FIELD_ALIASES = {
    "project": "project",
    "key": "key",
    "issuekey": "key",
    "id": "key",
    "updated": "updated",
    "updateddate": "updated",
    "created": "created",
    "createddate": "created",
    "status": "status",
    "statuscategory": "statusCategory",
    "labels": "labels",
}
SORTABLE = {"updated", "created", "key"}
DATE_FIELDS = {"updated", "created"}
OPERATORS = {"=", "!=", ">", ">=", "<", "<=", "in", "not in"}

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>>=|<=|!=|=|>|<)
      | (?P<punct>[(),])
      | (?P<word>[^\s"'(),=!<>]+)
    )""",
    re.VERBOSE,
)
_RELATIVE = re.compile(r"^([+-]?)(\d+)([wdhm])$", re.IGNORECASE)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_DATE_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")


class JqlError(ValueError):
    """A query Jira would answer with 400; the message is Jira's."""


@dataclass(frozen=True)
class Clause:
    field: str  # canonical: project, key, updated, created, status, statusCategory, labels
    operator: str  # =, !=, >, >=, <, <=, in, not in
    values: tuple[str, ...]


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    order: tuple[tuple[str, bool], ...]  # (field, descending)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise JqlError(f"Error in the JQL Query: The character '{text[position]}' is a reserved JQL character.")
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append((kind, value))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise JqlError("Error in the JQL Query: Expecting either a value, list or function but got end of query.")
        self.position += 1
        return token

    def is_word(self, word: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return token is not None and token[0] == "word" and token[1].lower() == word

    def parse(self) -> Query:
        clauses = []
        if self.peek() is not None and not (self.is_word("order") and self.is_word("by", 1)):
            clauses.append(self.clause())
            while self.is_word("and"):
                self.position += 1
                clauses.append(self.clause())
        order = self.order_by() if self.is_word("order") else ()
        if self.peek() is not None:
            word = self.peek()[1]
            if word.lower() in ("or", "not"):
                raise JqlError(f"Error in the JQL Query: '{word.upper()}' is not supported by this fake (AND only).")
            raise JqlError(f"Error in the JQL Query: Expecting 'AND', 'OR' or 'ORDER BY' but got '{word}'.")
        return Query(tuple(clauses), order)

    def field(self) -> str:
        kind, name = self.take()
        if kind not in ("word", "string") or name.lower() not in FIELD_ALIASES:
            raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")
        return FIELD_ALIASES[name.lower()]

    def clause(self) -> Clause:
        field = self.field()
        if self.is_word("not") and self.is_word("in", 1):
            self.position += 2
            operator = "not in"
        elif self.is_word("in"):
            self.position += 1
            operator = "in"
        else:
            kind, operator = self.take()
            if kind != "op":
                raise JqlError(
                    f"Error in the JQL Query: Expecting operator but got '{operator}'. The valid operators are "
                    "'=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and 'IS NOT'."
                )
        values = self.value_list() if operator in ("in", "not in") else (self.value(),)
        if field in DATE_FIELDS and operator in ("in", "not in"):
            raise JqlError(f"The operator '{operator.upper()}' is not supported by the '{field}' field.")
        if field not in DATE_FIELDS and operator in (">", ">=", "<", "<="):
            raise JqlError(f"The operator '{operator}' is not supported by the '{field}' field.")
        return Clause(field, operator, values)

    def value(self) -> str:
        kind, value = self.take()
        if kind not in ("word", "string"):
            raise JqlError(f"Error in the JQL Query: Expecting either a value, list or function but got '{value}'.")
        if kind == "word" and value.lower() in ("and", "or", "order", "not", "in"):
            raise JqlError(
                f"Error in the JQL Query: '{value}' is a reserved JQL word. "
                "You must surround it in quotation marks to use it in a query."
            )
        return value

    def value_list(self) -> tuple[str, ...]:
        if self.take() != ("punct", "("):
            raise JqlError("Error in the JQL Query: Expecting '(' after IN.")
        values = [self.value()]
        while self.peek() == ("punct", ","):
            self.position += 1
            values.append(self.value())
        if self.take() != ("punct", ")"):
            raise JqlError("Error in the JQL Query: Expecting ')' to close the list.")
        return tuple(values)

    def order_by(self) -> tuple[tuple[str, bool], ...]:
        self.position += 1
        if not self.is_word("by"):
            raise JqlError("Error in the JQL Query: Expecting 'BY' after 'ORDER'.")
        self.position += 1
        order = []
        while True:
            field = self.field()
            if field not in SORTABLE:
                raise JqlError(f"Not able to sort using field '{field}' (this fake sorts by updated, created, key).")
            descending = False
            if self.is_word("asc") or self.is_word("desc"):
                descending = self.take()[1].lower() == "desc"
            order.append((field, descending))
            if self.peek() != ("punct", ","):
                return tuple(order)
            self.position += 1


def parse_jql(text: str) -> Query:
    """Parse `text`; raise JqlError with Jira's wording for anything outside the subset."""
    return _Parser(text or "").parse()


def jql_date_ms(value: str, *, field: str, now_ms: int, time_zone: ZoneInfo) -> int:
    """A JQL date value as epoch milliseconds: absolute dates are minutes in the user's time zone."""
    relative = _RELATIVE.match(value.strip())
    if relative:
        sign, amount, unit = relative.groups()
        delta = timedelta(**{_UNITS[unit.lower()]: int(amount)})
        milliseconds = int(delta.total_seconds() * 1000)
        return now_ms - milliseconds if sign == "-" else now_ms + milliseconds
    for date_format in _DATE_FORMATS:
        try:
            moment = datetime.strptime(value.strip(), date_format).replace(tzinfo=time_zone)
        except ValueError:
            continue
        return int(moment.timestamp() * 1000)
    raise JqlError(
        f"Date value '{value}' for field '{field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
        "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    )
