"""The benchmark's mail: return requests built with ``mailbot.demo`` from real media.

Every request is modelled on one of the demo requests (its subject, text and scenario)
and has an order and a customer of its own, cloned from the demo order of that request
(same product, prices and delivery age), so the bot decides it as the demo expects and
no two requests share a ticket: 1000 requests are 1000 customers, not ten customers
writing a hundred times (mailbot joins a customer's mail on one order into one ticket).
Order numbers are ``<series><index:06d>``: 7 for the corpus, 8 for the big message, 9 for
the IDLE requests, so the orders of one run never collide. Attachments are the real
files of examples/media/ and tests/data/; videos are made large by repeating their own
``mdat`` payload inside the ``mdat`` box, so a padded file is still a valid MP4 (every
offset in ``moov`` points into the first copy) and libmagic sees a real video of the
wanted size. Padded videos and built messages are cached under bench/.cache/.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import struct
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path

from mailbot.demo import DemoOrder, DemoRequest, demo_orders, demo_requests
from mailbot.testing import guess_type, make_request

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / ".cache"
MEDIA = REPO / "examples" / "media"
TESTDATA = REPO / "tests" / "data"
# Bump when plans or messages change, so stale caches are not reused.
VERSION = 2
MIB = 1024 * 1024
# Bytes a message takes per attachment byte: base64 (4/3) in 76-character lines + LF.
ENCODED_RATIO = 4 / 3 * 77 / 76
# Header block, body text and MIME headers of a message, roughly, per attachment.
OVERHEAD_MESSAGE, OVERHEAD_PART = 1500, 200
# One message in this many carries a large video (1 % of 1000 messages = 10).
LARGE_EVERY = 100

TEMPLATES: dict[str, DemoRequest] = {r.key: r for r in demo_requests()}
ORDERS: dict[str, DemoOrder] = {o.order_id: o for o in demo_orders()}
SERIES = {"bench": 7, "bench-big": 8, "bench-idle": 9}  # first digit of the order numbers
TAGS = {"bench": "n", "bench-big": "g", "bench-idle": "i"}  # in the customers' addresses
VIDEO_BASES = ("video-01.mp4", "video-02.mp4", "video-03.mp4")
HD = tuple(f"photo-hd-{n:02d}.jpg" for n in range(1, 13))
PAD = "pad"  # attachment source placeholder: a padded copy of a video base

# What each variant attaches: (filename in the mail, source file or PAD:<base>).
VARIANTS: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    # variant: (template, scenario, attachments)
    "a": ("a", "complete defect", (
        ("fault-video-1.mp4", f"{PAD}:video-01.mp4"), ("fault-video-2.mp4", f"{PAD}:video-02.mp4"),
        ("fault-video-3.mp4", f"{PAD}:video-03.mp4"), *((n, n) for n in HD[:10]),
        ("fault-statement.pdf", "fault-statement.pdf"))),
    "c+": ("c", "complete defect", (
        ("channel2-a.mp4", f"{PAD}:video-03.mp4"), ("channel2-b.mp4", f"{PAD}:video-01.mp4"),
        ("flicker.mp4", f"{PAD}:video-02.mp4"), *((n, n) for n in HD[2:11]),
        ("front.jpg", "tests/data/photo_1280x720.jpg"),
        ("fault-statement.pdf", "fault-statement.pdf"))),
    "b": ("b", "incomplete defect", (
        ("esp32-hot.mp4", f"{PAD}:video-01.mp4"), ("video-phone.mov", "video-phone.mov"),
        *((n, n) for n in HD[:10]), ("fault-statement.pdf", "fault-statement.pdf"))),
    "c": ("c", "incomplete defect", (
        ("video-01.mp4", f"{PAD}:video-01.mp4"), ("video-02.mp4", f"{PAD}:video-02.mp4"),
        ("not-a-video.mp4", "not-a-video.mp4"), *((n, n) for n in HD[:8]),
        ("photo-small-01.jpg", "photo-small-01.jpg"),
        ("photo-small-02.jpg", "photo-small-02.jpg"),
        ("fault-statement.pdf", "fault-statement.pdf"))),
    "d": ("d", "defect, 40 days late", (
        ("output-jumps-1.mp4", f"{PAD}:video-01.mp4"),
        ("output-jumps-2.mp4", f"{PAD}:video-02.mp4"),
        ("output-jumps-3.mp4", f"{PAD}:video-03.mp4"), *((n, n) for n in HD[:9]),
        ("photo-phone.heic", "photo-phone.heic"), ("fault-statement.pdf", "fault-statement.pdf"))),
    "e": ("e", "wrong item", (
        ("screenshot-order.png", "screenshot-order.png"), (HD[0], HD[0]), (HD[1], HD[1]))),
    "f": ("f", "wrong item, late", (
        ("screenshot-order.png", "screenshot-order.png"), (HD[2], HD[2]), (HD[3], HD[3]))),
    "g": ("g", "change of mind", ((HD[10], HD[10]), (HD[11], HD[11]))),
    "h": ("h", "not the customer", (
        ("video-01.mp4", f"{PAD}:video-01.mp4"), ("video-02.mp4", f"{PAD}:video-02.mp4"),
        ("video-03.mp4", f"{PAD}:video-03.mp4"), *((n, n) for n in HD[:10]),
        ("fault-statement.txt", "fault-statement.txt"))),
    "i": ("i", "unclear: no scenario", ()),
    "j": ("j", "unclear: no order number", ()),
}  # fmt: skip
# One block of 20 requests: 30 % complete defect claims, 20 % incomplete, 5 % late,
# 15 % wrong item, 15 % change of mind, 5 % stranger, 10 % unclear.
BLOCK = ("a",) * 3 + ("c+",) * 3 + ("b", "b", "c", "c", "d", "e", "e", "f") + ("g",) * 3 + (
    "h", "i", "j")  # fmt: skip


@dataclass(frozen=True)
class Spec:
    """One planned request: its variant and each attachment's name, source and size."""

    index: int
    variant: str
    attachments: tuple[tuple[str, str, int], ...]  # (filename, source, size; 0 = as is)


