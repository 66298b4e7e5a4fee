"""``crisisdesk demo`` through the CLI: the whole arc of a crisis, printed without a terminal."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from crisisdesk.cli.main import app
from crisisdesk.demo.scenario import demo_workspace_yaml
from crisisdesk.workspace import parse_config


def test_demo_shows_the_whole_arc() -> None:
    result = CliRunner().invoke(app, ["demo", "--speed", "max", "--no-live", "--calm-days", "2",
                                      "--crisis-days", "2"])
    assert result.exit_code == 0, result.output
    out = result.output
    lines = out.splitlines()

    def first(pattern: str) -> int:
        return next(i for i, line in enumerate(lines) if re.search(pattern, line))

    # calm (Mon, Tue): at most a watch that pages nobody; the crisis starts on Wednesday morning
    calm = [line for line in lines if line.startswith(("Mon ", "Tue "))]
    assert not any(re.search(r"escalated|raised", line) for line in calm)
    opened = first(r"opened\s+#\d+ \S+ \(\w+\) opened at level")
    assert re.search(r"opened at level \d \w+: \S+: ", lines[opened])  # with its explanation
    raised = first(r"raised\s+#\d+ .* severity 1 → 2 issue")
    step2 = first(r"escalated\s+#\d+ \S+ escalation step 2 \(level \d\) → Lena Wagner")
    acked = first(r"acknowledged\s+#\d+ \S+ by Lena Wagner \(signed link\): escalation stopped")
    resolved = max(i for i, line in enumerate(lines) if re.search(r"resolved\s+#\d+ .* resolved after", line))
    assert opened < raised and step2 < acked < resolved
    # the lead acknowledged the situation of that step before its third step ran
    sid = re.search(r"#(\d+)", lines[step2]).group(1)  # type: ignore[union-attr]
    ack_of_step = next(i for i in range(step2, len(lines)) if re.search(rf"acknowledged\s+#{sid} ", lines[i]))
    assert not any(re.search(rf"escalated\s+#{sid} \S+ escalation step 3", line)
                   for line in lines[step2:ack_of_step])
    # the summary: situations, notifications received per target, acknowledgements
    assert re.search(r"\d+ situations, \d+ escalation steps after the first alert, 0 still open", out)
    for target in ("lead-pager", "social-media", "press-desk"):
        assert re.search(rf"{target}\s+│ \w+\s+│ [1-9]", out), target
    assert re.search(r"notifications received [1-9][\d,]*, refused 0", out)
    assert re.search(r"acknowledged: #\d+ \S+ by Lena Wagner", out)
    # the spokesperson kept the stakeholders informed; the lead ended the crisis once it was calm
    told = r"update\s+Oliver Grant published an update to customers \(crisis #\d+\): (Wir prüfen|Ursache)"
    assert re.search(told, out)
    assert re.search(r"stakeholder updates: [1-9]\d* published by Oliver Grant", out)
    assert "update refused" not in out
    # the press list's mails reached the demo's mail server (a real SMTP conversation)
    mails = re.search(r"mail server: (\d+) mails received \((\d+) updates to the lists", out)
    assert mails is not None and int(mails.group(2)) >= 2, out[-2000:]
    assert "redaktion@stadtkurier.example" in out
    ended = r"crisis #\d+ ended by the crisis lead; its after-action review: \S+/crises/\d+/review"
    assert re.search(ended, out)
    assert "refused for" not in out
    # Voltaro's messages, page comments and articles came through its channels, all of them
    assert re.search(r"channel items: ([1-9][\d,]*) in the scenario, \1 delivered, \1 received, \1 posts; "
                     r"refused 0", out)


def test_demo_workspace_is_valid_and_complete() -> None:
    config = parse_config(demo_workspace_yaml("http://127.0.0.1:9", webhook_secret="s" * 24),
                          path="crisisdesk.yaml")
    assert config.detection.enabled
    assert set(config.roles) == {"crisis_lead", "spokesperson", "legal", "management", "social_media_team"}
    assert {p.lang for p in config.people.values()} == {"de", "en"}
    urls = [getattr(t, "url", None) or t.webhook_url.get_secret_value()  # type: ignore[union-attr]
            for t in config.notify.targets.values()]
    assert urls and all(u.startswith("http://127.0.0.1:9/") for u in urls)
    assert [p.severity for p in config.escalation.policies] == [2, 3, 4]
    assert all(len(p.steps) >= 2 for p in config.escalation.policies)
    # without a sink: monitors and detection only, nobody to notify
    bare = parse_config(demo_workspace_yaml(), path="crisisdesk.yaml")
    assert bare.monitors and not bare.notify.targets and not bare.escalation.policies
