"""Writes the hostile/broken mail corpus next to this script.

Run ``python tests/data/hostile/make_corpus.py`` after changing it; the generated .eml
files are committed, so the tests never depend on this script. Files too big to keep as
they are (a 1 MB header line, an HTML bomb) are stored gzip-compressed as .eml.gz.

Conventions the tests rely on: "alice@example.com" is always the identity an attacker
tries to borrow and "mallory@evil.example" the attacker's real address; ordinary files
come from "customer@client.example".
"""

from __future__ import annotations

import base64
import gzip
import io
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FROM = "From: Customer <customer@client.example>\n"


def crlf(text: str) -> bytes:
    """Text written with \\n line ends, sent with CRLF; latin-1 keeps \\x80-\\xff bytes."""
    return text.replace("\n", "\r\n").encode("latin-1")


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def multipart(*parts: str, subtype: str = "mixed", boundary: str = "B", close: bool = True) -> str:
    body = "".join(f"--{boundary}\n{part}\n" for part in parts)
    end = f"--{boundary}--\n" if close else ""
    return f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n{body}{end}'


def attachment(filename_params: str, data: bytes = b"data", ctype: str = "application/pdf") -> str:
    return (
        f"Content-Type: {ctype}\nContent-Disposition: attachment; {filename_params}\n"
        f"Content-Transfer-Encoding: base64\n\n{b64(data)}"
    )


def message(headers: str, body: str) -> bytes:
    return crlf(headers + body)


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in (("readme.txt", b"hello\n"), ("../../evil.sh", b"rm -rf ~\n")):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            archive.writestr(info, content)
    return buffer.getvalue()


# TNEF signature 0x223E9F78 (little-endian), then a version attribute, as Outlook writes.
TNEF = b"\x78\x9f\x3e\x22\x01\x00\x01\x06\x90\x08\x00\x04\x00\x00\x00\x00\x00\x01\x00\x01\x00"
NOT_A_VIDEO = b"This is not a video but a plain text file named clip.mp4\n" * 20

FILES: dict[str, bytes] = {}

# -- MIME structure --------------------------------------------------------------------

FILES["missing_closing_boundary.eml"] = message(
    FROM + "Subject: no closing boundary\n",
    multipart(
        "Content-Type: text/plain\n\nhello, the closing boundary never comes",
        attachment('filename="scan.pdf"', b"%PDF-1.4 body"),
        close=False,
    ),
)
FILES["boundary_never_declared.eml"] = message(
    FROM + "Subject: no boundary parameter\nContent-Type: multipart/mixed\n",
    "\n--XYZ\nContent-Type: text/plain\n\nwords without a declared boundary\n--XYZ--\n",
)
FILES["boundary_declared_not_used.eml"] = message(
    FROM + 'Subject: wrong boundary\nContent-Type: multipart/mixed; boundary="DECLARED"\n',
    "\n--OTHER\nContent-Type: text/plain\n\nbody with another boundary\n--OTHER--\n",
)
FILES["boundary_empty_and_huge.eml"] = message(
    FROM + "Subject: odd boundaries\n",
    multipart(
        'Content-Type: multipart/alternative; boundary=""\n\n--\n\nempty boundary text\n----\n',
        multipart("Content-Type: text/plain\n\nhuge boundary text", boundary="H" * 2000),
        boundary="OUTER",
    ),
)
FILES["duplicate_boundaries.eml"] = message(
    FROM + "Subject: same boundary nested\n",
    multipart(
        multipart("Content-Type: text/plain\n\ninner text", boundary="SAME"),
        "Content-Type: text/plain\n\nouter text\n--SAME\n--SAME\n--SAME--",
        boundary="SAME",
    ),
)
FILES["content_type_garbage.eml"] = message(
    FROM + "Subject: garbage content types\n",
    multipart(
        "Content-Type: ;;;;\n\nsemicolons only",
        "Content-Type: multipart/\n\nempty subtype",
        "Content-Type: text/plain/html; charset\n\nthree slashes",
        'Content-Type: text/plain; charset="; name="x.txt\n\nunbalanced quote',
        "Content-Type: text/plain; =; ==; a==b; *=x\n\nempty parameter names",
        "Content-Type: message/rfc822\n\n",
        "Content-Type: message/rfc822\nContent-Disposition: attachment; filename=fw.eml\n\n"
        "From: x@y.example\n\nforwarded as attachment",
    ),
)
FILES["transfer_encoding_unknown.eml"] = message(
    FROM + "Subject: odd transfer encodings\n",
    multipart(
        "Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n`\nend",
        "Content-Type: text/plain\nContent-Transfer-Encoding: base64 base64\n\naGVsbG8=",
        "Content-Type: text/plain\nContent-Transfer-Encoding: 7bit; junk=1\n\nseven bit",
        "Content-Type: text/plain\nContent-Transfer-Encoding: BASE64\n"
        "Content-Transfer-Encoding: quoted-printable\n\nd29yZHM=",
    ),
)
FILES["parts_2500.eml"] = message(
    FROM + "Subject: 2500 parts\n",
    multipart(
        "Content-Type: text/plain\n\nmany parts follow",
        *(["Content-Type: a/b\n\nx"] * 2500),
    ),
)


