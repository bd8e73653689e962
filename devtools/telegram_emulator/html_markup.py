"""Telegram's HTML parse mode, modelled on tdlib's ``parse_html``.

Error texts and byte offsets follow tdlib so assertions written against the emulator hold
against the real Bot API. In ``strict`` mode the emulator is stricter than tdlib in one way:
bare ``&``/``>`` and unknown entities are rejected, as the Bot API documentation demands,
although tdlib silently keeps them as text. Bots that pass strict mode are safe on Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, bad_request

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "a": "text_link",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\v\f\0"


@dataclass(slots=True)
class ParsedText:
    plain: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    utf16_start: int
    plain_start: int
    language: str = ""


class _Parser:
    def __init__(self, text: str, strict: bool) -> None:
        self.text = text
        self.strict = strict
        self.out: list[str] = []
        self.utf16 = 0
        self.plain_len = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def error(self, detail: str) -> ApiError:
        return bad_request(f"can't parse entities: {detail}")

    def byte_offset(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8", "surrogatepass"))

    def append(self, chunk: str) -> None:
        self.out.append(chunk)
        self.plain_len += len(chunk)
        for ch in chunk:
            self.utf16 += 2 if ord(ch) > 0xFFFF else 1

    def decode_entity(self, i: int) -> tuple[str | None, int]:
        """Return (decoded char or None, index after the entity)."""
        text = self.text
        n = len(text)
        j = i + 1
        value: str | None = None
        if j < n and text[j] == "#":
            j += 1
            hexadecimal = j < n and text[j] in "xX"
            if hexadecimal:
                j += 1
            digits_start = j
            allowed = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
            while j < n and text[j] in allowed:
                j += 1
            digits = text[digits_start:j]
            if digits:
                code = int(digits, 16 if hexadecimal else 10)
                if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                    value = chr(code)
        else:
            while j < n and text[j].isascii() and text[j].isalpha():
                j += 1
            value = _NAMED_ENTITIES.get(text[i + 1 : j])
        if value is None:
            return None, i + 1
        if j < n and text[j] == ";":
            return value, j + 1
        if self.strict:
            return None, i + 1
        return value, j

    def parse(self) -> ParsedText:
        text = self.text
        n = len(text)
        i = 0
        while i < n:
            ch = text[i]
            if ch == "&":
                decoded, i_next = self.decode_entity(i)
                if decoded is None:
                    if self.strict:
                        raise self.error(
                            f'Unsupported HTML entity or unescaped "&" at byte offset {self.byte_offset(i)}'
                        )
                    self.append("&")
                else:
                    self.append(decoded)
                i = i_next
            elif ch == ">" and self.strict:
                raise self.error(f'Unescaped ">" at byte offset {self.byte_offset(i)}')
            elif ch != "<":
                j = i + 1
                while j < n and text[j] not in "<>&":
                    j += 1
                self.append(text[i:j])
                i = j
            elif i + 1 < n and text[i + 1] == "/":
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise self.error(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def start_tag(self, begin: int) -> int:
        text = self.text
        n = len(text)
        i = begin + 1
        while i < n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        if i >= n:
            raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = text[begin + 1 : i].lower()
        if name not in SUPPORTED_TAGS:
            raise self.error(f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}')
        argument = ""
        while i < n and text[i] != ">":
            while i < n and text[i] in _SPACES:
                i += 1
            if i < n and text[i] == ">":
                break
            attr_begin = i
            while i < n and text[i] not in _SPACES and text[i] not in "=>/":
                i += 1
            attr_name = text[attr_begin:i]
            if not attr_name:
                raise self.error(
                    f'Empty attribute name in the tag "{name}" at byte offset {self.byte_offset(begin)}'
                )
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n or text[i] != "=":
                if name == "blockquote" and attr_name.lower() == "expandable":
                    argument = "expandable"
                    continue
                raise self.error(
                    f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                    f"at byte offset {self.byte_offset(begin)}"
                )
            i += 1
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n:
                raise self.error(f'Unclosed start tag "{name}" at byte offset {self.byte_offset(begin)}')
            value, i = self.attribute_value(i)
            if i >= n:
                raise self.error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            attr = attr_name.lower()
            if name == "a" and attr == "href":
                argument = value
            elif name == "code" and attr == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif name == "span" and attr == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif name == "tg-emoji" and attr == "emoji-id":
                argument = value
        if name == "span" and argument != "spoiler":
            raise self.error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_OpenTag(name, argument, self.utf16, self.plain_len))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        text = self.text
        n = len(text)
        if text[i] not in "'\"":
            start = i
            while i < n and (text[i].isalnum() or text[i] in ".-"):
                i += 1
            if i < n and text[i] not in _SPACES and text[i] != ">":
                raise self.error(f"Unexpected end of name token at byte offset {self.byte_offset(start)}")
            return text[start:i].lower(), i
        quote = text[i]
        i += 1
        chunks: list[str] = []
        while i < n and text[i] != quote:
            if text[i] == "&":
                decoded, i_next = self.decode_entity(i)
                if decoded is not None:
                    chunks.append(decoded)
                    i = i_next
                    continue
            chunks.append(text[i])
            i += 1
        if i < n:
            i += 1
        return "".join(chunks), i

    def end_tag(self, begin: int) -> int:
        text = self.text
        n = len(text)
        if not self.stack:
            raise self.error(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        i = begin + 2
        while i < n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        end_name = text[begin + 2 : i].lower()
        while i < n and text[i] in _SPACES:
            i += 1
        if i >= n or text[i] != ">":
            raise self.error(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        tag = self.stack.pop()
        if end_name and end_name != tag.name:
            raise self.error(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{end_name}>"'
            )
        self.close_entity(tag)
        return i + 1

    def close_entity(self, tag: _OpenTag) -> None:
        length = self.utf16 - tag.utf16_start
        if tag.name == "tg-emoji":
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise self.error("Invalid custom emoji identifier specified")
        if tag.name == "code" and tag.argument and self.stack:
            parent = self.stack[-1]
            if parent.name == "pre" and parent.utf16_start == tag.utf16_start:
                # tdlib folds <pre><code class="language-x"> into one pre entity with a language.
                parent.language = tag.argument
                return
        if length <= 0:
            return
        entity: dict[str, Any] = {
            "type": _ENTITY_TYPES[tag.name],
            "offset": tag.utf16_start,
            "length": length,
        }
        if tag.name == "a":
            url = tag.argument or "".join(self.out)[tag.plain_start :]
            if not url or url.startswith("tg://user?id="):
                return
            entity["url"] = url
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and tag.argument == "expandable":
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.argument
        self.entities.append(entity)


def parse_html(text: str, *, strict: bool = True) -> ParsedText:
    """Parse Telegram HTML; raise ApiError(400, "Bad Request: can't parse entities: ...")."""
    return _Parser(text, strict).parse()


def utf16_length(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
