"""MIME messages of the SMTP and file backends: structure, personalisation, header safety."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from service.mail.envelope import Address, Attachment, Content, Recipient, UnsafeHeader
from service.mail.mime import MessageRenderer, build_message

CALENDAR = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Convier//FR\r\nMETHOD:REQUEST\r\n"
    b"BEGIN:VEVENT\r\nUID:rencontre-2017@convier.example.org\r\n"
    b"DTSTART:20170705T123000Z\r\nDTEND:20170705T153000Z\r\n"
    b"SUMMARY:Rencontre nationale des PTCE\r\nLOCATION:Auditorium de la Macif\\, Paris 15e\r\n"
    b"ORGANIZER;CN=Le Labo de l'ESS:mailto:contact@lelabo-ess.example.org\r\n"
    b"END:VEVENT\r\nEND:VCALENDAR\r\n"
)


def invitation(**changes: object) -> Content:
    """The content of an invitation with every kind of part."""
    fields: dict[str, object] = {
        "sender": Address("contact@lelabo-ess.example.org", "Le Labo de l'ESS"),
        "subject": "%%first_name%%, rencontre nationale des Pôles Territoriaux",
        "text": "Bonjour %%first_name%%,\n\nParticipation sur inscription exclusivement.\n",
        "html": "<p>Bonjour %%first_name.html%%,</p><p>Participation sur inscription.</p>",
        "reply_to": Address("r+%%reply_token%%@reply.example.org", "Le Labo"),
        "headers": {"X-Convier-Campaign": "12"},
        "attachments": (Attachment("invitation.ics", "text/calendar; method=REQUEST", CALENDAR),),
    }
    fields.update(changes)
    return Content(**fields)


def guest(message_id: int = 7, **changes: object) -> Recipient:
    """A recipient with personal values and one-click unsubscribe headers."""
    fields: dict[str, object] = {
        "to": Address(f"elise.{message_id}@example.org", "Élise Dupont"),
        "substitutions": {"first_name": "Élise", "reply_token": f"tok{message_id}"},
        "headers": {
            "List-Unsubscribe": f"<https://convier.example.org/u/tok{message_id}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    }
    fields.update(changes)
    return Recipient(message_id=message_id, **fields)


def parse(data: bytes) -> EmailMessage:
    """Parse as a mail client would."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def body(message: EmailMessage, subtype: str) -> str:
    """The decoded text or HTML body, with the wire's CRLF read as newlines."""
    part = message.get_body((subtype,))
    assert part is not None
    content: str = part.get_content()
    return content.replace("\r\n", "\n")


def render(content: Content, recipient: Recipient) -> EmailMessage:
    """Render with the batch renderer and parse the bytes back."""
    rendered = MessageRenderer(content, message_id_domain="convier.example.org").render(recipient)
    return parse(rendered.data)


def test_invitation_has_text_html_calendar_and_personal_headers() -> None:
    message = build_message(invitation(), guest(), message_id_domain="convier.example.org")

    assert message["Subject"] == "Élise, rencontre nationale des Pôles Territoriaux"
    assert message["To"].addresses[0].display_name == "Élise Dupont"
    assert message["Reply-To"].addresses[0].addr_spec == "r+tok7@reply.example.org"
    assert message["From"].addresses[0].display_name == "Le Labo de l'ESS"
    assert message["Message-ID"].startswith("<")
    assert message["Message-ID"].endswith(".7@convier.example.org>")
    assert message["Date"].datetime is not None
    assert message["List-Unsubscribe"] == "<https://convier.example.org/u/tok7>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["X-Convier-Campaign"] == "12"
    assert (
        body(message, "plain") == "Bonjour Élise,\n\nParticipation sur inscription exclusivement.\n"
    )
    assert "<p>Bonjour Élise,</p>" in body(message, "html")


