"""parse_message over tests/data/hostile: malformed and hostile mail, one file per trick.

Every file (a new one included, by being in the directory) must parse quickly, bounded
and sanitised (see mail_invariants.assert_sane); the files below get specific checks.
The corpus is written by tests/data/hostile/make_corpus.py; .eml.gz files hold what is
too big to keep as is (1 MB header lines, an HTML bomb).
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import io
import time
import zipfile
from pathlib import Path

import pytest

from mailbot.core.evidencekind import kind_of
from mailbot.core.model import EvidenceKind
from mailbot.core.rulebook import MediaRules
from mailbot.mail.headers import HEADER_VALUE_LIMIT, MAX_REFERENCES
from mailbot.mail.mime import FILENAME_LIMIT, MAX_PARTS
from mailbot.mail.parse import ParsedMessage, parse_message
from mailbot.media.sniff import sniff
from mailbot.rulefiles import load_rulebook
from tests.unit.mail_invariants import assert_sane

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
CORPUS = sorted(p for p in HOSTILE.iterdir() if p.name.endswith((".eml", ".eml.gz")))
# As many files as make_corpus.py writes: a lost or emptied directory must fail.
CORPUS_SIZE = 72
ALICE = "alice@example.com"  # the identity the From tricks try to borrow
MALLORY = "mallory@evil.example"  # the address they really come from
CUSTOMER = "customer@client.example"  # the sender of every other file
# Generous: each file parses in well under a second; before the fixes the 1 MB header
# lines and the HTML bomb took minutes to hours.
SECONDS_PER_FILE = 10.0


def read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.name.endswith(".gz") else data


@functools.cache
def parse(name: str) -> ParsedMessage:
    return parse_message(read(HOSTILE / name))


@functools.cache
def media() -> MediaRules:
    return load_rulebook(Path(__file__).resolve().parents[2] / "rules").media


def test_corpus_is_all_there() -> None:
    assert len(CORPUS) >= CORPUS_SIZE
    assert sum(p.stat().st_size for p in HOSTILE.iterdir()) < 300_000
    assert all(read(p) for p in CORPUS if p.name != "empty.eml")


def test_corpus_is_what_its_script_writes() -> None:
    spec = importlib.util.spec_from_file_location("make_corpus", HOSTILE / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert set(script.FILES) == {p.name for p in CORPUS}
    assert all(read(HOSTILE / name) == data for name, data in script.FILES.items())


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_every_message_parses_bounded_and_sanitised(path: Path) -> None:
    raw = read(path)
    start = time.perf_counter()
    parsed = parse_message(raw)
    assert time.perf_counter() - start < SECONDS_PER_FILE
    assert_sane(parsed, raw)
    assert parsed.sender != ALICE
    if path.name.startswith("from_"):
        assert parsed.sender in (None, MALLORY)
    else:
        assert parsed.sender in (None, CUSTOMER)
    for sample in parsed.attachments:
        facts = sniff(sample)
        assert facts.mime_type and facts.size == sample.size


FROM_TRICKS = {
    "from_quoted_address_display.eml": MALLORY,
    "from_double_at.eml": None,
    "from_encoded_display_address.eml": MALLORY,
    "from_encoded_display_angle.eml": MALLORY,
    "from_two_addresses.eml": None,
    "from_two_angle_addresses.eml": None,
    "from_group.eml": None,
    "from_group_angle.eml": None,
    "from_encoded_word_in_addr.eml": None,
    "from_encoded_word_bare.eml": None,
    "from_comment_display.eml": MALLORY,
    "from_comment_after.eml": MALLORY,
    "from_comment_in_angle.eml": None,
    "from_comment_splits_local.eml": None,
    "from_unbalanced_quote.eml": None,
    "from_paren_trick.eml": None,
    "from_unquoted_address_display.eml": None,
    "from_route_addr.eml": None,
    "from_angle_in_quotes.eml": None,
    "from_nul.eml": None,
    "from_homoglyph.eml": None,
    "from_trailing_garbage.eml": None,
    "from_backslash_escape.eml": MALLORY,
    "from_twice.eml": None,
    "from_folded_crlf.eml": MALLORY,
}


@pytest.mark.parametrize(("name", "sender"), FROM_TRICKS.items())
def test_from_tricks(name: str, sender: str | None) -> None:
    assert parse(name).sender == sender


def test_every_from_trick_is_checked() -> None:
    assert {p.name for p in CORPUS if p.name.startswith("from_")} == set(FROM_TRICKS)


def test_display_name_never_supplies_the_address() -> None:
    parsed = parse("from_encoded_display_address.eml")
    assert (parsed.sender, parsed.sender_name) == (MALLORY, ALICE)


# -- MIME structure --------------------------------------------------------------------


def test_missing_closing_boundary_keeps_text_and_attachment() -> None:
    parsed = parse("missing_closing_boundary.eml")
    assert parsed.text == "hello, the closing boundary never comes"
    [pdf] = parsed.attachments
    assert (pdf.filename, pdf.head) == ("scan.pdf", b"%PDF-1.4 body")
    assert "CloseBoundaryNotFoundDefect" in parsed.defects


@pytest.mark.parametrize(
    ("name", "words", "defect"),
    [
        ("boundary_never_declared.eml", "words without a declared boundary", "NoBoundary"),
        ("boundary_declared_not_used.eml", "body with another boundary", "StartBoundary"),
    ],
)
def test_unusable_boundary_is_read_as_text(name: str, words: str, defect: str) -> None:
    parsed = parse(name)
    assert words in parsed.text
    assert any(d.startswith(defect) for d in parsed.defects)


def test_odd_boundaries() -> None:
    assert parse("boundary_empty_and_huge.eml").text == "empty boundary text\n\nhuge boundary text"
    assert parse("duplicate_boundaries.eml").text.startswith("inner text")


def test_garbage_content_types_keep_their_text() -> None:
    text = parse("content_type_garbage.eml").text
    for words in ("semicolons only", "empty subtype", "three slashes", "unbalanced quote"):
        assert words in text


def test_unknown_transfer_encodings_pass_through() -> None:
    text = parse("transfer_encoding_unknown.eml").text
    assert "seven bit" in text and "aGVsbG8=" in text


def test_2500_parts_capped() -> None:
    parsed = parse("parts_2500.eml")
    assert parsed.text == "many parts follow"
    # The text part is the first of the MAX_PARTS leaves looked at.
    assert len(parsed.attachments) == MAX_PARTS - 1
    assert "TooManyParts" in parsed.defects


@pytest.mark.parametrize(
    "name", ["nested_multipart_200.eml", "nested_rfc822_200.eml", "nested_alternating_200.eml"]
)
def test_deep_nesting_stops(name: str) -> None:
    parsed = parse(name)
    assert "NestingTooDeep" in parsed.defects
    assert parsed.text == "" and parsed.attachments == ()


# -- charsets, encoded words, 8-bit headers --------------------------------------------


def test_unknown_charset_falls_back_to_utf8() -> None:
    parsed = parse("charset_x_unknown.eml")
    assert parsed.text == "grüße aus Köln"
    assert "UnknownCharset(x-unknown)" in parsed.defects


def test_charset_with_backslash_quote() -> None:
    assert parse("charset_quoted_backslash.eml").text == "café au lait"


def test_charset_with_nul_keeps_the_text() -> None:
    parsed = parse("charset_nul.eml")
    assert parsed.text == "body words after a NUL charset é"
    assert "UnknownCharset(utf-8)" in parsed.defects  # the NUL itself is not repeated


def test_codecs_that_are_not_charsets() -> None:
    parsed = parse("charset_bogus_codecs.eml")
    for words in ("rot13 text", "base64 text", "zlib text", "idna text", "utf-7 text é",
                  "language suffix", "long charset", "html in unknown charset"):  # fmt: skip
        assert words in parsed.text
    assert "UnknownCharset(rot13)" in parsed.defects


def test_broken_encoded_words() -> None:
    parsed = parse("encoded_word_bad_base64.eml")
    assert parsed.sender == CUSTOMER
    assert parsed.subject.startswith("A and ")  # "QQ" lacks only its padding
    truncated = parse("encoded_word_truncated.eml")
    assert truncated.subject == "=?utf-8?q?abc"
    assert dict(truncated.headers)["x-other"] == "=?utf-8?"


def test_encoded_words_in_unknown_charsets_decode_with_fallback() -> None:
    subject = parse("encoded_word_unknown_charset.eml").subject
    assert subject == "abc =?utf-8?x?abc?= oknop"


def test_many_encoded_words_joined() -> None:
    # Adjacent encoded words are joined without the space between them (RFC 2047 6.2).
    assert parse("encoded_words_many.eml").subject == "wörd" * 360


def test_latin1_header_bytes_decoded_as_cp1252() -> None:
    parsed = parse("header_8bit_latin1.eml")
    assert parsed.sender_name == "Jörg Müller"
    assert parsed.subject == "Ärger mit dem Café"
    assert "NonAsciiHeader" in parsed.defects


def test_invalid_utf8_header_bytes() -> None:
    parsed = parse("header_8bit_invalid_utf8.eml")
    assert parsed.subject.startswith("bad ") and parsed.subject.endswith(" end")
    assert "NonAsciiHeader" in parsed.defects


def test_nul_bytes_in_headers_removed() -> None:
    assert parse("header_nul_bytes.eml").subject == "nulinsubject"


# -- header sizes ----------------------------------------------------------------------


def test_thousands_of_header_lines() -> None:
    parsed = parse("header_lines_5000.eml")
    assert (parsed.sender, parsed.text) == (CUSTOMER, "body after 5000 header lines")
    assert len(parsed.headers) == 5002


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("header_line_1mb_subject.eml.gz", "body after a 1 MB subject"),
        ("header_line_1mb_content_type.eml.gz", "body after a 1 MB content type"),
        ("header_line_1mb_quoted_semicolons.eml.gz", "body after a 1 MB quoted parameter"),
        ("header_line_1mb_folded.eml.gz", "body"),
    ],
)
def test_one_megabyte_header_lines(name: str, text: str) -> None:
    parsed = parse(name)
    assert text in parsed.text
    assert parsed.sender == CUSTOMER


def test_one_megabyte_subject_is_capped() -> None:
    assert parse("header_line_1mb_subject.eml.gz").subject == ("=?a?q?x" * 300)[:HEADER_VALUE_LIMIT]


def test_html_with_a_megabyte_of_unclosed_tags() -> None:
    assert parse("html_unclosed_tag_bomb.eml.gz").text == "visible words"


# -- attachment file names -------------------------------------------------------------


def names(name: str) -> list[str]:
    return [sample.filename for sample in parse(name).attachments]


def test_path_traversal_names_reduced_to_basenames() -> None:
    assert names("filename_traversal.eml") == [
        "passwd", "evil.dll", "shadow", "", "", "x", "", "", "passwd", "boot.ini", "passwd",
        "", "passwd", "name-param.pdf",
    ]  # fmt: skip


def test_control_and_invisible_characters_removed_from_names() -> None:
    assert names("filename_control_chars.eml") == [
        "nulbyte.pdf", "nulescaped.pdf", "crlf.pdfContent-Type", "encodednewline.pdf",
        "tabhere[31mred.pdf", "invoicefdp.exe", "arabicmarkzw.pdf", "linesepparanel.pdf",
        "c1controls.pdf", "bomtag.pdf", "",
    ]  # fmt: skip


def test_rfc2231_names() -> None:
    found = names("filename_rfc2231.eml")
    assert len(found) == 14  # a bad part does not lose the ones after it
    assert found[1] == "ärger.pdf"
    assert found[3] == "partäonegap.pdf"
    assert found[7] == "big-index.pdf"
    assert found[10] == "ärger-latin1.pdf"  # raw Latin-1 bytes in the header
    assert len(found[11]) == FILENAME_LIMIT and found[11].endswith("n.pdf")
    assert found[12:] == ["", ""]  # "filename*²": not a continuation index


# -- what the attachments really are ---------------------------------------------------


def test_text_declared_as_mp4_is_sniffed_as_text() -> None:
    [sample] = parse("lying_content_type_mp4.eml").attachments
    assert (sample.filename, sample.declared_type) == ("clip.mp4", "video/mp4")
    facts = sniff(sample)
    assert facts.mime_type == "text/plain"
    assert kind_of(facts, media()) is not EvidenceKind.VIDEO


def test_zip_is_one_attachment_never_extracted() -> None:
    [sample] = parse("zip_attachment.eml").attachments
    assert sample.filename == "photos.zip"
    assert sniff(sample).mime_type == "application/zip"
    assert kind_of(sniff(sample), media()) is EvidenceKind.OTHER
    # The archive arrives whole, its hostile member name untouched inside it.
    assert zipfile.ZipFile(io.BytesIO(sample.head)).namelist() == ["readme.txt", "../../evil.sh"]


def test_winmail_dat_is_tnef_and_no_evidence() -> None:
    [sample] = parse("winmail_dat.eml").attachments
    assert (sample.filename, sample.declared_type) == ("winmail.dat", "application/ms-tnef")
    facts = sniff(sample)
    assert facts.mime_type in ("application/vnd.ms-tnef", "application/ms-tnef")
    assert kind_of(facts, media()) is EvidenceKind.OTHER


def test_base64_that_is_not_base64() -> None:
    parsed = parse("base64_not_base64.eml")
    [photo] = parsed.attachments
    assert (photo.filename, photo.size) == ("photo.jpg", 0)
    assert kind_of(sniff(photo), media()) is EvidenceKind.OTHER
    assert parsed.text.endswith("\n\nA")  # "QQ==QQ==Q": the first group, then padding


def test_invalid_quoted_printable_kept_literally() -> None:
    text = parse("quoted_printable_invalid.eml").text
    assert "bad =ZZ escape, short =4, lower é" in text


# -- subject and header injection ------------------------------------------------------


def test_crlf_in_encoded_subject_is_flattened() -> None:
    parsed = parse("subject_crlf_injection.eml")
    assert parsed.subject == "hello Bcc: victim@example.com"
    assert dict(parsed.headers)["x-b64"] == "hello Bcc: victim@example.com"


def test_bare_cr_ends_the_subject() -> None:
    parsed = parse("subject_bare_cr.eml")
    assert parsed.subject == "first"
    assert parsed.sender == CUSTOMER


def test_hostile_message_ids_and_references() -> None:
    parsed = parse("message_id_hostile.eml")
    assert parsed.message_id == "<x@y>"  # "<a b@c>" has a space in it
    # The root and the newest: the header source is cut at 8 KiB, after ref394.
    newest = tuple(f"<ref{i}@example.com>" for i in range(395 - MAX_REFERENCES + 1, 395))
    assert parsed.references == ("<ref0@example.com>", *newest)
    assert parsed.date is None


def test_impossible_dates() -> None:
    assert parse("date_hostile.eml").date is None


# -- bodies ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.eml", "only_blank_line.eml"])
def test_nothing_at_all(name: str) -> None:
    parsed = parse(name)
    assert (parsed.sender, parsed.subject, parsed.text, parsed.attachments) == (None, "", "", ())
    assert parsed.message_id.endswith("@mailbot.invalid>")


def test_headers_only() -> None:
    parsed = parse("headers_only.eml")
    assert (parsed.sender, parsed.subject, parsed.text) == (CUSTOMER, "only headers", "")


def test_nul_bytes_in_body_removed() -> None:
    assert parse("body_nul_bytes.eml").text == "helloworld end"


def test_hostile_html_shows_only_visible_text() -> None:
    text = parse("html_hostile.eml").text
    assert text.startswith("visible")
    for hidden in ("hidden", "never shown", "\u202e", "\x1b", "\x00"):
        assert hidden not in text


@pytest.mark.parametrize("name", ["line_endings_bare_cr.eml", "line_endings_mixed.eml"])
def test_odd_line_endings(name: str) -> None:
    parsed = parse(name)
    assert (parsed.sender, parsed.text) == (CUSTOMER, "body")
