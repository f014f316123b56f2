"""Renderer: subject split, autoescape only for HTML, errors naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.errors import TemplateError
from mailbot.outbound.render import Renderer


def write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def tdir(tmp_path: Path) -> Path:
    write(tmp_path, "customer/_greeting.txt.j2", "Hello {{ name }},\n")
    write(
        tmp_path,
        "customer/rma_issued.txt.j2",
        "Subject: Your RMA {{ ticket.rma }}\n\n"
        '{% include "customer/_greeting.txt.j2" %}\n'
        "Product: {{ product }}\n",
    )
    write(tmp_path, "customer/rma_issued.html.j2", "<p>Product: {{ product }}</p>")
    write(tmp_path, "customer/plain.txt.j2", "Subject: Plain\n\nJust text.\n")
    return tmp_path


CTX: dict[str, object] = {"name": "Ana", "product": "Board <A&B>", "ticket": {"rma": "RMA1"}}


def test_render_text_and_html(tdir: Path) -> None:
    mail = Renderer(tdir).render("customer/rma_issued", CTX)
    assert mail.subject == "Your RMA RMA1"
    assert mail.text == "Hello Ana,\nProduct: Board <A&B>"
    # Only the HTML alternative is escaped.
    assert mail.html == "<p>Product: Board &lt;A&amp;B&gt;</p>"


def test_full_file_name_is_accepted(tdir: Path) -> None:
    assert Renderer(tdir).render("customer/plain.txt.j2", {}).subject == "Plain"


def test_html_is_optional(tdir: Path) -> None:
    mail = Renderer(tdir).render("customer/plain", {})
    assert mail.html is None and mail.text == "Just text."


def test_templates_are_read_once(tdir: Path) -> None:
    renderer = Renderer(tdir)
    first = renderer.render("customer/plain", {})
    write(tdir, "customer/plain.txt.j2", "Subject: Changed\n\nOther.\n")
    assert renderer.render("customer/plain", {}) == first
    assert Renderer(tdir).render("customer/plain", {}).subject == "Changed"


def test_undefined_variable_names_file_and_line(tdir: Path) -> None:
    with pytest.raises(TemplateError) as err:
        Renderer(tdir).render("customer/rma_issued", {"name": "Ana", "ticket": {"rma": "x"}})
    assert "rma_issued.txt.j2:4" in str(err.value)
    assert "product" in str(err.value)


def test_missing_template(tdir: Path) -> None:
    with pytest.raises(TemplateError, match=r"customer/nope\.txt\.j2: template not found"):
        Renderer(tdir).render("customer/nope", {})


def test_syntax_error_names_line(tdir: Path) -> None:
    write(tdir, "customer/broken.txt.j2", "Subject: x\n\nline\n{% if %}\n")
    with pytest.raises(TemplateError, match=r"broken\.txt\.j2:4"):
        Renderer(tdir).render("customer/broken", {})


def test_missing_subject_line(tdir: Path) -> None:
    write(tdir, "customer/nosubj.txt.j2", "Hello\n\nbody\n")
    with pytest.raises(TemplateError, match=r"nosubj\.txt\.j2:1"):
        Renderer(tdir).render("customer/nosubj", {})


def test_check_lists_every_problem(tdir: Path) -> None:
    assert Renderer(tdir).check() == []
    write(tdir, "customer/broken.txt.j2", "Subject: x\n\n{% for %}\n")
    write(tdir, "customer/nosubj.txt.j2", "Hello\n\nbody\n")
    write(tdir, "customer/noblank.txt.j2", "Subject: x\nbody\n")
    write(tdir, "customer/orphan.html.j2", "<p>x</p>")
    problems = "\n".join(Renderer(tdir).check())
    assert "broken.txt.j2:3" in problems
    assert "nosubj.txt.j2:1" in problems
    assert "noblank.txt.j2:2" in problems
    assert "orphan.html.j2: HTML template without" in problems
    assert "_greeting" not in problems


def test_an_empty_block_leaves_one_blank_line_between_paragraphs(tdir: Path) -> None:
    write(
        tdir,
        "customer/listed.txt.j2",
        "Subject: Lists\n\nStill missing:\n- a video\n\n"
        "{% if done %}Already complete:\n- photos\n{% endif %}\n \n"
        "{% if bad %}Not counted: x.zip\n{% endif %}\n\nPlease reply.\n",
    )
    mail = Renderer(tdir).render("customer/listed", {"done": False, "bad": False})
    assert mail.text == "Still missing:\n- a video\n\nPlease reply."
