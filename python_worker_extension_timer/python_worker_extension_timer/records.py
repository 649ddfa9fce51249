"""Immutable records that cost next to nothing to define: the package's value types.

Every app that adopts the timer pays for its import at every cold start. A
``typing.NamedTuple`` class compiles each of its (string) annotations when it
is defined and ``dataclasses`` generates its methods with ``exec``: 50 to
400 µs per class. A :class:`Record` subclass is a plain class whose fields
are read from its annotations, never evaluated, in a few microseconds; type
checkers see it as a frozen dataclass (``dataclass_transform``).

Records are made rarely (a configuration, a start-up record, a profile), never
per call, so the generic ``__init__`` costs nothing that matters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**_: Any) -> Any:
        return lambda cls: cls


__all__ = ["Record"]

_R = TypeVar("_R", bound="Record")
#: How :meth:`Record.from_dict` converts a field declared with one of these types (data from other processes).
_SCALARS: dict[str, Callable[[Any], Any]] = {"str": str, "int": int, "float": float, "bool": bool}


@dataclass_transform(frozen_default=True, eq_default=True)
class Record:
    """A value with named fields, compared and hashed by value, never changed once made.

    Declare the fields as annotations in order, those with a default last::

        class FirstCall(Record):
            started: float
            error: bool = False

    ``FirstCall(1.0)`` and ``FirstCall(started=1.0)`` make one; setting or
    deleting an attribute raises ``AttributeError``. ``_fields`` names the
    fields in order. :meth:`to_dict` and :meth:`from_dict` carry a record of
    scalar fields through JSON; a record with other fields overrides them.
    """

    _fields: ClassVar[tuple[str, ...]] = ()
    _defaults: ClassVar[dict[str, Any]] = {}
    #: Each field's declared type, as written (annotations are never evaluated).
    _types: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        annotations = {
            name: str(annotation)
            for name, annotation in cls.__dict__.get("__annotations__", {}).items()
            if not str(annotation).startswith(("ClassVar", "typing.ClassVar"))
        }
        own = list(annotations)
        cls._types = {**cls._types, **annotations}
        defaults = dict(cls._defaults)
        for name in own:
            if name in cls.__dict__:
                defaults[name] = cls.__dict__[name]
            elif defaults:
                raise TypeError(f"{cls.__name__}: field {name!r} without a default follows one with a default")
        cls._fields = (*cls._fields, *(name for name in own if name not in cls._fields))
        cls._defaults = defaults

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes {len(fields)} fields, {len(args)} were given")
        values = dict(zip(fields, args, strict=False))  # fewer arguments than fields: the rest by name or default
        for name, value in kwargs.items():
            if name not in fields:
                raise TypeError(f"{type(self).__name__} has no field {name!r}")
            if name in values:
                raise TypeError(f"{type(self).__name__} got field {name!r} twice")
            values[name] = value
        for name in fields:
            if name not in values:
                if name not in self._defaults:
                    raise TypeError(f"{type(self).__name__} needs field {name!r}")
                values[name] = self._defaults[name]
        self.__dict__.update(values)

    def to_dict(self) -> dict[str, Any]:
        """The fields by name, in order."""
        state = self.__dict__
        return {name: state[name] for name in self._fields}

    @classmethod
    def from_dict(cls: type[_R], data: Mapping[str, Any]) -> _R:
        """The record :meth:`to_dict` gave, each field declared ``str``, ``int``, ``float`` or ``bool`` converted
        to it; ``KeyError``, ``TypeError`` or ``ValueError`` when ``data`` lacks a field or holds a wrong value."""
        values = {}
        for name in cls._fields:
            convert = _SCALARS.get(cls._types[name])
            values[name] = data[name] if convert is None else convert(data[name])
        return cls(**values)

    def _values(self) -> tuple[Any, ...]:
        state = self.__dict__
        return tuple(state[name] for name in self._fields)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: make a new one")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: make a new one")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self), self._values()))

    def __repr__(self) -> str:
        state = self.__dict__
        return f"{type(self).__name__}({', '.join(f'{name}={state[name]!r}' for name in self._fields)})"