@dataclass(frozen=True)
class Request:
    """One built request on disk (LF line endings, as make_request writes it)."""

    path: str
    message_id: str
    sender: str
    scenario: str
    size: int
    largest_attachment: int
    order_id: str  # this request's own order...
    order_template: str  # ...a copy of this demo order...
    customer: str  # ...bought by this customer (not the sender for "not the customer")

    def order(self) -> DemoOrder:
        """The order this request is about, for the orders CSV."""
        return replace(
            ORDERS[self.order_template], order_id=self.order_id, customer_email=self.customer
        )

    def raw(self) -> bytes:
        """The message bytes."""
        return Path(self.path).read_bytes()


# -- media --------------------------------------------------------------------------


def source_path(source: str) -> Path:
    """The real file behind an attachment source (repo-relative or examples/media/)."""
    return REPO / source if "/" in source else MEDIA / source


def padded_mp4(data: bytes, size: int) -> bytes:
    """``data`` (an MP4/MOV) grown to ``size`` bytes by repeating its mdat payload in place.

    Boxes before mdat are untouched and the first copy of the payload stays where it
    was, so the sample offsets in moov stay valid whether moov precedes or follows mdat.
    """
    pos = 0
    while pos + 8 <= len(data):
        box_size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if box_size < 8:
            break
        if kind == b"mdat":
            payload = data[pos + 8 : pos + box_size]
            extra = size - len(data)
            if extra <= 0:
                return data
            copies, rest = divmod(len(payload) + extra, len(payload))
            grown = payload * copies + payload[:rest]
            box = struct.pack(">I4s", 8 + len(grown), b"mdat")
            return data[:pos] + box + grown + data[pos + box_size :]
        pos += box_size
    raise ValueError("no mdat box found")


