"""Pydantic's validation errors as our sentences: `key: problem`, every one of them.

A misspelt key is one problem, not two: `retrun_days` is reported as unknown with
"did you mean return_days?", and the `return_days is required` it causes is dropped.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

Problem = tuple[str, str]  # (dotted key, what is wrong)

_KINDS = {
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def _walk(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[Any]:
    """The annotation at each step of `loc` (None past what the schema declares)."""
    found: list[Any] = []
    current: Any = model
    for part in loc:
        table = _unwrap(current)
        if isinstance(part, int):
            current = _item(current)
        elif isinstance(table, type) and issubclass(table, BaseModel):
            current = _field_by_key(table, part)
        elif get_origin(table) is dict:
            current = get_args(table)[1]
        else:
            current = None
        found.append(current)
    return found


def _item(annotation: Any) -> Any:
    """The item type of `list[X]` (through `| None` and Annotated)."""
    while get_origin(annotation) in (Union, types.UnionType, Annotated):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    return get_args(annotation)[0] if get_origin(annotation) is list else None


def dotted(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """('evidence', 'wrong_item', 1, 'count') -> 'evidence.wrong_item[1].count'; a key of
    a free table (a cue) is quoted: 'cues.de.keep."behalten"'."""
    key = ""
    parents = [model, *_walk(model, loc)]
    for part, parent in zip(loc, parents, strict=False):
        if isinstance(part, int):
            key += f"[{part}]"
            continue
        table = _unwrap(parent)
        free = get_origin(table) is dict and not _is_model(_unwrap(get_args(table)[1]))
        name = f'"{part}"' if free else str(part)
        key += f".{name}" if key else name
    return key


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model class of the table at `loc` (through lists, dicts and optionals)."""
    current = _unwrap(_walk(model, loc)[-1] if loc else model)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _bounds(annotation: Any) -> tuple[Any, Any]:
    """The (ge, le) an `Annotated[x, Field(ge=…, le=…)]` declares."""
    low = high = None
    while get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is Annotated:
        for meta in get_args(annotation)[1:]:
            for constraint in [meta, *getattr(meta, "metadata", [])]:
                low = getattr(constraint, "ge", low)
                high = getattr(constraint, "le", high)
    return low, high


def _shape(annotation: Any) -> str | None:
    """The `description` of the Field that puts a pattern on `annotation` (in an
    Annotated, also inside `| None`), the words for what a matching value looks like."""
    for arg in get_args(annotation):
        if isinstance(arg, FieldInfo) and arg.description:
            return arg.description
        found = _shape(arg)
        if found:
            return found
    return None


def _unwrap(annotation: Any) -> Any:
    """The table type inside `X | None`, `list[X]`, `Annotated[X, ...]`."""
    while True:
        origin = get_origin(annotation)
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            annotation = args[0]
        elif origin is list or origin is Annotated:
            annotation = get_args(annotation)[0]
        else:
            return annotation


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _field_by_key(model: type[BaseModel], key: str) -> Any:
    """The field's annotation, with its constraints (pydantic keeps them apart)."""
    for name, field in model.model_fields.items():
        if (field.alias or name) == key:
            if field.metadata or field.description:
                # The FieldInfo: its metadata holds the bounds, its description the shape.
                return Annotated.__class_getitem__((field.annotation, field))  # type: ignore[attr-defined]
            return field.annotation
    return None


def _sentence(error: ErrorDetails, model: type[BaseModel]) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx", {})
    loc = error["loc"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        what = "unknown section" if isinstance(value, Mapping) else "unknown key"
        table = _model_at(model, loc[:-1])
        known = _keys(table) if table is not None else []
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        if close:
            return f"{what}; did you mean {close[0]}?"
        return f"{what} (known: {', '.join(known)})" if known else what
    if kind in _KINDS:
        return f"must be {_KINDS[kind]}, not {value!r}"
    if kind == "string_pattern_mismatch":
        shape = _shape(_walk(model, loc)[-1])
        if shape:
            return f"must look like {shape}, not {value!r}"
        return f"must match the pattern {ctx.get('pattern')}, not {value!r}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '').replace(chr(39), '')}, not {value!r}"
    if kind == "greater_than":
        return f"must be greater than {ctx['gt']}, not {value!r}"
    if kind in ("greater_than_equal", "less_than_equal"):
        low, high = _bounds(_walk(model, loc)[-1])
        if low is not None and high is not None:
            return f"must be {low:g} to {high:g}, not {value!r}"
        if kind == "greater_than_equal":
            return f"must be {ctx['ge']} or more, not {value!r}"
        return f"must be {ctx['le']} or less, not {value!r}"
    return f"{error['msg'][0].lower()}{error['msg'][1:]}, not {value!r}"


def problems(model: type[BaseModel], data: Mapping[str, Any]) -> tuple[list[Problem], set[str]]:
    """Every problem of `data` against `model`, in the order pydantic found them, and the
    keys a "did you mean" already speaks for (their own "is required" is left out)."""
    try:
        model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
    else:
        return [], set()
    found: list[Problem] = []
    suggested: set[str] = set()
    for error in errors:
        sentence = _sentence(error, model)
        if "did you mean " in sentence:
            suggested.add(
                dotted(model, (*error["loc"][:-1], sentence.rsplit(" ", 1)[1].rstrip("?")))
            )
        found.append((dotted(model, error["loc"]), sentence))
    return [(k, p) for k, p in found if not (p == "is required" and k in suggested)], suggested
