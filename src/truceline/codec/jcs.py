"""RFC 8785 JSON Canonicalization Scheme (JCS).

`canonicalize` is the only way Truceline turns a JSON value into bytes that
get signed or hashed. The reference implementation is the `rfc8785` package
(ES6 number formatting, keys sorted by UTF-16 code units, minimal escaping);
this module adds a validating walk that names the offending field, and a
fast path through the C JSON encoder for the values where its output is
provably the same bytes (ASCII keys, integers within 2^53, floats that print
identically in Python and ES6). Ingest re-canonicalizes every payload, so the
fast path is what lets it keep up; the tests check both paths agree.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import rfc8785
from pydantic_core import from_json

from truceline.codec.errors import CanonicalizationError
from truceline.codec.jsonlimits import MAX_JSON_DEPTH, check_depth

_MISSING: Any = object()
MAX_SAFE_INTEGER = 2**53 - 1  # I-JSON (RFC 7493): larger integers lose precision in ES6
_MAX_DEPTH = MAX_JSON_DEPTH

_fast_encoder = json.JSONEncoder(
    ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
)


def _float_fast(value: float) -> bool:
    """True when repr(value) is exactly the ES6 Number::toString form.

    Both print the shortest round-tripping digits; they differ only in when
    they switch to exponent notation (ES6: 1e21 and 1e-7; Python: 1e16 and
    1e-4) and in integral values (Python '56.0', ES6 '56').
    """
    magnitude = abs(value)
    return 1e-4 <= magnitude < 1e16 and not value.is_integer()


def _walk(value: Any, path: str, depth: int) -> bool:
    """Validate `value` as JSON; return whether the fast encoder gives JCS bytes for it."""
    if depth > _MAX_DEPTH:
        raise CanonicalizationError(path or "$", f"nested deeper than {_MAX_DEPTH} levels")
    if value is None or value is True or value is False:
        return True
    kind = type(value)
    if kind is str:
        return True  # lone surrogates fail at UTF-8 encoding, checked by the caller
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return True
        raise CanonicalizationError(
            path or "$", f"integer {value} is outside ±(2^53-1) and has no exact JSON number form"
        )
    if kind is float:
        if not math.isfinite(value):
            raise CanonicalizationError(path or "$", f"{value!r} is not a JSON number")
        return _float_fast(value)
    if kind is dict:
        fast = True
        for key, item in value.items():
            if type(key) is not str:
                raise CanonicalizationError(
                    path or "$", f"object key {key!r} is a {type(key).__name__}, expected a string"
                )
            if not key.isascii():
                fast = False  # code-point order may differ from UTF-16 order
            child = f"{path}.{key}" if path else key
            fast = _walk(item, child, depth + 1) and fast
        return fast
    if kind is list or kind is tuple:
        fast = True
        for i, item in enumerate(value):
            fast = _walk(item, f"{path}[{i}]", depth + 1) and fast
        return fast
    if isinstance(value, bool | int | float | str | dict | list | tuple):
        return False  # subclasses (e.g. IntEnum, StrEnum): let the reference encoder decide
    raise CanonicalizationError(
        path or "$",
        f"a {type(value).__name__} is not a JSON value (expected object, array, "
        "string, number, true, false or null)",
    )


class _Redo(Exception):
    """Raised by `_scan` when `_walk` must decide (an error to name, or an unusual type)."""


_FAST, _FIX, _SLOW = 0, 1, 2  # C encoder as is; after integral floats become ints; rfc8785


def _scan(value: Any, depth: int) -> int:
    """`_walk` without building paths (the hot path of sealing): _FAST, _FIX or _SLOW.

    Raises _Redo for anything `_walk` would reject or treat specially, so the result,
    when there is one, is `_walk`'s. _FIX: the only obstacle to the C encoder is integral
    floats within 2^53, which RFC 8785 prints as integers ('152.0' -> '152'), exactly as
    the C encoder prints the same value as an int.
    """
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return _FAST
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return _FAST
        raise _Redo
    if kind is float:
        magnitude = abs(value)
        if 1e-4 <= magnitude < 1e16 and not value.is_integer():
            return _FAST
        if value.is_integer() and magnitude <= MAX_SAFE_INTEGER:
            return _FIX
        if not math.isfinite(value):
            raise _Redo
        return _SLOW
    if depth >= _MAX_DEPTH:
        raise _Redo
    state = _FAST
    if kind is dict:
        for key in value:
            if type(key) is not str:
                raise _Redo
            if not key.isascii():
                state = _SLOW  # code-point order may differ from UTF-16 order
        items = value.values()
    elif kind is list or kind is tuple:
        items = value
    else:
        raise _Redo
    for item in items:
        # strings and small ints inline: a call per leaf is most of the cost
        leaf = type(item)
        if leaf is str or (leaf is int and -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER):
            continue
        found = _scan(item, depth + 1)
        if found > state:
            state = found
    return state


def _ints(value: Any) -> Any:
    """`value` with every integral float (within 2^53) as an int: same RFC 8785 bytes."""
    kind = type(value)
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is dict:
        return {k: _ints(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_ints(v) for v in value]
    return value


def canonicalize(obj: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of the JSON value `obj`.

    Raises CanonicalizationError (a ValueError) naming the field for NaN,
    infinity, integers beyond 2^53, non-string keys, lone surrogates and any
    non-JSON type.
    """
    try:
        state = _scan(obj, 0)
    except (_Redo, RecursionError):
        state = _FAST if _walk(obj, "", 0) else _SLOW  # raises, naming the field
    try:
        if state == _FAST:
            return _fast_encoder.encode(obj).encode("utf-8")
        if state == _FIX:
            return _fast_encoder.encode(_ints(obj)).encode("utf-8")
        return rfc8785.dumps(obj)
    except UnicodeEncodeError as exc:
        raise CanonicalizationError("$", f"string holds a lone surrogate: {exc.reason}") from exc
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalizationError("$", str(exc)) from exc