def media_file(base: str, size: int) -> Path:
    """A cached copy of video ``base`` padded to ``size`` bytes (created on first use)."""
    target = CACHE / "media" / f"{Path(base).stem}-{size}{Path(base).suffix}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    data = padded_mp4(source_path(base).read_bytes(), size)
    # Temp file + rename: two generator workers may create the same file at once.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)
    return target


def quantize(size: float) -> int:
    """``size`` rounded to a grid of four steps per doubling, so few files are cached."""
    step = round(math.log2(max(size, 1.0)) * 4) / 4
    return int(2**step)


# -- planning -----------------------------------------------------------------------


def plan(count: int, total_bytes: int, large_mib: tuple[int, int], seed: int) -> list[Spec]:
    """``count`` requests whose messages add up to about ``total_bytes``.

    The mix repeats BLOCK, shuffled per block. One request in LARGE_EVERY that carries
    videos gets one video of ``large_mib`` (uniform, 1 MiB steps); the other padded
    videos share the rest of the budget with log-uniform weights (1 to 32).
    """
    rng = random.Random(seed)
    variants: list[str] = []
    while len(variants) < count:
        block = list(BLOCK)
        rng.shuffle(block)
        variants.extend(block)
    variants = variants[:count]
    with_video = [i for i, v in enumerate(variants) if _pads(v)]
    large_count = min(len(with_video), max(1, round(count / LARGE_EVERY))) if with_video else 0
    large_at = {
        with_video[int((k + 0.5) * len(with_video) / large_count)] for k in range(large_count)
    }
    fixed = overhead = large = 0
    weights: dict[tuple[int, int], float] = {}
    sizes: dict[tuple[int, int], int] = {}
    for i, variant in enumerate(variants):
        attachments = VARIANTS[variant][2]
        overhead += OVERHEAD_MESSAGE + OVERHEAD_PART * len(attachments)
        first_pad = True
        for slot, (_, source) in enumerate(attachments):
            if not source.startswith(PAD):
                fixed += source_path(source).stat().st_size
            elif i in large_at and first_pad:
                sizes[i, slot] = rng.randint(*large_mib) * MIB
                large += sizes[i, slot]
                first_pad = False
            else:
                weights[i, slot] = math.exp(rng.uniform(0, math.log(32)))
                first_pad = False
    budget = (total_bytes - overhead) / ENCODED_RATIO - fixed - large
    unit = max(0.0, budget) / max(1.0, sum(weights.values()))
    for where, weight in weights.items():
        sizes[where] = quantize(weight * unit)
    specs = []
    for i, variant in enumerate(variants):
        planned = tuple(
            (name, source, sizes.get((i, slot), 0) if source.startswith(PAD) else 0)
            for slot, (name, source) in enumerate(VARIANTS[variant][2])
        )
        specs.append(Spec(i, variant, planned))
    return specs


def _pads(variant: str) -> bool:
    return any(source.startswith(PAD) for _, source in VARIANTS[variant][2])


# -- building -----------------------------------------------------------------------


def _attachment(name: str, source: str, size: int) -> tuple[str, bytes, str]:
    if source.startswith(PAD):
        base = source.split(":", 1)[1]
        real = source_path(base)
        path = media_file(base, size) if size > real.stat().st_size else real
    else:
        path = source_path(source)
    return name, path.read_bytes(), guess_type(name)


def _own(address: str, tag: str) -> str:
    """``address`` made unique to one request: ``anna.becker.n00042@example.com``."""
    local, _, domain = address.partition("@")
    return f"{local}.{tag}@{domain}"