def nested_multipart(levels: int) -> str:
    body = "Content-Type: text/plain\n\ndeepest text"
    for level in range(levels):
        body = multipart(body, boundary=f"L{level}")
    return body


def nested_rfc822(levels: int) -> str:
    body = "Content-Type: text/plain\n\ndeepest forwarded text"
    for _ in range(levels):
        body = f"Content-Type: message/rfc822\n\nFrom: fw@client.example\n{body}"
    return body


FILES["nested_multipart_200.eml"] = message(FROM + "Subject: 200 levels\n", nested_multipart(200))
FILES["nested_rfc822_200.eml"] = message(FROM + "Subject: 200 forwards\n", nested_rfc822(200))
alternating = "Content-Type: text/plain\n\ndeep"
for level in range(100):
    alternating = multipart(alternating, boundary=f"A{level}")
    alternating = f"Content-Type: message/rfc822\n\nFrom: fw@client.example\n{alternating}"
FILES["nested_alternating_200.eml"] = message(FROM + "Subject: both kinds\n", alternating)

# -- charsets --------------------------------------------------------------------------

FILES["charset_x_unknown.eml"] = (
    crlf(FROM + "Subject: unknown charset\nContent-Type: text/plain; charset=x-unknown\n\n")
    + "grüße aus Köln\r\n".encode()
)
FILES["charset_quoted_backslash.eml"] = (
    crlf(FROM + 'Subject: backslash charset\nContent-Type: text/plain; charset="utf-8\\"\n\n')
    + "café au lait\r\n".encode()
)
FILES["charset_nul.eml"] = crlf(
    FROM + 'Subject: NUL in charset\nContent-Type: text/plain; charset="utf\x00-8"\n\n'
    "body words after a NUL charset \xe9\n"
)
FILES["charset_bogus_codecs.eml"] = message(
    FROM + "Subject: codecs that are not charsets\n",
    multipart(
        "Content-Type: text/plain; charset=rot13\n\nrot13 text",
        "Content-Type: text/plain; charset=base64\n\nbase64 text",
        "Content-Type: text/plain; charset=zlib\n\nzlib text",
        "Content-Type: text/plain; charset=idna\n\nidna text " + "x" * 100,
        "Content-Type: text/plain; charset=utf-7\n\nutf-7 text +AOk-",
        'Content-Type: text/plain; charset="utf-8\'en"\n\nlanguage suffix',
        f"Content-Type: text/plain; charset={'c' * 300}\n\nlong charset",
        "Content-Type: text/html; charset=x-unknown\n\n<p>html in unknown charset</p>",
    ),
)

# -- encoded words and 8-bit headers ---------------------------------------------------

FILES["encoded_word_bad_base64.eml"] = message(
    "From: =?utf-8?b?!!!notbase64***?= <customer@client.example>\n"
    "Subject: =?utf-8?b?QQ?= and =?utf-8?b?=====?= and =?utf-8?b?w6?=\n",
    "\nbody\n",
)
FILES["encoded_word_truncated.eml"] = message(
    FROM + "Subject: =?utf-8?q?abc\nX-Other: =?utf-8?\nX-Third: =?\n", "\nbody\n"
)
FILES["encoded_word_unknown_charset.eml"] = message(
    FROM + "Subject: =?x-unknown?q?abc?= =?utf-8?x?abc?= =?utf-8*en?q?ok?= =?rot13?q?nop?=\n",
    "\nbody\n",
)
FILES["encoded_words_many.eml"] = message(
    FROM + "Subject: " + " ".join(["=?utf-8?q?w=C3=B6rd?="] * 360) + "\n", "\nbody\n"
)
FILES["header_8bit_latin1.eml"] = crlf(
    "From: J\xf6rg M\xfcller <customer@client.example>\nSubject: \xc4rger mit dem Caf\xe9\n"
    "Content-Type: text/plain\n\nbody\n"
)
FILES["header_8bit_invalid_utf8.eml"] = (
    crlf(FROM + "Subject: ")
    + b"bad \xc3\x28 \xff\xfe \xed\xa0\x80 \xf4\x90\x80\x80 end"
    + crlf("\nX-Bin: ")
    + bytes(range(1, 256)).replace(b"\n", b"").replace(b"\r", b"")
    + crlf("\n\nbody\n")
)
FILES["header_nul_bytes.eml"] = crlf(
    FROM + "Subject: nul\x00in\x00subject\nX-Nul\x00Name: value\n\nbody\n"
)

