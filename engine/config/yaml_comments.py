"""The comments of a YAML config file: its leading description and the comment of each key.

Packaged and project options document themselves in comments (``plugins/conf/**/*.yaml``):
the file's leading comment says what the option is, and the comment lines just above a
key (plus a comment at the end of its line) say what the key means.  YAML loaders drop
comments and no comment-keeping YAML library is a dependency, so this reads the lines
itself.  It reads only what it needs: block mappings (``key:`` lines, nested by
indentation).  Everything a key's line continues into (a block scalar, a multi-line flow
collection or quoted string, the items of a sequence) is skipped, so nothing inside a
value is ever mistaken for a key or a comment.  Values are left to the YAML loader.

The conventions it follows:

* the leading comment is every comment line before the first key, except a last
  paragraph that sits directly above the first key when an earlier paragraph exists
  (that one is the first key's comment); a single block above the first key (``# CSV
  file(s) ...`` over ``kind: csv``) describes the file;
* a key's comment is the block of comment lines directly above it (a blank line ends a
  block) joined into one line, then its end-of-line comment (after "; " when the lines
  above end without a full stop);
* a ``# @package X`` line is Hydra's package directive, not prose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Hydra's package directive (``# @package _global_``) in a config file's header.
_PACKAGE = re.compile(r"^#\s*@package\s+(\S+)")
#: A sentence ends at . ! or ? followed by a space and a capital (or a `code` / $VAR start).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`$])")


@dataclass(frozen=True)
class KeyNote:
    """What the comments say about one key."""

    # The key's comment (lines above it and its end-of-line comment), one line; "" if none.
    comment: str
    # 1-based line number of the key in the file.
    line: int
    # True when the key's value is on the following lines (a block mapping or sequence).
    block: bool


@dataclass(frozen=True)
class FileComments:
    """The comments of one YAML file."""

    # The file's leading comment, paragraphs separated by a blank line ("" if none).
    description: str = ""
    # Key path (tuple of keys from the top) -> its note, in file order.
    keys: dict[tuple[str, ...], KeyNote] = field(default_factory=dict)
    # Hydra's ``# @package`` directive, when the file has one.
    package: str | None = None

    @property
    def summary(self) -> str:
        """The description's first sentence."""
        return first_sentence(self.description)


def first_sentence(text: str) -> str:
    """The first sentence of ``text``'s first paragraph (all of it when it has no end)."""
    paragraph = " ".join(text.strip().split("\n\n")[0].split())
    return _SENTENCE_END.split(paragraph, maxsplit=1)[0] if paragraph else ""


def parse_comments(text: str) -> FileComments:
    """The leading description and every block-mapping key's comment of a YAML text."""
    blocks: list[list[str]] = []  # comment paragraphs before the first key
    pending: list[str] = []       # comment lines directly above the current line
    keys: dict[tuple[str, ...], KeyNote] = {}
    stack: list[tuple[int, str]] = []  # (indent, key) of the open block mappings
    package = None
    skip_deeper_than: int | None = None  # lines indented more continue the line above

    def end_block() -> None:
        nonlocal pending
        if pending and not keys:
            blocks.append(pending)
        pending = []

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if skip_deeper_than is not None:
            if not stripped or indent > skip_deeper_than:
                continue
            skip_deeper_than = None
        if not stripped:
            end_block()
            continue
        if stripped.startswith("#"):
            match = _PACKAGE.match(stripped)
            if match and not keys:
                package = match.group(1)
            else:
                pending.append(_comment_text(stripped))
            continue
        if stripped in ("---", "...") or stripped.startswith("%"):
            end_block()
            continue
        parsed = None if stripped == "-" or stripped.startswith("- ") else _key_line(stripped)
        if parsed is None:  # a sequence item, a scalar, a flow collection: never read inside
            end_block()
            skip_deeper_than = indent
            continue
        key, value, trailing = parsed
        first_key = not keys
        above = pending
        if first_key:
            if pending:
                blocks.append(pending)
            above = blocks.pop() if len(blocks) > 1 and pending else []
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = (*[k for _, k in stack], key)
        block = _opens_block(value)
        comment = _joined(above, trailing)
        keys[path] = KeyNote(comment=comment, line=number, block=block)
        pending = []
        if block:
            stack.append((indent, key))
        else:
            skip_deeper_than = indent
    end_block()
    description = "\n\n".join("\n".join(b) for b in blocks).strip()
    return FileComments(description=description, keys=keys, package=package)


def _joined(above: list[str], trailing: str) -> str:
    """The lines above a key and its end-of-line comment as one line of prose."""
    text = " ".join(" ".join(above).split())
    if text and trailing:
        return f"{text}{' ' if text[-1] in '.!?;:' else '; '}{trailing}"
    return text or trailing


def _comment_text(stripped: str) -> str:
    """A comment line's text: without its ``#`` marks and the space after them."""
    return stripped.lstrip("#").strip()


def _key_line(content: str) -> tuple[str, str, str] | None:
    """(key, value text, end-of-line comment) of a ``key: value`` line, else None."""
    if content[0] in "\"'":
        end = _closing_quote(content, 0)
        if end is None:
            return None
        key, rest = content[1:end], content[end + 1:].lstrip(" ")
        if not rest.startswith(":") or (len(rest) > 1 and rest[1] not in " \t"):
            return None
        rest = rest[1:]
    else:
        if content[0] in "[{?&*!|>@`%,":
            return None
        match = re.search(r":(?=\s|$)", content)
        if match is None:
            return None
        key, rest = content[:match.start()].rstrip(), content[match.end():]
        if not key or re.search(r"\s#", key):
            return None  # "a #comment: x": the colon is inside a comment
    value, trailing = split_comment(rest)
    return key, value, trailing


def _closing_quote(text: str, start: int) -> int | None:
    """Index of the quote closing the quoted scalar that opens at ``start``."""
    quote = text[start]
    i = start + 1
    while i < len(text):
        c = text[i]
        if quote == '"' and c == "\\":
            i += 2
            continue
        if c == quote:
            if quote == "'" and text[i + 1:i + 2] == "'":  # '' is an escaped quote
                i += 2
                continue
            return i
        i += 1
    return None


def split_comment(rest: str) -> tuple[str, str]:
    """A value text and its end-of-line comment: ``' "#a"  # b'`` -> ``('"#a"', 'b')``.

    A ``#`` starts a comment only outside quotes and after a space (``a#b`` is a value);
    a quote opens a quoted scalar only where a value starts (``it's`` is plain text).
    """
    i, previous = 0, " "
    while i < len(rest):
        c = rest[i]
        if c in "\"'" and previous.isspace() or c in "\"'" and previous in "[{,:":
            end = _closing_quote(rest, i)
            if end is None:
                break  # a quoted string that goes on over the next lines
            i, previous = end + 1, rest[end]
            continue
        if c == "#" and previous.isspace():
            return rest[:i].strip(), _comment_text(rest[i:])
        previous = c
        i += 1
    return rest.strip(), ""


def _opens_block(value: str) -> bool:
    """True when a key's value is on the next lines: nothing, or only an anchor or tag."""
    return all(token[0] in "&!" for token in value.split())
