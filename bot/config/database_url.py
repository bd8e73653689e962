"""SQLAlchemy-style database URLs, parsed without importing SQLAlchemy.

Importing SQLAlchemy would cost the Telegram front-end process memory it otherwise
never needs (bench/README.md, "Figures behind the code"), and the config only needs
to check a URL's drivername and print it with the password hidden. The grammar is
copied from sqlalchemy.engine.url._parse_url (SQLAlchemy 2), so a URL is accepted
here exactly when make_url() accepts it.

Rendering keeps the user's own spelling instead of re-quoting every part the
way URL.render_as_string() does: the result parses to the same URL, and for
ordinary URLs it is the same string.
"""

import dataclasses
import re

_URL_RE = re.compile(
    r"""
        (?P<name>[\w\+]+)://
        (?:
            (?P<username>[^:/]*)
            (?::(?P<password>[^@]*))?
        @)?
        (?:
            (?:
                \[(?P<ipv6host>[^/\?]+)\] |
                (?P<ipv4host>[^/:\?]+)
            )?
            (?::(?P<port>[^/\?]*))?
        )?
        (?:/(?P<database>[^\?]*))?
        (?:\?(?P<query>.*))?
    """,
    re.VERBOSE,
)


@dataclasses.dataclass(frozen=True)
class DatabaseURL:
    text: str
    drivername: str
    # Where SQLAlchemy stops reading: "." does not match a newline in the query.
    end: int
    password_span: tuple[int, int] | None

    def with_drivername(self, drivername: str) -> str:
        return drivername + self.text[len(self.drivername) :]

    def masked(self) -> str:
        """The URL with its password replaced by ***, for logs."""
        if self.password_span is None:
            return self.text[: self.end]
        start, stop = self.password_span
        return f"{self.text[:start]}***{self.text[stop : self.end]}"


def parse_database_url(text: str) -> DatabaseURL:
    """Raise ValueError where sqlalchemy.engine.make_url() raises."""
    match = _URL_RE.match(text)
    if match is None:
        raise ValueError("not a database URL")
    port = match["port"]
    if port is not None:
        # As in make_url(): what int() rejects, an empty port included, is an error.
        int(port)
    span = match.span("password") if match["password"] is not None else None
    return DatabaseURL(text, match["name"], match.end(), span)
