"""The declared shape of the rule files: every table and key the core reads
(mailbot/core/rulebook.py, cuebook.py), merged as the loader merges them (a table may
stand in any rules/*.toml; rules/cues/<lang>.toml becomes `cues.<lang>`).

Only the shape is declared here; what a value means (a pattern that compiles, a formula,
a time zone, close_days after follow_up_days) is the core's to judge.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from mailbot.checking.configschema import Positive, Table

Words = list[str]
Share = Annotated[float, Field(ge=0, le=1)]
Score = Annotated[float, Field(ge=0, le=100)]
Weight = Annotated[float, Field(ge=-10, le=10)]


class Policy(Table):
    version: str
    timezone: str
    holiday_country: str
    holiday_subdivision: str | None = None
    shop_name: str


class Windows(Table):
    return_days: Positive
    wrong_item_report_hours: Positive
    ship_within_days: Positive
    wrong_item_return_working_days: Positive


class Scenarios(Table):
    demand_change_accepted: bool


class Carriers(Table):
    accepted: Words
    refused_note: str


class Refund(Table):
    demand_change_formula: str
    wrong_item_compensation_percent: Positive
    issue_within_business_days: Positive
    funds_arrive_business_days: list[Positive]


class Media(Table):
    hd_min_width: Positive
    hd_min_height: Positive
    video_types: Words
    photo_types: Words
    screenshot_types: Words
    screenshot_name_words: Words = []
    document_types: Words


class EvidenceItem(Table):
    key: str
    label: str
    reply: Words
    kinds: Words
    count: Positive
    hd_only: bool = False


class Evidence(Table):
    quality_defect: list[EvidenceItem]
    wrong_item: list[EvidenceItem]
    demand_change: list[EvidenceItem]


class OrderPatterns(Table):
    patterns: Words
    shop_formats: Words
    not_orders: Words = []


class Unit(Table):
    unit: str
    written: Words
    weight: Annotated[float, Field(ge=0, le=10)]


class Products(Table):
    model_mismatch: Annotated[float, Field(ge=0, le=10)] = 0
    beside_ordered: Share = 0
    common_words: Words = []
    units: list[Unit] = []


class Carrier(Table):
    name: str
    accepted: bool
    patterns: Words


class Tracking(Table):
    carrier: list[Carrier]


class Reminders(Table):
    send_hour: Annotated[int, Field(ge=0, le=23)]
    ship_days_before: list[Annotated[int, Field(ge=0)]]
    follow_up_days: Positive
    close_days: Positive
    review_working_days: Positive
    complex_review_working_days: Positive
    escalation_repeat_working_days: Annotated[int, Field(ge=0)] = 1


class Links(Table):
    listed_in_replies: Positive = 10
    cloud_hosts: Words = []


class ScenarioNames(Table):
    quality_defect: Words
    wrong_item: Words
    demand_change: Words


class Commands(Table):
    approve: Words
    reject: Words
    scenario: Words
    request: Words
    complex: Words
    extend: Words
    received: Words
    inspected: Words
    refund: Words
    close: Words
    reopen: Words
    note: Words
    status: Words
    help: Words
    scenarios: ScenarioNames


class Reading(Table):
    margin: Score
    minimum: Score
    subject_weight: Share
    quoted_weight: Share
    contrast_weight: Share
    negated_weight: Share
    doubt: Score
    denial: Score
    default_language: str
    answer: Score


class NearDuplicates(Table):
    enabled: bool = False
    max_distance: Annotated[int, Field(ge=0, le=64)] = 0


class PhotoDates(Table):
    enabled: bool = False
    tolerance_hours: Annotated[int, Field(ge=0, le=24 * 365)] = 0


class Videos(Table):
    enabled: bool = False
    size_tolerance_percent: Annotated[int, Field(ge=0, le=100)] = 0


class Screenshots(Table):
    enabled: bool = False
    screen_sizes: Words = []


class Checks(Table):
    near_duplicates: NearDuplicates | None = None
    photo_dates: PhotoDates | None = None
    videos: Videos | None = None
    screenshots: Screenshots | None = None


class Language(Table):
    script: Literal["latin", "cyrillic", "han"] = "latin"
    stemmer: str = ""
    words: Words = []
    letters: str = ""


class Grammar(Table):
    negations: Words = []
    coordinations: Words = []
    contrasts: Words = []
    boundaries: Words = []
    negation_follows: Words = []
    # Words or phrases opening a clause that is not said to have happened ("if", "in case").
    conditionals: Words = []
    gap: Annotated[int, Field(ge=0, le=6)] = 3
    # Most words where a cue writes "…" (a separable verb: "schaltet … ab"); default: gap.
    separable_gap: Annotated[int, Field(ge=0, le=8)] | None = None
    ordinals: list[Words] = []
    # Words of normal use ("used", "Betrieb"), and of a failure coming after it ("then",
    # "nach"): a use that frames a failure is no condition (mailbot/reading/frames.py).
    in_use: Words = []
    sequels: Words = []
    # Words of hard or regular use ("daily", "workshop"): such use is always a condition.
    wear: Words = []
    # Verbs after which a conditional asks whether ("check if").
    whether_after: Words = []
    # "or", "还是": two cases joined by one are offered as alternatives (a doubt).
    alternatives: Words = []


Cues = dict[str, Weight]


class CuePack(Table):
    """rules/cues/<lang>.toml; its cue sections are mailbot.core.cuebook.CUE_SECTIONS."""

    language: Language
    grammar: Grammar
    quality_defect: Cues = {}
    wrong_item: Cues = {}
    demand_change: Cues = {}
    condition: Cues = {}
    keep: Cues = {}
    give_back: Cues = {}
    return_intent: Cues = {}
    doubt: Cues = {}
    delivery: Cues = {}
    refund: Cues = {}
    invoice: Cues = {}
    presales: Cues = {}
    thanks: Cues = {}
    automatic: Cues = {}


class RuleFiles(Table):
    policy: Policy
    windows: Windows
    scenarios: Scenarios
    carriers: Carriers
    refund: Refund
    media: Media
    evidence: Evidence
    orders: OrderPatterns
    products: Products = Products()
    tracking: Tracking
    reminders: Reminders
    links: Links = Links()
    commands: Commands
    reading: Reading
    checks: Checks = Checks()
    cues: dict[str, CuePack] = {}
