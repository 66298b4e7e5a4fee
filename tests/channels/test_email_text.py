"""What a customer's mail says, read the way mail clients really write it: Outlook's HTML with its
style sheets and conditional comments, quoted history under wrapped "On … wrote:" lines and
Outlook's header blocks, in German and English."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import orjson
import pytest

from crisisdesk.channels.email.mapping import map_body, strip_quoted
from crisisdesk.channels.html_text import html_to_text

OUTLOOK_HTML = """<html xmlns:o="urn:schemas-microsoft-com:office:office">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<!--[if !mso]><style>v\\:* {behavior:url(#default#VML);}</style><![endif]-->
<style><!--
/* Font Definitions */
@font-face {font-family:"Cambria Math";}
p.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm; font-size:11.0pt; font-family:"Calibri",sans-serif;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]-->
</head>
<body lang="DE" link="#0563C1" style="word-wrap:break-word">
<div class="WordSection1">
<p class="MsoNormal">Sehr geehrte Damen und Herren,<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">mein Akku ist nach zwei Wochen kaputt.
Ich m&ouml;chte mein Geld zur&uuml;ck.<o:p></o:p></p>
<p class="MsoNormal">Mit freundlichen Gr&uuml;&szlig;en<br>Anna Beispiel<o:p></o:p></p>
</div>
</body>
</html>
"""


def stored(message: EmailMessage) -> bytes:
    return orjson.dumps({"uid": 7, "uidvalidity": 1, "internaldate": "2026-12-07T10:00:00+00:00",
                         "message": base64.b64encode(message.as_bytes()).decode()})


def mail(*, plain: str | None = None, html_part: str | None = None, sender: str = "Anna <anna@example.org>",
         subject: str = "Akku") -> EmailMessage:
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = sender, "service@voltaro.example", subject
    m["Message-ID"], m["Date"] = "<m1@example.org>", "Mon, 07 Dec 2026 10:00:00 +0100"
    if plain is not None:
        m.set_content(plain)
        if html_part is not None:
            m.add_alternative(html_part, subtype="html")
    elif html_part is not None:
        m.set_content(html_part, subtype="html")
    return m


def text_of(message: EmailMessage) -> str:
    post = map_body(stored(message), channel="mail", own_address="service@voltaro.example").posts[0].post
    return str(post["text"])


def test_an_outlook_html_mail_reads_as_its_words_not_its_style_sheet() -> None:
    text = text_of(mail(html_part=OUTLOOK_HTML))
    assert text == ("Akku\n\nSehr geehrte Damen und Herren,\n\nmein Akku ist nach zwei Wochen kaputt. "
                    "Ich möchte mein Geld zurück.\n\nMit freundlichen Grüßen\nAnna Beispiel")
    for leftover in ("MsoNormal", "font-family", "Cambria", "shapedefaults", "behavior", "<", "&nbsp;"):
        assert leftover not in text


def test_the_plain_part_wins_over_the_html_part() -> None:
    assert text_of(mail(plain="Mein Akku brennt!\n", html_part=OUTLOOK_HTML)) == "Akku\n\nMein Akku brennt!"


@pytest.mark.parametrize(("body", "kept"), [
    # Gmail wraps a long attribution line onto a second one
    ("Still no refund after three weeks.\n\nOn Mon, Dec 7, 2026 at 10:00 AM Voltaro Service <\n"
     "service@voltaro.example> wrote:\n> We are sorry to hear that.\n> Kind regards",
     "Still no refund after three weeks."),
    ("Immer noch kein Geld zurück.\n\nAm Mo., 7. Dez. 2026 um 10:00 Uhr schrieb Voltaro Service <\n"
     "service@voltaro.example>:\n> Das tut uns leid.", "Immer noch kein Geld zurück."),
    # Outlook's header block, English and German, with and without its line of underscores
    ("The replacement is broken too.\n\n________________________________\nFrom: Voltaro Service "
     "<service@voltaro.example>\nSent: Monday, December 7, 2026 10:00\nTo: Anna\nSubject: RE: Akku\n\n"
     "Dear Anna, ...", "The replacement is broken too."),
    ("Das Ersatzgerät ist auch defekt.\n\nVon: Voltaro Service <service@voltaro.example>\n"
     "Gesendet: Montag, 7. Dezember 2026 10:00\nAn: Anna\nBetreff: AW: Akku\n\nLiebe Anna, ...",
     "Das Ersatzgerät ist auch defekt."),
    ("Antwort oben.\n\n-----Ursprüngliche Nachricht-----\nVon: x", "Antwort oben."),
    # a customer's own words that merely look alike stay
    ("Am Montag schrieben Sie mir: morgen kommt es.\nEs kam nicht.",
     "Am Montag schrieben Sie mir: morgen kommt es.\nEs kam nicht."),
    ("From: my balcony I saw the smoke.\nIt was the charger.",
     "From: my balcony I saw the smoke.\nIt was the charger."),
])
def test_the_quoted_history_is_cut_where_mail_clients_start_it(body: str, kept: str) -> None:
    assert strip_quoted(body) == kept


@pytest.mark.parametrize(("markup", "text"), [
    ("<p>Hallo,<br>Akku&nbsp;kaputt.</p><p>Anna</p>", "Hallo,\nAkku kaputt.\n\nAnna"),
    ("<div>a\nb</div><ul><li>eins</li><li>zwei</li></ul>", "a b\neins\nzwei"),
    ("<script>alert(1)</script><noscript>x</noscript>Text", "Text"),
    ("kaputt <b>fett <i>und offen", "kaputt fett und offen"),  # broken markup keeps its text
    ("&lt;tag&gt; &amp; &#x1F525;", "<tag> & 🔥"),
    ("zeile<br><br><br><br>weiter", "zeile\n\nweiter"),
    ("<pre>a\n  b</pre>", "a\nb"),
])
def test_html_to_text(markup: str, text: str) -> None:
    assert html_to_text(markup) == text


def test_a_broken_from_header_still_gives_a_post() -> None:
    m = mail(plain="Hallo, mein Akku ist kaputt.")
    del m["From"]
    m["From"] = '"Unbalanced <anna@example.org'
    post = map_body(stored(m), channel="mail", own_address="service@voltaro.example").posts[0].post
    assert post["text"] == "Akku\n\nHallo, mein Akku ist kaputt."
    assert isinstance(post["author"]["id"], str) and post["author"]["id"]
