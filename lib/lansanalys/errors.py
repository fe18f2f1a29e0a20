"""The kit's errors: what went wrong, where, and what was expected.

Every error a user can meet is one of these, raised with a message that names the file (and row
and column where there is one) and what was expected. The command line prints the message on one line
and exits non-zero, never with a traceback (``--debug`` shows it).

=====================  ==================================================================
error                  raised when
=====================  ==================================================================
``InputError``         a raw file cannot be used (file, row, column, what was expected)
``UnknownCodeError``   a län or kommun code does not exist (with a hint for a lost zero)
``BuildError``         the build cannot make valid tables; ``data/processed`` is kept as is
``MissingDataError``   a report needs a processed table that is missing (run the build)
``FetchError``         a download could not be done; no data file was written
``NetworkError``       no network, or a server that does not answer in time (a FetchError)
``SelectionError``     the source does not have what was asked, a year or a län (a FetchError)
=====================  ==================================================================

>>> str(InputError("befolkning.csv", "code lost its leading zero", row=4, column="region",
...                expected="'0821'"))
"befolkning.csv, row 4, column 'region': code lost its leading zero (expected '0821')"
"""

from __future__ import annotations

from pathlib import Path


class InputError(ValueError):
    """A raw file that cannot be used, with where and why."""

    def __init__(
        self,
        path: Path | str,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
    ):
        self.path, self.row, self.column = Path(path), row, column
        where = str(path)
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        msg = f"{where}: {problem}"
        if expected:
            msg += f" (expected {expected})"
        super().__init__(msg)


class UnknownCodeError(ValueError):
    """A län or kommun code that does not exist."""


class BuildError(RuntimeError):
    """The build could not produce valid tables; ``data/processed`` was left as it was."""


class MissingDataError(FileNotFoundError):
    """A processed table the report needs is missing: run the build first."""


class FetchError(RuntimeError):
    """A download that could not be done. The message is one line; no data file was written."""

    exit_code = 4


class NetworkError(FetchError):
    """No network, a server that cannot be reached or does not answer in time."""

    exit_code = 3


class SelectionError(FetchError):
    """The request cannot be met by the source (a year or län it does not have)."""

    exit_code = 2