def test_calendar_is_an_alternative_and_an_ics_attachment() -> None:
    message = build_message(invitation(), guest(), message_id_domain="convier.example.org")

    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    kinds = [part.get_content_type() for part in alternative.iter_parts()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    calendar = list(alternative.iter_parts())[2]
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content().replace("\r\n", "\n") == CALENDAR.decode().replace("\r\n", "\n")
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invitation.ics"
    assert attachment.get_content() == CALENDAR


def test_inline_image_sits_with_the_html_in_multipart_related() -> None:
    logo = Attachment("logo.png", "image/png", b"\x89PNG\r\n", content_id="logo@convier")
    message = render(invitation(attachments=(logo,)), guest())

    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert parts[0].get_content_type() == "text/plain"
    related = parts[1]
    html, image = related.iter_parts()
    assert related.get_content_type() == "multipart/related"
    assert html.get_content_type() == "text/html"
    assert image["Content-ID"] == "<logo@convier>"
    assert image.get_content() == b"\x89PNG\r\n"


def test_recipients_own_attachment_goes_only_to_that_recipient() -> None:
    renderer = MessageRenderer(invitation(), message_id_domain="convier.example.org")
    ticket = Attachment("billet.png", "image/png", b"ticket-of-8")
    with_ticket = parse(renderer.render(guest(8, attachments=(ticket,))).data)
    without = parse(renderer.render(guest(9)).data)

    assert [a.get_filename() for a in with_ticket.iter_attachments()] == [
        "invitation.ics",
        "billet.png",
    ]
    assert [a.get_filename() for a in without.iter_attachments()] == ["invitation.ics"]


def test_text_only_message_is_a_single_part() -> None:
    message = render(invitation(html=None, attachments=()), guest())

    assert message.get_content_type() == "text/plain"
    assert (
        body(message, "plain") == "Bonjour Élise,\n\nParticipation sur inscription exclusivement.\n"
    )


def test_html_part_escapes_substituted_values_and_text_keeps_them_raw() -> None:
    value = '<script>alert("x")</script> & Fils'
    message = render(invitation(), guest(substitutions={"first_name": value, "reply_token": "t"}))

    html, text = body(message, "html"), body(message, "plain")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Fils" in html
    assert "<script>" not in html
    assert text.startswith(f"Bonjour {value},")


def test_a_tag_at_the_end_of_a_long_line_is_replaced_before_encoding() -> None:
    # Quoted-printable breaks lines at 76 characters: a tag there would be split if the
    # substitution ran on encoded bytes.
    text = "é" * 70 + " %%first_name%% fin\n"
    message = render(invitation(text=text), guest())

    assert body(message, "plain") == "é" * 70 + " Élise fin\n"


def test_values_that_look_like_mime_do_not_change_the_structure() -> None:
    value = "--=_0 =_ == =?utf-8?q?x?= . From"
    message = render(invitation(), guest(substitutions={"first_name": value, "reply_token": "t"}))

    assert [p.get_content_type() for p in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    assert message["Subject"].startswith(value)
    assert body(message, "plain").startswith(f"Bonjour {value},")


def test_rendered_bytes_are_7bit_with_short_lines() -> None:
    long_subject = "Invitation : " + "rencontre nationale des Pôles " * 20
    rendered = MessageRenderer(invitation(subject=long_subject)).render(guest())

    assert rendered.data.isascii()
    assert all(len(line) <= 998 for line in rendered.data.split(b"\r\n"))
    assert parse(rendered.data)["Subject"] == long_subject
    assert rendered.mail_from == "contact@lelabo-ess.example.org"
    assert rendered.rcpt_to == "elise.7@example.org"


@pytest.mark.parametrize(
    "name",
    [
        "Dupont, Jean",
        "Jean; Marie",
        'Jean "JD" Dupont',
        'Dupont, Élise; "la présidente"',
        "O'Brien <boss@evil.example>",
        "back\\slash",
    ],
)
def test_display_names_with_specials_parse_back_to_one_address(name: str) -> None:
    message = render(invitation(), guest(to=Address("jean@example.org", name)))

    assert getaddresses([str(message["To"])])[0][1] == "jean@example.org"
    assert len(getaddresses([str(message["To"])])) == 1
    assert len(message["To"].addresses) == 1
    assert message["To"].addresses[0].display_name == name
    assert message["To"].addresses[0].addr_spec == "jean@example.org"


INJECTIONS = ["\r\nBcc: victim@example.org", "\nBcc: victim@example.org", "x\rBcc: y@z", "\0"]


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize(
    "where",
    [
        "subject",
        "display name",
        "address",
        "reply-to",
        "reply-to tag value",
        "header value",
        "header name",
        "attachment filename",
        "sender",
    ],
)
def test_header_injection_is_refused(where: str, payload: str) -> None:
    def build() -> bytes:
        content, recipient = invitation(), guest()
        if where == "subject":
            content = invitation(subject="Invitation" + payload)
        elif where == "display name":
            recipient = guest(to=Address("a@example.org", "Élise" + payload))
        elif where == "address":
            recipient = guest(to=Address("a@example.org" + payload))
        elif where == "reply-to":
            content = invitation(reply_to=Address("r@example.org", "Labo" + payload))
        elif where == "reply-to tag value":
            recipient = guest(substitutions={"reply_token": "t" + payload})
        elif where == "header value":
            recipient = guest(headers={"List-Unsubscribe": "<https://x/u>" + payload})
        elif where == "header name":
            recipient = guest(headers={"X-Tag" + payload: "1"})
        elif where == "attachment filename":
            ics = Attachment("invite" + payload + ".ics", "text/calendar", b"BEGIN:VCALENDAR")
            content = invitation(attachments=(ics,))
        elif where == "sender":
            content = invitation(sender=Address("contact@example.org", "Labo" + payload))
        return MessageRenderer(content).render(recipient).data

    with pytest.raises(UnsafeHeader):
        build()


@pytest.mark.parametrize(
    "recipient",
    [
        guest(substitutions={"reply_token": "x>, <victim@example.org", "first_name": "É"}),
        guest(to=Address("a(comment)@example.org")),
        guest(headers={"Bcc": "victim@example.org"}),
        guest(headers={"Content-Type": "text/html"}),
        guest(headers={"X-Tag": "bell\x07"}),
        guest(attachments=(Attachment("a.png", "image/png", b"", content_id="x>\r\nBcc: y"),)),
        guest(attachments=(Attachment("a.eml", "multipart/mixed", b"--x--"),)),
    ],
)
def test_values_that_would_add_addresses_or_headers_are_refused(recipient: Recipient) -> None:
    with pytest.raises(UnsafeHeader):
        MessageRenderer(invitation()).render(recipient)


header_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)


@settings(max_examples=300, deadline=None)
@given(subject=header_text, name=header_text)
def test_any_subject_or_name_is_refused_or_comes_back_exactly(subject: str, name: str) -> None:
    try:
        content = invitation(subject=subject)
        recipient = guest(to=Address("guest@example.org", name), substitutions={})
        rendered = MessageRenderer(content).render(recipient)
    except UnsafeHeader:
        event("refused")
        return
    event("rendered")
    message = parse(rendered.data)
    assert str(message["Subject"]) == subject
    # Readers collapse runs of spaces and tabs in a display name; the builder says the same.
    assert message["To"].addresses[0].display_name == _collapsed(name)
    assert message["To"].addresses[0].addr_spec == "guest@example.org"
    assert rendered.data.isascii()


def _collapsed(name: str) -> str:
    return " ".join(word for word in name.replace("\t", " ").split(" ") if word)