# -- header sizes ----------------------------------------------------------------------

FILES["header_lines_5000.eml"] = message(
    "Received: by r\n" * 2000
    + "".join(f"X-F{i}: {i}\n" for i in range(3000))
    + FROM
    + "Subject: thousands of header lines\n",
    "\nbody after 5000 header lines\n",
)
# The patterns that make the standard library quadratic: unclosed encoded words, many
# MIME parameters, semicolons inside an unclosed quote, unclosed HTML tags.
FILES["header_line_1mb_subject.eml.gz"] = message(
    FROM + "Subject: " + "=?a?q?x" * 150_000 + "\n", "\nbody after a 1 MB subject\n"
)
FILES["header_line_1mb_content_type.eml.gz"] = message(
    FROM + "Subject: 1 MB content type\nContent-Type: multipart/mixed; " + "a=b; " * 200_000 + "\n",
    "\nbody after a 1 MB content type\n",
)
FILES["header_line_1mb_quoted_semicolons.eml.gz"] = message(
    FROM
    + 'Subject: semicolons\nContent-Type: multipart/mixed; boundary="'
    + ";" * 1_000_000
    + "\n",
    "\nbody after a 1 MB quoted parameter\n",
)
FILES["header_line_1mb_folded.eml.gz"] = message(
    FROM + "Subject: folded\nX-Folded: start\n" + " =?utf-8?q?a\n" * 80_000, "\nbody\n"
)
FILES["html_unclosed_tag_bomb.eml.gz"] = message(
    FROM + "Subject: html bomb\nContent-Type: text/html\n",
    "\n<p>visible words</p>" + "<a x=" * 150_000 + "\n",
)

# -- attachment file names -------------------------------------------------------------

FILES["filename_traversal.eml"] = message(
    FROM + "Subject: traversal\n",
    multipart(
        "Content-Type: text/plain\n\nsee attachments",
        attachment('filename="../../etc/passwd"'),
        attachment('filename="..\\\\..\\\\windows\\\\system32\\\\evil.dll"'),
        attachment('filename="/etc/shadow"'),
        attachment('filename=".."'),
        attachment('filename="."'),
        attachment('filename="....//....//x"'),
        attachment('filename="../"'),
        attachment('filename=".. "'),
        attachment("filename*=utf-8''%2E%2E%2F%2E%2E%2Fetc%2Fpasswd"),
        attachment("filename*=utf-8''..%5C..%5Cboot.ini"),
        attachment('filename="=?utf-8?q?..=2F..=2Fetc=2Fpasswd?="'),
        attachment('filename="=?utf-8?q?..?="'),
        attachment('filename*0="../.."; filename*1="/etc/"; filename*2="passwd"'),
        'Content-Type: application/pdf; name="../../name-param.pdf"\n\ndata',
    ),
)
FILES["filename_control_chars.eml"] = message(
    FROM + "Subject: control characters\n",
    multipart(
        attachment('filename="nul\x00byte.pdf"'),
        attachment("filename*=utf-8''nul%00escaped.pdf"),
        attachment("filename*=utf-8''cr%0D%0Alf.pdf%0D%0AContent-Type: text/html"),
        attachment('filename="=?utf-8?q?encoded=0D=0Anewline=00.pdf?="'),
        attachment('filename="tab\there\x1b[31mred\x7f.pdf"'),
        attachment("filename*=utf-8''invoice%E2%80%AEfdp.exe"),
        attachment("filename*=utf-8''arabic%D8%9Cmark%E2%80%8Bzw%E2%81%A6.pdf"),
        attachment("filename*=utf-8''line%E2%80%A8sep%E2%80%A9para%C2%85nel.pdf"),
        attachment("filename*=utf-8''%C2%9Bc1%C2%80controls.pdf"),
        attachment("filename*=utf-8''bom%EF%BB%BFtag%F3%A0%80%81.pdf"),
        attachment('filename="\x01\x02\x03"'),
    ),
)
FILES["filename_rfc2231.eml"] = message(
    FROM + "Subject: RFC 2231 names\n",
    multipart(
        attachment("filename*=x-unknown''%FF%FEname.pdf"),
        attachment("filename*=iso-8859-1'de'%E4rger.pdf"),
        attachment("filename*=utf-8''%ZZ%4%%.pdf"),
        attachment("filename*0*=utf-8''part%C3; filename*1*=%A4one; filename*3=gap.pdf"),
        attachment("; ".join(f"filename*{i}=p{i}" for i in range(150))),
        attachment("filename*=''no-charset.pdf"),
        attachment("filename*=utf-8'''%27quotes%27.pdf"),
        attachment("filename*99999999999999999999=big-index.pdf"),
        attachment("filename*=rot13''rot.pdf"),
        attachment("filename*=utf\x00-8''nul-charset.pdf"),
        attachment('filename="\xe4rger-latin1.pdf"'),
        attachment(f'filename="{"n" * 5000}.pdf"'),
        attachment("filename*\u00b2=superscript-index.pdf"),  # cp1252 "²"
        attachment("filename*\xc2\xb2=superscript-index.pdf"),  # UTF-8 "²"
    ),
)

