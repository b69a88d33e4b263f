"""The type of any JSON value, for schemas that allow anything (``{}``, free objects)."""

from __future__ import annotations

from typing import TypeAlias, Union

Json: TypeAlias = Union[None, bool, int, float, str, list["Json"], dict[str, "Json"]]
