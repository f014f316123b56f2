"""Agent notices and cloud storage links: what needs a person, and who is told."""

from __future__ import annotations

from mailbot.core.decide import decide
from mailbot.core.model import Scenario, Ticket, TicketState
from mailbot.core.notify import no_ticket_answer, stranger_notice, with_agent_notices
from mailbot.core.rulebook import Rulebook
from mailbot.core.text import find_links
from tests.core.conftest import NOW, STATEMENT, hd_photos, message, order, videos

AGENTS = ("agent@shop.example", "lead@shop.example")
DRIVE = "https://drive.google.com/drive/folders/1aBc"


def test_cloud_links_are_found_by_host_and_subdomain(rules: Rulebook) -> None:
    text = (
        f"Videos: {DRIVE}. Also https://www.dropbox.com/s/xyz/clip.mp4?dl=0, and"
        " https://we.tl/t-AbC and https://evil.example/drive.google.com/x and"
        " https://drive.google.com.evil.example/x and again " + DRIVE
    )
    assert find_links(text, rules.cloud_hosts) == (
        DRIVE,
        "https://www.dropbox.com/s/xyz/clip.mp4?dl=0",
        "https://we.tl/t-AbC",
    )


SHARE_LINKS = [
    "https://disk.yandex.ru/i/AbCdEf12345678",
    "https://disk.yandex.com/d/AbCdEf12345678",
    "https://yadi.sk/d/AbCdEf12345678",
    "https://1drv.ms/v/s!AbCdEf123",
    "https://contoso-my.sharepoint.com/:v:/g/personal/ana/EAbC",
    "https://www.icloud.com/iclouddrive/0AbC#clip",
    "https://share.icloud.com/photos/0AbC",
    "https://u.pcloud.link/publink/show?code=XZAbC",
    "https://e.pcloud.link/publink/show?code=XZAbC",
    "https://mega.nz/file/AbCdEfGh#key",
    "https://wetransfer.com/downloads/0123abc/4567",
    "https://www.swisstransfer.com/d/0123-abcd",
    "https://pan.baidu.com/s/1AbCdEf?pwd=x1y2",
    "https://photos.app.goo.gl/AbCdEf123",
    "https://photos.google.com/share/AF1QipAbC",
    "https://app.box.com/s/abc123",
    "https://cloud.mail.ru/public/AbCd/EfGh",
    "https://www.mediafire.com/file/abc123/clip.mp4/file",
    "https://drive.proton.me/urls/ABC123#key",
    "https://www.terabox.com/s/1AbCdEf",
    "https://www.alipan.com/s/AbCdEf",
]


def test_the_shipped_cloud_hosts_know_the_common_share_links(rules: Rulebook) -> None:
    assert find_links(" ".join(SHARE_LINKS), rules.cloud_hosts) == tuple(SHARE_LINKS)
    # A host that merely ends like one is not one.
    assert find_links("https://notyadi.sk/x https://mega.nz.example/x", rules.cloud_hosts) == ()


def test_links_with_short_evidence_go_to_an_agent_who_is_told(rules: Rulebook) -> None:
    msg = message(f"Broken, order 100201. The videos are here: {DRIVE}", videos(1))
    d = decide(None, msg, "100201", order(), rules, NOW)
    assert (d.state, d.outcome, d.links) == (TicketState.UNDER_REVIEW, "links_review", (DRIVE,))
    assert d.agent_notice.startswith("cloud storage links to check (1)")
    assert d.replies[0].context["links"] == [DRIVE]
    noticed = with_agent_notices(d, msg, AGENTS, rules)
    assert [(r.template, r.to) for r in noticed.replies[1:]] == [
        ("agent/notice", a) for a in AGENTS
    ]
    assert noticed.replies[1].context["links"] == [DRIVE]
    assert "The videos are here" in str(noticed.replies[1].context["excerpt"])


def test_links_never_count_and_complete_evidence_is_approved_anyway(rules: Rulebook) -> None:
    msg = message(f"Broken, order 100201. More at {DRIVE}", [*videos(3), *hd_photos(10), STATEMENT])
    d = decide(None, msg, "100201", order(), rules, NOW)
    assert (d.state, d.links, d.agent_notice) == (TicketState.APPROVED, (DRIVE,), "")
    assert with_agent_notices(d, msg, AGENTS, rules).replies == d.replies


def test_a_review_without_agents_is_still_recorded(rules: Rulebook) -> None:
    msg = message("The board is broken, order 100201, I soldered it", videos(1))
    d = decide(None, msg, "100201", order(), rules, NOW)
    assert d.state is TicketState.UNDER_REVIEW and d.agent_notice
    assert with_agent_notices(d, msg, (), rules).replies == d.replies


def test_a_stranger_quoting_a_ticket_is_reported() -> None:
    ticket = Ticket(
        3, "T-000003", TicketState.NEEDS_INFO, Scenario.QUALITY_DEFECT, "ana@example.com"
    )
    assert stranger_notice(ticket, "ANA@example.com") == ""
    assert stranger_notice(None, "eve@example.org") == ""
    why = stranger_notice(ticket, "eve@example.org")
    assert why.startswith("eve@example.org quoted ticket T-000003 of ana@example.com")


def test_agents_can_get_a_copy_of_every_decision(rules: Rulebook) -> None:
    msg = message("Broken, order 100201", videos(1))
    d = decide(None, msg, "100201", order(), rules, NOW)
    assert with_agent_notices(d, msg, AGENTS, rules).replies == d.replies
    copied = with_agent_notices(d, msg, AGENTS, rules, copy_all=True)
    assert [r.to for r in copied.replies[1:]] == list(AGENTS)
    assert str(copied.replies[1].context["why"]).startswith("copy: evidence missing")
    assert "/approve - approve the return" in str(copied.replies[1].context["commands"])


def test_commands_naming_no_ticket_are_answered_within_the_reply_limit() -> None:
    mail = message("/approve", subject="the Mueller case", sender="agent@shop.example")
    answer, why = no_ticket_answer(mail, ["/approve"], 9, 10)
    assert [(r.template, r.to) for r in answer] == [("agent/no_ticket", "agent@shop.example")]
    assert why == "agent commands that name no ticket: nothing done, the agent is told"
    # An agent address in a mail loop: the same hourly limit a customer has.
    assert no_ticket_answer(mail, ["/approve"], 10, 10) == (
        (),
        "agent commands that name no ticket: nothing done, not told"
        " (reply limit: 10 replies to agent@shop.example in the last hour)",
    )
    assert no_ticket_answer(mail, [], 0, 10) == ((), "agent mail that names no ticket")