def reference_canonicalize(obj: Any) -> bytes:
    """The `rfc8785` package's output, without the fast path (for tests and audits)."""
    _walk(obj, "", 0)
    return rfc8785.dumps(obj)


def _parse_int(text: str) -> int | float:
    # JSON numbers are IEEE doubles (RFC 8785 §3.2.2.3): an integer beyond 2^53 is
    # the double nearest to it, as an ES6 parser would read it.
    value = int(text)
    if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"integer of {len(text)} digits is beyond any IEEE double") from None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(parse_int=_parse_int, parse_constant=_no_constants)


def loads(data: bytes | str) -> Any:
    """Parse JSON the way RFC 8785 reads it: big integers as doubles, no NaN/Infinity,
    nested at most MAX_JSON_DEPTH levels (JsonLimitError, a ValueError, beyond)."""
    check_depth(data)
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    value, end = _decoder.raw_decode(text, _skip_ws(text, 0))
    if _skip_ws(text, end) != len(text):
        raise ValueError(f"extra data after the JSON value at character {end}")
    return value


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in " \t\n\r":
        i += 1
    return i


# Number tokens where Python's repr and ES6 may differ: an integral float ('5.0') or an
# exponent ('1e-05', '1e+16'). Text inside strings that looks like one only sends us the
# slow way. Two simple patterns: each starts with a literal or one class, which the regex
# engine scans for quickly (one combined pattern was several times slower).
_INTEGRAL_FLOAT = re.compile(rb"\.0(?![0-9])")
_EXPONENT = re.compile(rb"[eE][-+]?[0-9]")


def is_canonical(data: bytes, value: Any = _MISSING) -> bool:
    """Whether `data` is exactly the canonical form of the JSON it holds (`value`, if parsed).

    Fast when `data` is ASCII and has no suspect number token: then the C encoder's output
    is the RFC 8785 form, and equality with it decides. Otherwise the full canonicalization.
    """
    try:
        if value is _MISSING:
            value = loads(data)
        if data.isascii() and not _INTEGRAL_FLOAT.search(data) and not _EXPONENT.search(data):
            fast = _fast_encoder.encode(value)
            if fast.isascii() and fast.encode("ascii") == data:
                return True
            # otherwise decide the slow way (e.g. 0.00001, which Python prints as 1e-05)
        return canonicalize(value) == data
    except (ValueError, RecursionError):
        return False


# Payloads where pydantic-core's parser gives exactly what `loads` gives: ASCII without
# escapes (so every string is the same), and no digit run of 16 or more (every integer is
# within 2^53, where `loads` keeps ints; floats, exponents included, round the same in
# both: tested). Digits, 'E' and '+' are folded first, so plain substring searches
# replace regex scans.
_FOLD = bytes.maketrans(b"123456789E+", b"000000000e-")
_LONG_DIGITS = b"0" * 16


def loads_checked(data: bytes) -> tuple[Any, bool]:
    """`(loads(data), is_canonical(data, value))`, faster; ValueError as `loads` raises it.

    The hot path of ingest: for an ASCII payload without escapes, suspect number tokens or
    long digit runs, pydantic-core parses (several times faster than the json module) and
    equality with the C encoder's output proves the canonical form. Anything else, and any
    inequality, takes the reference path, which also gives the error messages.
    """
    check_depth(data)
    folded = data.translate(_FOLD)
    if (
        data.isascii()
        and b"\\" not in data
        and _LONG_DIGITS not in folded
        # Python's repr writes exponents as 1e-05 / 1e+16 (always signed), where RFC 8785
        # may differ; a hex digest ('3e4f') has no sign, so it does not trip this
        and b"0e-0" not in folded
        and not _INTEGRAL_FLOAT.search(data)
    ):
        try:
            value = from_json(data, allow_inf_nan=False)
        except ValueError:
            value = _MISSING  # let `loads` decide and name the fault
        if value is not _MISSING:
            try:
                if _fast_encoder.encode(value).encode("ascii") == data:
                    return value, True
            except (ValueError, RecursionError):
                pass
            # not the C encoder's bytes: RFC 8785 may still differ from it (0.00001)
            return value, is_canonical(data, value)
    value = loads(data)
    return value, is_canonical(data, value)
