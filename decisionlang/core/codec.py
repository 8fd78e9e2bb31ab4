"""The decision model as plain data and back: one generic codec over dataclass fields and type hints.

`to_data(value)` and `from_data(cls, data)` are exact inverses for the model's dataclasses. Each
class is read once (its fields and their type hints) into a plan of small encoder and decoder
functions, so a field added to a model class is carried without touching this module.

- A field's key is its name, or the one a class gives it in `__keys__` where the public name
  differs (`service` for `subject`).
- A field whose value is what its absence would mean (its default, else None for an optional field,
  else the empty tuple) is left out, and restored when absent: a trace carries no nulls nor `[]`.
- Enums are written as their values, dates as ISO text, tuples as lists, spans as their region,
  numbers and traced values as `core/format.py` writes JSON. The codec is exact on what the
  engine records: numbers of at most 9 significant digits, JSON-ready traced values.
- A class may list derived keys (`__derived__`: key -> function of the object): written for
  readers of the JSON, skipped when reading back (they are recomputed from the fields).
- A class may keep tables (`__tables__`: key -> class): every object of that class met while
  writing it is written once, in the table, and referred to by its position (a fact read by ten
  rules of a subject is written once per subject). Reading accepts positions and whole objects.
- A class may be written as a list of its fields (`__as_list__`), trailing null ones left out:
  a location is `["services/a.yaml", 12, 5]`. Reading accepts the object form too.
- Bad data raises `CodecError`, naming the key path and what was expected, never a KeyError.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import enum
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from decisionlang.core.format import json_number, json_value
from decisionlang.core.spans import SourceFile, Span

T = TypeVar("T")
Encoder = Callable[[Any], Any]
Decoder = Callable[[Any, str], Any]

_REQUIRED = object()  # the absence marker of a field that must always be written
_NON_FINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}


class CodecError(ValueError):
    """Data that does not read as the model: where (a key path such as `services[2].verdict`), and why."""

    def __init__(self, path: str, expected: str, found: Any = _REQUIRED) -> None:
        shown = "" if found is _REQUIRED else f", found {_describe(found)}"
        super().__init__(f"{path or 'the data'}: expected {expected}{shown}")
        self.path = path
        self.expected = expected


def to_data(value: Any) -> Any:
    """A model object as JSON-ready data (dicts, lists, text, numbers, booleans)."""
    return _plan(type(value)).encode(value)


def from_data(cls: type[T], data: Any, path: str = "") -> T:
    """The model object of class `cls` that `data` (as written by `to_data`) describes."""
    decoded: T = _plan(cls).decode(data, path)
    return decoded


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    attribute: str
    key: str
    encode: Encoder
    decode: Decoder
    absent: Any  # the value absence stands for, or _REQUIRED
    hint: Any = None
    scoped: bool = False  # absent when it is the enclosing scope's value (`__in_scope__`)


class _Table:
    """The objects of one class written once within an enclosing object, by position."""

    __slots__ = ("items", "positions")

    def __init__(self, items: list[Any] | None = None) -> None:
        self.items: list[Any] = items or []
        self.positions: dict[int, int] = {}

    def add(self, value: Any) -> int:
        """The position of `value` (by identity: the engine records each fact once per subject)."""
        position = self.positions.get(id(value))
        if position is None:
            position = self.positions[id(value)] = len(self.items)
            self.items.append(value)
        return position


class _Files:
    """The file names written within an enclosing object, each once, by position."""

    __slots__ = ("names", "positions")

    def __init__(self, names: list[str] | None = None) -> None:
        self.names: list[str] = names or []
        self.positions: dict[str, int] = {}

    def add(self, name: str) -> int:
        position = self.positions.get(name)
        if position is None:
            position = self.positions[name] = len(self.names)
            self.names.append(name)
        return position


class _Scope:
    """What the object being written or read shares with the objects inside it: its tables, its
    files table, and the value its nested `__in_scope__` fields stand for when absent."""

    __slots__ = ("files", "tables", "value")

    def __init__(self, tables: dict[type[Any], _Table], files: _Files | None, value: Any) -> None:
        self.tables = tables
        self.files = files
        self.value = value


# The scope of the object being read (none outside one that keeps tables). Writing passes it along.
_TABLES: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar(
    "decisionlang_codec_tables", default=None
)


class _Plan:
    """How one dataclass is written and read; built on first use (classes may refer to each other)."""

    def __init__(self, cls: type[Any]) -> None:
        self.cls = cls
        hints = typing.get_type_hints(cls)
        keys: Mapping[str, str] = getattr(cls, "__keys__", {})
        scoped: tuple[str, ...] = getattr(cls, "__in_scope__", ())
        self.fields = tuple(
            _field(spec, hints[spec.name], keys.get(spec.name, spec.name), spec.name in scoped)
            for spec in dataclasses.fields(cls)
            if spec.init
        )
        self.derived: Mapping[str, Callable[[Any], Any]] = getattr(cls, "__derived__", {})
        self.tables: Mapping[str, type[Any]] = getattr(cls, "__tables__", {})
        self.files_key: str | None = getattr(cls, "__files__", None)
        self.scope: str | None = getattr(cls, "__scope__", None)
        self.filed: str | None = getattr(cls, "__filed__", None)  # a field written as a file position
        self.as_list: bool = getattr(cls, "__as_list__", False)
        names = [item.key for item in self.fields] + list(self.derived) + list(self.tables)
        self.keys = frozenset(names + ([self.files_key] if self.files_key else []))
        self._encode: Callable[[Any, _Scope | None], Any] | None = None

    def encode(self, value: Any, scope: _Scope | None = None) -> Any:
        return self.encoder()(value, scope)

    def encoder(self) -> Callable[[Any, _Scope | None], Any]:
        """The compiled encoder; while it is being compiled (a class that contains itself), a
        stand-in that calls it once it exists."""
        encode = self._encode
        if encode is None:
            self._encode = lambda value, scope: self.encoder()(value, scope)
            try:
                encode = self._encode = _compile_encoder(self)
            except BaseException:
                self._encode = None
                raise
        return encode

    def decode(self, data: Any, path: str) -> Any:
        if self.as_list and isinstance(data, list):
            return self._decode_list(data, path)
        if not isinstance(data, dict):
            shape = "a list or an object" if self.as_list else "an object"
            raise CodecError(path, f"{shape} ({_article(self.cls.__name__)})", data)
        if not self.tables:
            return self._decode_fields(data, path)
        files = None
        if self.files_key is not None:
            files = self._decode_files(data.get(self.files_key, []), _join(path, self.files_key))
        value = None
        if self.scope is not None:
            key = next(item.key for item in self.fields if item.attribute == self.scope)
            value = data.get(key)
        token = _TABLES.set(_Scope({}, files, value))  # the tables' items read within this scope
        try:
            tables = {
                cls: self._decode_table(cls, data.get(key, []), _join(path, key))
                for key, cls in self.tables.items()
            }
        finally:
            _TABLES.reset(token)
        token = _TABLES.set(_Scope(tables, files, value))
        try:
            return self._decode_fields(data, path)
        finally:
            _TABLES.reset(token)

    def _decode_files(self, data: Any, path: str) -> _Files:
        if not isinstance(data, list) or not all(isinstance(name, str) for name in data):
            raise CodecError(path, "a list of file names", data)
        return _Files(list(data))

    def _decode_table(self, cls: type[Any], data: Any, path: str) -> _Table:
        if not isinstance(data, list):
            raise CodecError(path, "a list", data)
        plan = _plan(cls)
        return _Table([plan.decode(item, f"{path}[{index}]") for index, item in enumerate(data)])

    def _decode_list(self, data: list[Any], path: str) -> Any:
        required = sum(1 for item in self.fields if item.absent is _REQUIRED)
        if not required <= len(data) <= len(self.fields):
            names = ", ".join(item.key for item in self.fields)
            raise CodecError(path, f"a list of {required} to {len(self.fields)} items ({names})", data)
        arguments = {}
        for index, (item, value) in enumerate(zip(self.fields, data, strict=False)):
            if item.attribute == self.filed and _is_integer(value):
                arguments[item.attribute] = _file_at(value, f"{path}[{index}]")
            else:
                arguments[item.attribute] = item.decode(value, f"{path}[{index}]")
        for item in self.fields[len(data) :]:
            arguments[item.attribute] = item.absent
        return self.cls(**arguments)

    def _decode_fields(self, data: dict[str, Any], path: str) -> Any:
        unknown = [key for key in data if key not in self.keys]
        if unknown:
            expected = ", ".join(sorted(self.keys))
            raise CodecError(path, f"the keys of {_article(self.cls.__name__)} ({expected})", unknown[0])
        arguments: dict[str, Any] = {}
        for item in self.fields:
            if item.key in data:
                arguments[item.attribute] = item.decode(data[item.key], _join(path, item.key))
            elif item.scoped and (scope := _TABLES.get()) is not None and scope.value is not None:
                arguments[item.attribute] = item.decode(scope.value, _join(path, item.key))
            elif item.absent is _REQUIRED:
                raise CodecError(path, f"the key `{item.key}` ({self.cls.__name__})")
            else:
                arguments[item.attribute] = item.absent
        return self.cls(**arguments)


def _file_at(position: int, path: str) -> str:
    scope = _TABLES.get()
    names = scope.files.names if scope is not None and scope.files is not None else []
    if not 0 <= position < len(names):
        where = f"0 to {len(names) - 1}" if names else "none here"
        raise CodecError(path, f"a file name or a position in the table of files ({where})", position)
    return names[position]


# ---------------------------------------------------------------- writing, compiled per class
#
# Writing is the hot path (a traced report of thousands of subjects): each class's encoder is
# generated once as straight-line Python from its plan, one statement per field, instead of a
# loop that looks each field's rule up for every object written.


def _compile_encoder(plan: _Plan) -> Callable[[Any, _Scope | None], Any]:
    names: dict[str, Any] = {
        "_plan": _plan,
        "_Scope": _Scope,
        "_Table": _Table,
        "_Files": _Files,
        "_PLAIN": _PLAIN,
        "json_value": json_value,
        "_encode_float": _encode_float,
    }
    lines = ["def encode(value, scope):"]
    if plan.tables:
        tables = ", ".join(f"T{index}: _Table()" for index in range(len(plan.tables)))
        for index, cls in enumerate(plan.tables.values()):
            names[f"T{index}"] = cls
        files = "_Files()" if plan.files_key else "None"
        scoped = f"value.{plan.scope}" if plan.scope else "None"
        lines.append(f"    scope = _Scope({{{tables}}}, {files}, {scoped})")
    if plan.as_list:
        items = []
        for index, item in enumerate(plan.fields):
            expression = _expression(item, f"value.{item.attribute}", names, f"f{index}")
            if item.attribute == plan.filed:
                expression = (
                    f"(scope.files.add({expression}) if scope is not None and scope.files is not None "
                    f"else {expression})"
                )
            items.append(expression)
        for index, expression in enumerate(items):
            lines.append(f"    a{index} = {expression}")
        last = len(items)
        while last > 1 and plan.fields[last - 1].absent is None:  # trailing Nones are left out
            lines.append(
                f"    if a{last - 1} is not None: return [{', '.join(f'a{i}' for i in range(last))}]"
            )
            last -= 1
        lines.append(f"    return [{', '.join(f'a{i}' for i in range(last))}]")
        return _define(lines, names)
    lines.append("    data = {}")
    for index, item in enumerate(plan.fields):
        names[f"A{index}"] = item.absent
        lines.append(f"    v = value.{item.attribute}")
        expression = _expression(item, "v", names, f"f{index}")
        store = f"data[{item.key!r}] = {expression}"
        if item.scoped:
            lines.append("    if scope is None or v != scope.value:")
            lines.append(f"        {store}")
        elif item.absent is _REQUIRED:
            lines.append(f"    {store}")
        elif item.absent is None:
            lines.append(f"    if v is not None: {store}")
        else:
            lines.append(f"    if v is not A{index} and v != A{index}: {store}")
    for index, (key, derive) in enumerate(plan.derived.items()):
        names[f"D{index}"] = derive
        lines.append(f"    data[{key!r}] = D{index}(value)")
    if plan.tables:
        for index, key in enumerate(plan.tables):
            names[f"P{index}"] = _plan(plan.tables[key]).encoder()
            lines.append(f"    items = scope.tables[T{index}].items")
            lines.append("    if items:")
            lines.append(f"        data[{key!r}] = [P{index}(item, scope) for item in items]")
        if plan.files_key:
            lines.append("    if scope.files.names:")
            lines.append(f"        data[{plan.files_key!r}] = scope.files.names")
    lines.append("    return data")
    return _define(lines, names)


def _define(lines: list[str], names: dict[str, Any]) -> Callable[[Any, _Scope | None], Any]:
    exec("\n".join(lines), names)  # the source is ours: built above from the model's type hints
    encode: Callable[[Any, _Scope | None], Any] = names["encode"]
    return encode


_PLAIN = frozenset({str, int, bool, type(None)})  # written as themselves by json_value


def _expression(item: _Field, value: str, names: dict[str, Any], name: str) -> str:
    """Python source that writes `value`, of the field's type hint."""
    return _hint_expression(item.hint, item.encode, value, names, name)


