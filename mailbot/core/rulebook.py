"""The typed returns policy (core/rulereader.build_rulebook makes it from the parsed rule
files, checking every value)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from mailbot.core.cuebook import CuePack, ReadingRules
from mailbot.core.model import CommandName, EvidenceKind, Scenario
from mailbot.core.ordernumber import OrderNumberRules
from mailbot.core.productwords import ProductRules
from mailbot.core.tracking import CarrierFormat

REQUEST_SCENARIOS = (Scenario.QUALITY_DEFECT, Scenario.WRONG_ITEM, Scenario.DEMAND_CHANGE)


@dataclass(frozen=True)
class RuleProblem:
    """One invalid or missing rule value."""

    key: str
    problem: str


class InvalidRules(Exception):
    """The rule data has one or more problems."""

    def __init__(self, problems: list[RuleProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.key}: {p.problem}" for p in problems))


@dataclass(frozen=True)
class EvidenceRule:
    """One thing a scenario must prove: `count` distinct items of the given kinds."""

    key: str
    label: str
    kinds: tuple[EvidenceKind, ...]
    count: int
    hd_only: bool = False
    # How a reply counts these items, one and several ("%(num)s video of the fault"):
    # English, the gettext source the catalogs translate (a plural entry per language).
    reply: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class MediaRules:
    """How attachments are judged."""

    hd_min_width: int
    hd_min_height: int
    video_types: frozenset[str]
    photo_types: frozenset[str]
    screenshot_types: frozenset[str]
    screenshot_name_words: tuple[str, ...]
    document_types: frozenset[str]
    # (width, height) of screens: an image of this size in either orientation without
    # camera EXIF is a screenshot. Empty: sizes decide nothing.
    screen_sizes: frozenset[tuple[int, int]] = frozenset()
    # Camera EXIF makes an image a photo whatever its type or size; no EXIF and a
    # screenshot mark in its metadata make it a screenshot. False: type and name decide.
    read_metadata: bool = False


@dataclass(frozen=True)
class EvidenceChecks:
    """What the attachments' own content is checked for beyond type and size.

    Each check is off (None) unless its table in the rules switches it on.
    """

    # Photos whose thumbnails' perceptual hashes differ in at most this many of their
    # 128 bits are the same picture (resized, saved again) and count once.
    hash_distance: int | None = None
    # A photo taken more than this long before the delivery scan sends the claim to an
    # agent; a photo without an offset is read in the shop's time zone.
    date_tolerance: timedelta | None = None
    # Videos of the same duration and first frames whose sizes differ by at most this
    # many percent are the same video and count once.
    video_size_percent: int | None = None


@dataclass(frozen=True)
class ReminderRules:
    """When reminders, expiries and escalations fall due."""

    # Customer reminders go out at this local hour.
    send_hour: int
    # Natural days before the shipping deadline's last day (0: on the last day).
    ship_days_before: tuple[int, ...]
    # Waiting for the customer: a follow-up after this many days of silence...
    follow_up_days: int
    # ...and after this many the ticket closes (or, for a wrong-item choice, agents take over).
    close_days: int
    # A review waiting longer than this many working days is escalated to the agents.
    review_working_days: int
    complex_review_working_days: int
    # An escalation nobody acted on is sent again every this many working days (0: once).
    escalation_repeat_working_days: int = 1


@dataclass(frozen=True)
class Rulebook:
    """Every admin-editable rule the decision core uses."""

    version: str
    timezone: ZoneInfo
    shop_name: str
    return_days: int
    wrong_item_report_hours: int
    ship_within_days: int
    wrong_item_return_working_days: int
    demand_change_accepted: bool
    accepted_carriers: tuple[str, ...]
    refused_carriers_note: str
    demand_change_formula: str
    wrong_item_compensation_percent: int
    refund_issue_business_days: int
    # The business days the money takes to arrive, from fewest to most.
    funds_arrive_business_days: tuple[int, int]
    media: MediaRules
    evidence: Mapping[Scenario, tuple[EvidenceRule, ...]]
    order_numbers: OrderNumberRules
    holiday_country: str
    carrier_formats: tuple[CarrierFormat, ...]
    reminders: ReminderRules
    # Hosts of cloud storage links (lower case), recorded for an agent, never counted.
    cloud_hosts: tuple[str, ...]
    # A reply lists at most this many links, and says how many more there were.
    links_listed: int
    # Agent commands: each command's words (the first is shown in /help), lower case.
    command_words: Mapping[CommandName, tuple[str, ...]]
    # Names /scenario accepts, lower case.
    scenario_words: Mapping[str, Scenario]
    # How a mail is read: the cue packs per language and how their cues weigh.
    reading: ReadingRules
    cue_packs: tuple[CuePack, ...]
    # The product a mail names, held against the orders' products.
    products: ProductRules
    # Near duplicates, photo dates, look-alike videos.
    checks: EvidenceChecks = EvidenceChecks()
    # Public holidays of holiday_country, filled in by the shell (rulefiles).
    holidays: Collection[date] = frozenset()