# -- lying and special attachments -----------------------------------------------------

FILES["lying_content_type_mp4.eml"] = message(
    FROM + "Subject: my video\n",
    multipart(
        "Content-Type: text/plain\n\nhere is the video of the defect",
        'Content-Type: video/mp4; name="clip.mp4"\n'
        'Content-Disposition: attachment; filename="clip.mp4"\n'
        "Content-Transfer-Encoding: base64\n\n" + b64(NOT_A_VIDEO),
    ),
)
FILES["zip_attachment.eml"] = message(
    FROM + "Subject: photos zipped\n",
    multipart(
        "Content-Type: text/plain\n\nall photos in the zip",
        'Content-Type: application/zip; name="photos.zip"\n'
        'Content-Disposition: attachment; filename="photos.zip"\n'
        "Content-Transfer-Encoding: base64\n\n" + b64(zip_bytes()),
    ),
)
FILES["winmail_dat.eml"] = message(
    FROM + "Subject: from outlook\n",
    multipart(
        "Content-Type: text/plain\n\nOutlook sent this",
        'Content-Type: application/ms-tnef; name="winmail.dat"\n'
        'Content-Disposition: attachment; filename="winmail.dat"\n'
        "Content-Transfer-Encoding: base64\n\n" + b64(TNEF),
    ),
)

# -- From header tricks (CVE-2023-27043 and friends) -----------------------------------

FROM_TRICKS = {
    "from_quoted_address_display.eml": '"alice@example.com" <mallory@evil.example>',
    "from_double_at.eml": "alice@example.com@evil.example",
    "from_encoded_display_address.eml": "=?utf-8?q?alice=40example.com?= <mallory@evil.example>",
    "from_encoded_display_angle.eml": (
        "=?utf-8?q?=3Calice=40example.com=3E?= <mallory@evil.example>"
    ),
    "from_two_addresses.eml": "mallory@evil.example, alice@example.com",
    "from_two_angle_addresses.eml": "<alice@example.com> <mallory@evil.example>",
    "from_group.eml": "Friends: alice@example.com, mallory@evil.example;",
    "from_group_angle.eml": "Friends: Alice <alice@example.com>;",
    "from_encoded_word_in_addr.eml": "<=?utf-8?q?alice=40example.com?=@evil.example>",
    "from_encoded_word_bare.eml": "=?utf-8?q?alice?=@example.com",
    "from_comment_display.eml": "(alice@example.com) <mallory@evil.example>",
    "from_comment_after.eml": "mallory@evil.example (alice@example.com)",
    "from_comment_in_angle.eml": "<mallory(alice@example.com)@evil.example>",
    "from_comment_splits_local.eml": "ali(mallory@evil.example)ce@example.com",
    "from_unbalanced_quote.eml": '"alice@example.com\\" <mallory@evil.example>',
    "from_paren_trick.eml": "alice@example.com)<mallory@evil.example>",
    "from_unquoted_address_display.eml": "alice@example.com <mallory@evil.example>",
    "from_route_addr.eml": "<@example.com:alice@example.com>",
    "from_angle_in_quotes.eml": '"<alice@example.com>" mallory@evil.example',
    "from_nul.eml": "alice@example.com\x00<mallory@evil.example>",
    "from_homoglyph.eml": "alice@ex\xe0mple.com",
    "from_trailing_garbage.eml": "<mallory@evil.example> alice@example.com",
    "from_backslash_escape.eml": '"alice@example.com\\\\" <mallory@evil.example>',
}
for name, value in FROM_TRICKS.items():
    FILES[name] = message(f"From: {value}\nSubject: borrowed identity\n", "\nbody\n")
