"""The demo's platform stand-in takes files the way Meta does, so a reply with a file shows "sent":
the WhatsApp and Messenger connectors upload and then send against it, over real HTTP."""

from __future__ import annotations

import hashlib
from pathlib import Path

from crisisdesk.channels.facebook.config import FacebookConfig
from crisisdesk.channels.facebook.connector import FacebookConnector
from crisisdesk.channels.outgoing import Action, Outbound, OutgoingFile
from crisisdesk.channels.whatsapp.config import WhatsAppConfig
from crisisdesk.channels.whatsapp.connector import WhatsAppConnector
from crisisdesk.demo.platforms import PlatformSink

PDF = b"%PDF-1.4\n" + b"x" * 2000 + b"\n%%EOF\n"


def test_whatsapp_and_messenger_files_reach_the_stand_in(tmp_path: Path) -> None:
    path = tmp_path / "rechnung.pdf"
    path.write_bytes(PDF)
    file = OutgoingFile(1, "Rechnung.pdf", "application/pdf", len(PDF), hashlib.sha256(PDF).hexdigest(), path)
    with PlatformSink(graph_tokens={"demo-token": "104772301"}, viber_token="v") as platforms:
        common = {
            "api_base": platforms.url,
            "access_token": "demo-token",
            "app_secret": "s" * 16,
            "verify_token": "v" * 16,
        }
        wa = WhatsAppConnector(
            WhatsAppConfig.model_validate({"key": "wa", "phone_number_id": "104772301", **common})
        )
        sent = wa.send(
            Outbound(
                Action.REPLY_PRIVATE, "k1", recipient="4915112345678", text="Anbei.", attachments=(file,)
            )
        )
        assert sent.external_id and sent.external_id.startswith("wamid.demo")
        fb = FacebookConnector(FacebookConfig.model_validate({"key": "fb", "page_id": "104772301", **common}))
        sent = fb.send(
            Outbound(
                Action.REPLY_PRIVATE,
                "k2",
                recipient="psid-1",
                text="Anbei.",
                thread="facebook:104772301:psid-1",
                context={"public": False},
                attachments=(file,),
            )
        )
        assert sent.external_id and sent.external_id.startswith("m_demo")
        assert [(c.platform, c.text) for c in platforms.calls] == [
            ("whatsapp", "Anbei."),
            ("facebook", "Anbei."),
            ("facebook", "[attachment]"),
        ]