def _hint_expression(hint: Any, encode: Encoder, value: str, names: dict[str, Any], name: str) -> str:
    if hint is Any:
        return f"({value} if {value}.__class__ in _PLAIN else json_value({value}))"
    if hint is float:
        return f"({value} if {value}.__class__ is int else _encode_float({value}))"
    if _is_model(hint):
        names[f"C_{name}"] = hint
        names[f"P_{name}"] = _plan(hint).encoder()
        # an object of a class the enclosing object keeps in a table is written as its position
        return (
            f"(scope.tables[C_{name}].add({value}) if scope is not None and C_{name} in scope.tables "
            f"else P_{name}({value}, scope) if {value}.__class__ is C_{name} "
            f"else _plan({value}.__class__).encode({value}, scope))"
        )
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return f"{value}._value_"  # the member's value, without the `value` property's descriptor
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        option = next(option for option in arguments if option is not type(None))
        inner = _hint_expression(option, encode, value, names, name)
        return value if inner == value else f"(None if {value} is None else {inner})"
    if origin is tuple and arguments[-1:] == (Ellipsis,) and _has_dataclass(arguments[0]):
        inner = _hint_expression(arguments[0], encode, "x", names, name)
        return f"[{inner} for x in {value}]"
    if _has_dataclass(hint):
        raise TypeError(f"the decision model's codec writes no model object nested in {hint!r}")
    if encode is _same:
        return value
    names[f"E_{name}"] = encode
    return f"E_{name}({value})"


