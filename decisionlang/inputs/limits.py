"""The bounds on untrusted YAML, and how `decisionlang.yaml` and command-line flags set them.

Kept apart from the YAML reader (no YAML machinery imported), so reading the configuration and
parsing flags cost nothing. Precedence: a flag, else `limits:` in `decisionlang.yaml`, else the
default below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace

__all__ = [
    "LIMIT_SETTINGS",
    "PLAN_LIMITS",
    "LimitSetting",
    "RequestedLimits",
    "YamlLimits",
    "effective_limits",
    "parse_size",
    "requested_file_size",
    "setting_value",
    "with_settings",
]


@dataclass(frozen=True)
class YamlLimits:
    """Bounds on untrusted YAML, checked before any value is built."""

    max_bytes: int = 5_000_000
    max_depth: int = 64  # counted through aliases: an alias stands for its node's whole depth
    max_aliases: int = 100
    # Nodes that aliases may add once expanded: catches exponential "billion laughs" documents,
    # whose alias count alone stays small.
    max_alias_nodes: int = 100_000


# A Terraform plan (`terraform show -json`) is one large JSON document: larger and deeper by default.
PLAN_LIMITS = YamlLimits(max_bytes=50_000_000, max_depth=128)


@dataclass(frozen=True)
class LimitSetting:
    """One limit as `decisionlang.yaml` (`limits: {max_file_size: 20 MB}`) and a flag
    (`--max-file-size`) name it: the `YamlLimits` field it sets, and the values allowed."""

    name: str
    field: str
    low: int
    high: int
    size: bool = False  # a number of bytes: `20000000`, `20 MB`, `500 kB`
    description: str = ""

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def allowed(self) -> str:
        """The values allowed, for messages."""
        if self.size:
            return f"a size from {self.low:,} bytes to {self.high // 1_000_000:,} MB (e.g. `20 MB`)"
        return f"a whole number from {self.low:,} to {self.high:,}"


# The depth is bounded so that nesting stays within what Python's recursion handles.
LIMIT_SETTINGS: dict[str, LimitSetting] = {
    setting.name: setting
    for setting in (
        LimitSetting(
            "max_file_size",
            "max_bytes",
            1,
            1_000_000_000,
            size=True,
            description="largest YAML file read (states, waivers, tests, configuration)",
        ),
        LimitSetting(
            "max_depth", "max_depth", 1, 500, description="deepest nesting, counted through aliases"
        ),
        LimitSetting("max_aliases", "max_aliases", 0, 1_000_000, description="aliases per document"),
        LimitSetting(
            "max_alias_nodes",
            "max_alias_nodes",
            0,
            100_000_000,
            description="values that aliases add once expanded",
        ),
    )
}
assert {setting.field for setting in LIMIT_SETTINGS.values()} == {f.name for f in fields(YamlLimits)}

_SIZE = re.compile(r"\s*([0-9][0-9_]*)\s*(B|kB|KB|MB|GB|KiB|MiB|GiB)?\s*")
_UNITS = {
    None: 1,
    "B": 1,
    "kB": 1000,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
}


def parse_size(value: object) -> int | None:
    """A number of bytes: a whole number, or text like `20 MB`, `500 kB`, `1 GiB`; None otherwise."""
    if type(value) is int:
        return value
    if not isinstance(value, str):
        return None
    match = _SIZE.fullmatch(value)
    if match is None:
        return None
    return int(match.group(1)) * _UNITS[match.group(2)]


def setting_value(setting: LimitSetting, value: object) -> int | None:
    """The value of one limit as written, or None if it is not one of the values allowed."""
    number = parse_size(value) if setting.size else value if type(value) is int else None
    if number is None or not setting.low <= number <= setting.high:
        return None
    return number


def with_settings(base: YamlLimits, values: Mapping[str, int]) -> YamlLimits:
    """`base` with the limits given by `YamlLimits` field name (`max_bytes`, ...)."""
    return replace(base, **dict(values)) if values else base


# What a caller asks for: a whole `YamlLimits` (used as given), or the limits set by flags
# (`YamlLimits` field -> value: they win over decisionlang.yaml's), or None (the file's, else defaults).
RequestedLimits = YamlLimits | Mapping[str, int] | None


def requested_file_size(limits: RequestedLimits) -> int | None:
    """The file size limit asked for, None when decisionlang.yaml (or the default) decides."""
    if isinstance(limits, YamlLimits):
        return limits.max_bytes
    return None if limits is None else limits.get("max_bytes")


def effective_limits(limits: RequestedLimits, configured: Iterable[tuple[str, int]] = ()) -> YamlLimits:
    """The limits in force: a whole `YamlLimits` as given; else the defaults, then those of
    decisionlang.yaml (`configured`), then the flags."""
    if isinstance(limits, YamlLimits):
        return limits
    return with_settings(with_settings(YamlLimits(), dict(configured)), limits or {})