FILES["from_twice.eml"] = message(
    "From: mallory@evil.example\nFrom: alice@example.com\nSubject: two From\n", "\nbody\n"
)
FILES["from_folded_crlf.eml"] = message(
    "From: Mallory\n <mallory@evil.example>\n (alice@example.com)\nSubject: folded\n", "\nbody\n"
)

# -- subject and header injection ------------------------------------------------------

FILES["subject_crlf_injection.eml"] = crlf(
    FROM + "Subject: =?utf-8?q?hello=0D=0ABcc:_victim@example.com?=\n"
    "X-B64: =?utf-8?b?aGVsbG8NCkJjYzogdmljdGltQGV4YW1wbGUuY29t?=\n"
    "X-Bare: one\rBcc: bare-cr@example.com\n"
    "X-Unicode: =?utf-8?q?line=E2=80=A8sep=C2=85nel?=\n\nbody\n"
)
FILES["subject_bare_cr.eml"] = b"".join(
    [
        b"From: customer@client.example\r\n",
        b"Subject: first\rBcc: victim@example.com\r\rsecond\r\n",
        b"Subject: =?utf-8?b?DQpCY2M6IHZpY3RpbUBleGFtcGxlLmNvbQ0K?=\r\n",
        b"\r\nbody\r\n",
    ]
)
FILES["message_id_hostile.eml"] = message(
    FROM
    + "Subject: ids\nMessage-ID: <a\n b@c> <x@y>\nIn-Reply-To: =?utf-8?q?<x=0D=0A@y>?=\n"
    + "References: "
    + " ".join(f"<ref{i}@example.com>" for i in range(600))
    + "\nDate: Tue, 31 Feb 99999 99:99:99 +9999\n",
    "\nbody\n",
)
FILES["date_hostile.eml"] = message(
    FROM + "Subject: dates\nDate: 0 Jan 0000 00:00:00 -9999\nDate: Mon, 1 Jan 1 1:1:1 +0000\n",
    "\nbody\n",
)

# -- bodies ----------------------------------------------------------------------------

FILES["empty.eml"] = b""
FILES["headers_only.eml"] = crlf(FROM + "Subject: only headers\nContent-Type: text/plain")
FILES["only_blank_line.eml"] = b"\r\n"
FILES["body_nul_bytes.eml"] = crlf(
    FROM + "Subject: NULs\nContent-Type: text/plain\n\nhello\x00world\x00\x00 end\n"
)
FILES["base64_not_base64.eml"] = message(
    FROM + "Subject: lying base64\n",
    multipart(
        "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
        "This is plain text, not base64 at all!!!",
        attachment('filename="photo.jpg"', ctype="image/jpeg").replace(b64(b"data"), "%%%%%"),
        "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\nQQ==QQ==Q",
    ),
)
FILES["quoted_printable_invalid.eml"] = message(
    FROM + "Subject: bad qp\n",
    multipart(
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        "bad =ZZ escape, short =4, lower =c3=a9, double ==41, end =",
        "Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n=\n=\n=",
    ),
)
FILES["html_hostile.eml"] = message(
    FROM + "Subject: hostile html\nContent-Type: text/html; charset=utf-8\n",
    "\n<html><head><title>hidden title</title></head><body>"
    "<p>visible &#0; &#x1b;[31m &#xFFFFFFFF; &#55296; &#x202e;kcab &bogus</p>"
    "<script>document.write('hidden')</script><style>p{}</style>"
    "<!-- unclosed comment <p>never shown",
)
FILES["line_endings_bare_cr.eml"] = (
    b"From: customer@client.example\rSubject: old mac\rContent-Type: text/plain\r\rbody\r"
)
FILES["line_endings_mixed.eml"] = (
    b"From: customer@client.example\nSubject: mixed\r\nContent-Type: text/plain\r\r\n\nbody\n\r"
)


def main() -> None:
    for old in HERE.glob("*.eml*"):
        old.unlink()
    for name, data in FILES.items():
        path = HERE / name
        if name.endswith(".gz"):
            path.write_bytes(gzip.compress(data, mtime=0))
        else:
            path.write_bytes(data)


if __name__ == "__main__":
    main()
