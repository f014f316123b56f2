"""The typed returns policy, validated from plain data (parsed rule files).

`build_rulebook` checks every value and collects every problem, each with the dotted
key it concerns, so an admin sees all mistakes at once; the shell (`rulefiles`) adds
the file name and line.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mailbot.core.cuebook import build_reading_rules
from mailbot.core.model import CommandName, EvidenceKind, Scenario
from mailbot.core.ordernumber import OrderNumberRules
from mailbot.core.pattern import CompilePattern, Pattern, PatternError
from mailbot.core.productwords import ProductRules, Unit
from mailbot.core.refund import FormulaError, check_formula
from mailbot.core.rulebook import (
    REQUEST_SCENARIOS,
    EvidenceChecks,
    EvidenceRule,
    InvalidRules,
    MediaRules,
    ReminderRules,
    Rulebook,
    RuleProblem,
)
from mailbot.core.ruledata import Reader
from mailbot.core.tracking import CarrierFormat


def _day_range(reader: Reader, key: str) -> tuple[int, int]:
    values = reader.days(key)
    if len(values) != 2 or 0 in values:
        reader.problems.append(RuleProblem(key, "must be two numbers of days, e.g. [10, 15]"))
        return (1, 1)
    return (values[1], values[0])


def _timezone(reader: Reader) -> ZoneInfo:
    name: str = reader.get("policy.timezone", str)
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        reader.problems.append(RuleProblem("policy.timezone", f"unknown time zone {name!r}"))
        return ZoneInfo("UTC")


def _patterns(reader: Reader, key: str, default: list[str] | None = None) -> tuple[Pattern, ...]:
    """A list of patterns, each with a (group) around the number."""
    compiled: list[Pattern] = []
    for i, text in enumerate(reader.strings(key, default)):
        try:
            pattern = reader.compile_pattern(text)
        except PatternError as exc:
            reader.problems.append(RuleProblem(f"{key}[{i}]", str(exc)))
            continue
        if pattern.groups < 1:
            reader.problems.append(
                RuleProblem(f"{key}[{i}]", "needs one (group) around the number")
            )
        compiled.append(pattern)
    return tuple(compiled)


def _evidence_rules(reader: Reader, scenario: Scenario) -> tuple[EvidenceRule, ...]:
    base = f"evidence.{scenario.value}"
    entries: list[Any] = reader.get(base, list)
    rules: list[EvidenceRule] = []
    known = {k.value for k in EvidenceKind} - {EvidenceKind.OTHER.value}
    for i, entry in enumerate(entries):
        where = f"{base}[{i}]"
        if not isinstance(entry, Mapping):
            reader.problems.append(RuleProblem(where, "must be a table"))
            continue
        sub = reader.sub(entry)
        key: str = sub.get("key", str)
        label: str = sub.get("label", str)
        kinds = sub.strings("kinds")
        count = sub.positive("count")
        hd_only: bool = sub.get("hd_only", bool, False)
        reply = sub.strings("reply")
        if len(reply) != 2 or not all("%(num)s" in r for r in reply):
            sub.problems.append(
                RuleProblem("reply", "needs two wordings with %(num)s: one item, several items")
            )
        for kind in kinds:
            if kind not in known:
                sub.problems.append(
                    RuleProblem("kinds", f"unknown kind {kind!r} (use {', '.join(sorted(known))})")
                )
        reader.problems.extend(RuleProblem(f"{where}.{p.key}", p.problem) for p in sub.problems)
        if not sub.problems:
            rules.append(
                EvidenceRule(
                    key,
                    label,
                    tuple(EvidenceKind(k) for k in kinds),
                    count,
                    hd_only,
                    (reply[0], reply[1]),
                )
            )
    return tuple(rules)


def _media(reader: Reader) -> MediaRules:
    return MediaRules(
        hd_min_width=reader.positive("media.hd_min_width"),
        hd_min_height=reader.positive("media.hd_min_height"),
        video_types=frozenset(reader.strings("media.video_types")),
        photo_types=frozenset(reader.strings("media.photo_types")),
        screenshot_types=frozenset(reader.strings("media.screenshot_types")),
        screenshot_name_words=tuple(
            w.lower() for w in reader.strings("media.screenshot_name_words", [])
        ),
        document_types=frozenset(reader.strings("media.document_types")),
        **_screenshots(reader),
    )


def _screenshots(reader: Reader) -> dict[str, Any]:
    """[checks.screenshots]: when missing or not enabled, type and name alone tell a
    screenshot, as in rule files written before it existed."""
    if not reader.get("checks.screenshots.enabled", bool, False):
        return {}
    return {
        "screen_sizes": _screen_sizes(reader, "checks.screenshots.screen_sizes"),
        "read_metadata": True,
    }


_SIZE = re.compile(r"([1-9][0-9]{1,4})x([1-9][0-9]{1,4})")


def _screen_sizes(reader: Reader, key: str) -> frozenset[tuple[int, int]]:
    sizes: set[tuple[int, int]] = set()
    for text in reader.strings(key):
        found = _SIZE.fullmatch(text.lower().replace(" ", ""))
        if found is None:
            reader.problems.append(RuleProblem(key, f'{text!r} is not a size like "1170x2532"'))
            continue
        sizes.add((int(found.group(1)), int(found.group(2))))
    return frozenset(sizes)


def _check(reader: Reader, name: str, setting: str, high: int) -> int | None:
    """``checks.<name>.<setting>`` (0 to ``high``), or None when table ``checks.<name>``
    is missing or not enabled: rule files written before a check existed keep their
    policy."""
    if not reader.get(f"checks.{name}.enabled", bool, False):
        return None
    key = f"checks.{name}.{setting}"
    value: int = reader.get(key, int)
    if not 0 <= value <= high and not any(p.key == key for p in reader.problems):
        reader.problems.append(RuleProblem(key, f"must be 0 to {high}, not {value}"))
    return value


def _checks(reader: Reader) -> EvidenceChecks:
    hours = _check(reader, "photo_dates", "tolerance_hours", 24 * 365)
    return EvidenceChecks(
        hash_distance=_check(reader, "near_duplicates", "max_distance", 64),
        date_tolerance=None if hours is None else timedelta(hours=hours),
        video_size_percent=_check(reader, "videos", "size_tolerance_percent", 100),
    )


def _repeat_days(reader: Reader) -> int:
    # Optional: rule files written before it existed keep working (repeat daily).
    key = "reminders.escalation_repeat_working_days"
    days: int = reader.get(key, int, default=1)
    if days < 0:
        reader.problems.append(RuleProblem(key, f"must be 0 (once) or more, not {days}"))
    return days


def _reminders(reader: Reader) -> ReminderRules:
    hour: int = reader.get("reminders.send_hour", int)
    if not 0 <= hour <= 23 and not any(p.key == "reminders.send_hour" for p in reader.problems):
        reader.problems.append(RuleProblem("reminders.send_hour", f"must be 0 to 23, not {hour}"))
    rules = ReminderRules(
        send_hour=hour,
        ship_days_before=reader.days("reminders.ship_days_before"),
        follow_up_days=reader.positive("reminders.follow_up_days"),
        close_days=reader.positive("reminders.close_days"),
        review_working_days=reader.positive("reminders.review_working_days"),
        complex_review_working_days=reader.positive("reminders.complex_review_working_days"),
        escalation_repeat_working_days=_repeat_days(reader),
    )
    if rules.close_days <= rules.follow_up_days:
        reader.problems.append(
            RuleProblem("reminders.close_days", "must be more than reminders.follow_up_days")
        )
    return rules


def _command_words(reader: Reader) -> dict[CommandName, tuple[str, ...]]:
    words: dict[CommandName, tuple[str, ...]] = {}
    owner: dict[str, CommandName] = {}
    for name in CommandName:
        key = f"commands.{name.value}"
        listed = tuple(w.lower().lstrip("/") for w in reader.strings(key))
        for word in listed:
            if word in owner or not word.isidentifier():
                why = f"is also a word of /{owner[word]}" if word in owner else "is not one word"
                reader.problems.append(RuleProblem(key, f"{word!r} {why}"))
            owner.setdefault(word, name)
        words[name] = listed
    return words


def _scenario_words(reader: Reader) -> dict[str, Scenario]:
    names: dict[str, Scenario] = {}
    for scenario in REQUEST_SCENARIOS:
        for word in reader.strings(f"commands.scenarios.{scenario.value}"):
            names[word.lower()] = scenario
    return names


def _links_listed(reader: Reader) -> int:
    # Optional: rule files written before it existed list ten.
    key = "links.listed_in_replies"
    count: int = reader.get(key, int, default=10)
    if count <= 0:
        reader.problems.append(RuleProblem(key, f"must be greater than 0, not {count}"))
    return count


def _formula(reader: Reader, key: str) -> str:
    text: str = reader.get(key, str)
    try:
        check_formula(text)
    except FormulaError as exc:
        reader.problems.append(RuleProblem(key, str(exc)))
    return text


def _carrier_formats(reader: Reader) -> tuple[CarrierFormat, ...]:
    entries: list[Any] = reader.get("tracking.carrier", list)
    formats: list[CarrierFormat] = []
    for i, entry in enumerate(entries):
        where = f"tracking.carrier[{i}]"
        if not isinstance(entry, Mapping):
            reader.problems.append(RuleProblem(where, "must be a table"))
            continue
        sub = reader.sub(entry)
        name: str = sub.get("name", str)
        accepted: bool = sub.get("accepted", bool)
        patterns: list[Pattern] = []
        for text in sub.strings("patterns"):
            try:
                patterns.append(sub.compile_pattern(text))
            except PatternError as exc:
                sub.problems.append(RuleProblem("patterns", f"{text!r}: {exc}"))
        reader.problems.extend(RuleProblem(f"{where}.{p.key}", p.problem) for p in sub.problems)
        formats.append(CarrierFormat(name, accepted, tuple(patterns)))
    return tuple(formats)


def _weight(reader: Reader, key: str, default: float | None = None, top: float = 10) -> float:
    value: Any = reader.get(key, object, default)
    if type(value) is object:  # missing, and said so
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= top:
        problem = f"must be a number from 0 to {top:g}, not {value!r}"
        reader.problems.append(RuleProblem(key, problem))
        return 0.0
    return float(value)


def _product_rules(reader: Reader) -> ProductRules:
    """rules/classify.toml [products]; without it, product names decide nothing."""
    entries: list[Any] = reader.get("products.units", list, [])
    units: list[Unit] = []
    for i, entry in enumerate(entries):
        sub = reader.sub(entry if isinstance(entry, Mapping) else {})
        units.append(Unit(sub.get("unit", str), sub.strings("written"), _weight(sub, "weight")))
        reader.problems.extend(
            RuleProblem(f"products.units[{i}].{p.key}", p.problem) for p in sub.problems
        )
    return ProductRules(
        model_mismatch=_weight(reader, "products.model_mismatch", 0.0),
        beside_ordered=_weight(reader, "products.beside_ordered", 0.0, top=1),
        common_words=frozenset(w.lower() for w in reader.strings("products.common_words", [])),
        units=tuple(units),
    )


def build_rulebook(
    data: Mapping[str, Any],
    *,
    compile_pattern: CompilePattern,
    version_suffix: str = "",
    holidays: Collection[date] = frozenset(),
) -> Rulebook:
    """Validate rule data (merged rule files) into a Rulebook; every pattern is compiled
    by `compile_pattern` (the shell's linear-time engine).

    Raises InvalidRules listing every problem found, not just the first.
    """
    r = Reader(data, compile_pattern)
    reading, cue_packs, cue_problems = build_reading_rules(data)
    r.problems.extend(RuleProblem(key, problem) for key, problem in cue_problems)
    version: str = r.get("policy.version", str)
    rulebook = Rulebook(
        version=f"{version}+{version_suffix}" if version_suffix else version,
        timezone=_timezone(r),
        shop_name=r.get("policy.shop_name", str),
        return_days=r.positive("windows.return_days"),
        wrong_item_report_hours=r.positive("windows.wrong_item_report_hours"),
        ship_within_days=r.positive("windows.ship_within_days"),
        wrong_item_return_working_days=r.positive("windows.wrong_item_return_working_days"),
        demand_change_accepted=r.get("scenarios.demand_change_accepted", bool),
        accepted_carriers=r.strings("carriers.accepted"),
        refused_carriers_note=r.get("carriers.refused_note", str),
        demand_change_formula=_formula(r, "refund.demand_change_formula"),
        wrong_item_compensation_percent=r.positive("refund.wrong_item_compensation_percent"),
        refund_issue_business_days=r.positive("refund.issue_within_business_days"),
        funds_arrive_business_days=_day_range(r, "refund.funds_arrive_business_days"),
        media=_media(r),
        evidence={s: _evidence_rules(r, s) for s in REQUEST_SCENARIOS},
        order_numbers=OrderNumberRules(
            _patterns(r, "orders.patterns"),
            _patterns(r, "orders.shop_formats"),
            _patterns(r, "orders.not_orders", []),
        ),
        holiday_country=r.get("policy.holiday_country", str),
        carrier_formats=_carrier_formats(r),
        reminders=_reminders(r),
        cloud_hosts=tuple(h.lower().strip(".") for h in r.strings("links.cloud_hosts", [])),
        links_listed=_links_listed(r),
        command_words=_command_words(r),
        scenario_words=_scenario_words(r),
        reading=reading,
        cue_packs=cue_packs,
        products=_product_rules(r),
        checks=_checks(r),
        holidays=holidays,
    )
    if r.problems:
        raise InvalidRules(r.problems)
    return rulebook