def _is_model(hint: Any) -> bool:
    """A class of the decision model (a span is written by its own rule, `_encode_span`)."""
    return isinstance(hint, type) and dataclasses.is_dataclass(hint) and hint is not Span


def _has_dataclass(hint: Any) -> bool:
    if _is_model(hint):
        return True
    return any(_has_dataclass(argument) for argument in typing.get_args(hint) if argument is not Ellipsis)


_PLANS: dict[type[Any], _Plan] = {}


def _plan(cls: type[Any]) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"{cls!r} is not a dataclass of the decision model")
        plan = _PLANS[cls] = _Plan(cls)
    return plan


def _field(spec: dataclasses.Field[Any], hint: Any, key: str, scoped: bool = False) -> _Field:
    encode, decode = _coder(hint)
    if spec.default is not dataclasses.MISSING:
        absent = spec.default
    elif spec.default_factory is not dataclasses.MISSING:
        absent = spec.default_factory()
    elif _is_optional(hint) or hint is Any:
        absent = None
    elif typing.get_origin(hint) is tuple and typing.get_args(hint)[-1:] == (Ellipsis,):
        absent = ()
    else:
        absent = _REQUIRED
    return _Field(spec.name, key, encode, decode, absent, hint, scoped)


def _is_optional(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in typing.get_args(hint)


def _coder(hint: Any) -> tuple[Encoder, Decoder]:
    """The encoder and decoder of one type hint."""
    if hint is Any:
        return json_value, _any
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _optional(hint)
    if origin is tuple:
        return _tuple(typing.get_args(hint))
    if hint is Span:
        return _encode_span, _decode_span
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum(hint)
    if hint is dt.date:
        return dt.date.isoformat, _decode_date
    if hint is bool:
        return _same, _checked(lambda data: isinstance(data, bool), "true or false")
    if hint is int:
        return _same, _checked(
            lambda data: isinstance(data, int) and not isinstance(data, bool), "an integer"
        )
    if hint is float:
        return _encode_float, _decode_float
    if hint is str:
        return _same, _checked(lambda data: isinstance(data, str), "text")
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(hint)
    raise TypeError(f"the decision model's codec has no rule for the type {hint!r}")


def _dataclass(cls: type[Any]) -> tuple[Encoder, Decoder]:
    """An object of the model: written whole, or as its position in a table of the enclosing object."""

    def encode(value: Any) -> Any:  # the compiled encoders write objects themselves (`_hint_expression`)
        return _plan(type(value)).encode(value)

    def decode(data: Any, path: str) -> Any:
        if _is_integer(data):
            scope = _TABLES.get()
            table = scope.tables.get(cls) if scope is not None else None
            if table is None or not 0 <= data < len(table.items):
                where = f"0 to {len(table.items) - 1}" if table is not None and table.items else "none here"
                raise CodecError(
                    path, f"an object or a position in the table of {cls.__name__}s ({where})", data
                )
            return table.items[data]
        return _plan(cls).decode(data, path)

    return encode, decode


def _is_integer(data: Any) -> bool:
    return isinstance(data, int) and not isinstance(data, bool)


def _same(value: Any) -> Any:
    return value


def _checked(test: Callable[[Any], bool], expected: str) -> Decoder:
    def decode(data: Any, path: str) -> Any:
        if not test(data):
            raise CodecError(path, expected, data)
        return data

    return decode


def _optional(hint: Any) -> tuple[Encoder, Decoder]:
    options = [option for option in typing.get_args(hint) if option is not type(None)]
    if len(options) != 1 or len(options) == len(typing.get_args(hint)):
        raise TypeError(f"the decision model's codec reads only `X | None` unions, not {hint!r}")
    encode, decode = _coder(options[0])

    def encode_optional(value: Any) -> Any:
        return None if value is None else encode(value)

    if encode is _same:  # None is written as itself: no wrapper on the hot path
        encode_optional = _same

    def decode_optional(data: Any, path: str) -> Any:
        return None if data is None else decode(data, path)

    return encode_optional, decode_optional


def _tuple(arguments: tuple[Any, ...]) -> tuple[Encoder, Decoder]:
    if len(arguments) == 2 and arguments[1] is Ellipsis:
        encode_item, decode_item = _coder(arguments[0])

        def encode_items(value: Any) -> Any:
            return [encode_item(item) for item in value]

        def decode_items(data: Any, path: str) -> Any:
            if not isinstance(data, list):
                raise CodecError(path, "a list", data)
            return tuple(decode_item(item, f"{path}[{index}]") for index, item in enumerate(data))

        return encode_items, decode_items
    coders = [_coder(argument) for argument in arguments]

    def encode_fixed(value: Any) -> Any:
        return [encode(item) for (encode, _), item in zip(coders, value, strict=True)]

    def decode_fixed(data: Any, path: str) -> Any:
        if not isinstance(data, list) or len(data) != len(coders):
            raise CodecError(path, f"a list of {len(coders)} items", data)
        return tuple(
            decode(item, f"{path}[{index}]")
            for index, ((_, decode), item) in enumerate(zip(coders, data, strict=True))
        )

    return encode_fixed, decode_fixed


def _enum(cls: type[enum.Enum]) -> tuple[Encoder, Decoder]:
    values = {member.value: member for member in cls}
    expected = "one of " + ", ".join(str(value) for value in values)

    def decode(data: Any, path: str) -> Any:
        try:
            return values[data]
        except (KeyError, TypeError):  # TypeError: an unhashable list or object
            raise CodecError(path, expected, data) from None

    return (lambda member: member.value), decode


def _decode_date(data: Any, path: str) -> dt.date:
    if isinstance(data, str):
        try:
            return dt.date.fromisoformat(data)
        except ValueError:
            pass
    raise CodecError(path, "a date (YYYY-MM-DD)", data)


def _encode_float(value: Any) -> Any:
    """A number as JSON keeps it (`core/format.py`: 9 significant digits, integral floats as ints);
    infinities and NaN, which JSON cannot hold, as the text `inf`, `-inf`, `nan`."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return json_number(value)


def _decode_float(data: Any, path: str) -> Any:
    if isinstance(data, int | float) and not isinstance(data, bool):
        return data  # an int stays an int: the same number, written the same way again
    if isinstance(data, str) and data in _NON_FINITE:
        return _NON_FINITE[data]
    raise CodecError(path, "a number", data)


def _encode_span(span: Span) -> dict[str, Any]:
    return {
        "file": span.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


_SPAN_KEYS = ("file", "line", "column", "end_line", "end_column")


def _decode_span(data: Any, path: str) -> Span:
    """The region only: the source text is not kept (equal spans cover the same region of a path)."""
    if not isinstance(data, dict) or sorted(data) != sorted(_SPAN_KEYS):
        raise CodecError(path, "a span (" + ", ".join(_SPAN_KEYS) + ")", data)
    file, *numbers = (data[key] for key in _SPAN_KEYS)
    if not isinstance(file, str) or not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        raise CodecError(path, "a span: a file name and four integers", data)
    return Span(SourceFile(file, ""), *numbers)


def _any(data: Any, path: str) -> Any:
    return data


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _article(name: str) -> str:
    return f"an {name}" if name[:1] in "AEIOU" else f"a {name}"


def _describe(found: Any) -> str:
    text = repr(found)
    return text if len(text) <= 60 else text[:57] + "..."