def build(spec: Spec, target: Path, prefix: str = "bench") -> Request:
    """Write the request of ``spec`` to ``target`` and describe it."""
    template, scenario, _ = VARIANTS[spec.variant]
    demo = TEMPLATES[template]
    tag = f"{TAGS[prefix]}{spec.index:05d}"
    order_id = f"{SERIES[prefix]}{spec.index:06d}"
    name, address = parseaddr(demo.sender)
    sender = _own(address, tag)
    customer = _own(ORDERS[demo.order_id].customer_email, tag)
    message_id = f"<{prefix}-{spec.index:05d}-{spec.variant.replace('+', 'x')}@" + (
        f"{sender.rpartition('@')[2]}>"
    )
    attachments = [_attachment(*a) for a in spec.attachments]
    raw = make_request(
        sender=f"{name} <{sender}>",
        subject=demo.subject.replace(demo.order_id, order_id),
        body=demo.body.replace(demo.order_id, order_id),
        attachments=attachments,
        message_id=message_id,
        date=datetime.now(UTC),
    )
    target.write_bytes(raw)
    largest = max((len(data) for _, data, _ in attachments), default=0)
    size = len(raw)
    return Request(
        str(target), message_id, sender, scenario, size, largest, order_id, demo.order_id, customer
    )


def _build_one(args: tuple[Spec, str, str]) -> Request:
    spec, target, prefix = args
    return build(spec, Path(target), prefix)


def corpus(
    count: int, total_bytes: int, large_mib: tuple[int, int], seed: int, workers: int
) -> list[Request]:
    """The built requests of a plan, from the cache when an identical plan was built."""
    params = {"v": VERSION, "n": count, "total": total_bytes, "large": large_mib, "seed": seed}
    digest = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:12]
    folder = CACHE / "messages" / f"n{count}-{total_bytes // MIB}mib-{digest}"
    manifest = folder / "manifest.json"
    if manifest.exists():
        cached = [Request(**r) for r in json.loads(manifest.read_text())]
        if all(Path(r.path).exists() for r in cached):
            return cached
    folder.mkdir(parents=True, exist_ok=True)
    specs = plan(count, total_bytes, large_mib, seed)
    jobs = [(s, str(folder / f"{s.index:05d}.eml"), "bench") for s in specs]
    requests = _run_jobs(jobs, workers)
    # Written last: a manifest means every message of the plan is on disk.
    manifest.write_text(json.dumps([asdict(r) for r in requests]))
    return requests


def _run_jobs(jobs: Sequence[tuple[Spec, str, str]], workers: int) -> list[Request]:
    # email's base64 encoder runs at ~10 MB/s: one worker per core halves the wait.
    if workers <= 1 or len(jobs) < 4:
        return [_build_one(job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_build_one, jobs, chunksize=4))


def big_request(video_mib: int) -> Request:
    """A complete defect claim whose first video is ``video_mib`` MiB (cached)."""
    folder = CACHE / "messages"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"big-v{VERSION}-{video_mib}mib.eml"
    meta = target.with_suffix(".json")
    if meta.exists() and target.exists():
        return Request(**json.loads(meta.read_text()))
    others = tuple((n, s, 0) for n, s in VARIANTS["a"][2][1:])
    attachments = (("fault-video-1.mp4", f"{PAD}:video-01.mp4", video_mib * MIB), *others)
    spec = Spec(0, "a", attachments)
    # Built in a worker process: encoding 300 MiB takes GBs that this process keeps.
    with ProcessPoolExecutor(max_workers=1) as pool:
        request = pool.submit(_build_one, (spec, str(target), "bench-big")).result()
    meta.write_text(json.dumps(asdict(request)))
    return request


def small_requests(count: int, seed: int, folder: Path, prefix: str) -> list[Request]:
    """``count`` requests of the usual mix with unpadded media (for the IDLE test)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    variants = [rng.choice(BLOCK) for _ in range(count)]
    return [
        build(Spec(i, v, tuple((n, s, 0) for n, s in VARIANTS[v][2])), folder / f"{i}.eml", prefix)
        for i, v in enumerate(variants)
    ]


def describe(requests: Iterable[Request]) -> dict[str, int]:
    """How many requests of each scenario."""
    counts: dict[str, int] = {}
    for request in requests:
        counts[request.scenario] = counts.get(request.scenario, 0) + 1
    return counts
