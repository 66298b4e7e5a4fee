"""The demo workspace: Voltaro's monitors plus the crisis team, its channels and its escalation,
and Voltaro's own accounts (:mod:`crisisdesk.demo.own_channels`).

Every notification target points at the demo's own local sink (:mod:`crisisdesk.demo.sink`), so
the demo shows real deliveries — signed webhooks, Slack and Teams payloads over HTTP — without
contacting anybody. The team is bilingual like the audience: each person gets notifications in
their own language.

Escalation, in stream minutes: a *watch* (level 1) is only shown; from *issue* (level 2) on, the
social media team on duty hears first, the crisis lead next, management last. A *crisis* adds the
spokesperson and legal; a *severe crisis* pages the lead at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from crisisdesk.demo import compose
from crisisdesk.demo.inbox_setup import INBOX_YAML
from crisisdesk.demo.own_channels import NOWHERE, ChannelSecrets, channels_yaml

#: Where acknowledgement links point: ``crisisdesk serve`` on its default address.
DEMO_BASE_URL: Final = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    lang: str
    roles: tuple[str, ...]
    targets: tuple[str, ...]


#: (name, kind) of every target; the sink serves each at ``/<kind>/<name>``.
TARGETS: Final = (
    ("lead-pager", "webhook"),  # the crisis lead's on-call app: a signed webhook
    ("press-desk", "webhook"),  # the spokesperson's press desk tool
    ("legal-inbox", "webhook"),  # legal's ticketing system
    ("social-media", "slack"),  # the social media team's channel
    ("management", "teams"),  # the management team's channel
)

TEAM: Final = (
    DemoPerson("lena", "Lena Wagner", "de", ("crisis_lead",), ("lead-pager",)),
    DemoPerson("oliver", "Oliver Grant", "en", ("spokesperson",), ("press-desk",)),
    DemoPerson("katrin", "Dr. Katrin Vogel", "de", ("legal",), ("legal-inbox",)),
    DemoPerson("jana", "Jana Köhler", "de", ("management",), ("management",)),
    DemoPerson("mia", "Mia Schulz", "de", ("social_media_team",), ("social-media",)),
    DemoPerson("sam", "Sam Taylor", "en", ("social_media_team",), ("social-media",)),
)

#: The person the demo lets acknowledge (see :mod:`crisisdesk.demo.responder`).
CRISIS_LEAD: Final = TEAM[0]

_DETECTION: Final = """\
# Detection with the shipped defaults, tuned the way a team of a brand this size would tune it:
# summaries in English; only large accounts count as influencers (the brand's own verified account
# must not raise alerts about the brand); no volume alert on fewer than 20 posts an hour (a busy
# morning of a small monitor is not a crisis); a situation ends after two quiet hours, not one
# (otherwise every quiet night hour closes it and the morning opens it again).
detection:
  enabled: true
  language: en
  influencer_verified: false
  min_posts: 20
  resolve_minutes: 120

# The default crisis playbook: 1 watch, 2 issue, 3 crisis, 4 severe crisis.
playbook: {}
"""

_UPDATES: Final = """\
# Stakeholder updates: Voltaro's public status page and its press list (docs/updates.md,
# docs/status-page.md); the mails go to the demo's own mail server on 127.0.0.1.
updates:
  status_page:
    slug: voltaro
    title: {de: "Voltaro informiert", en: "Voltaro updates"}
  email_lists:
    press:
      name: {de: "Voltaro Presseverteiler", en: "Voltaro press list"}
      addresses: [redaktion@stadtkurier.example, newsdesk@mobility-wire.example]
      lang: de
"""

_ESCALATION: Final = """\
escalation:
  base_url: {base_url}
  notify_resolved: true
  policies:
    - severity: 2            # issue
      steps:
        - {{notify: ["role:social_media_team"], wait_minutes: 10}}
        - {{notify: ["role:crisis_lead"], wait_minutes: 20}}
        - {{notify: ["role:management"], wait_minutes: 30}}
    - severity: 3            # crisis
      steps:
        - {{notify: ["role:social_media_team", "role:spokesperson"], wait_minutes: 10}}
        - {{notify: ["role:crisis_lead", "role:legal"], wait_minutes: 15}}
        - {{notify: ["role:management"], wait_minutes: 30}}
    - severity: 4            # severe crisis
      steps:
        - {{notify: ["role:social_media_team", "role:spokesperson", "role:crisis_lead"], wait_minutes: 5}}
        - {{notify: ["role:legal", "role:management"], wait_minutes: 15}}
"""


def target_path(name: str, kind: str) -> str:
    return f"/{kind}/{name}"


def workspace_yaml(sink_url: str | None = None, *, webhook_secret: str | None = None,
                   base_url: str = DEMO_BASE_URL, channels: ChannelSecrets | None = None,
                   feed_url: str | None = None, platforms_url: str = NOWHERE,
                   smtp_port: int | None = None) -> str:
    """The demo's ``crisisdesk.yaml``; without ``sink_url`` only monitors and detection. With
    ``channels`` (this run's credentials) and the press feed's ``feed_url``, Voltaro's accounts
    (sending to ``platforms_url``) and the inbox's saved replies and rules."""
    parts = [compose.WORKSPACE_YAML, _DETECTION]
    if channels is not None:
        if feed_url is None:
            raise ValueError("the demo's channels need the URL of its press feed")
        parts.append(channels_yaml(channels, feed_url=feed_url, platforms_url=platforms_url))
        parts.append(INBOX_YAML)
        parts.append(_UPDATES)
    if sink_url is None:
        return "\n".join(parts)
    if not webhook_secret or len(webhook_secret) < 16:
        raise ValueError("the demo's webhooks need a secret of at least 16 characters")
    lines = ["# Every target is the demo's local sink; a real workspace names Slack, Teams, mail…",
             "notify:"]
    if smtp_port is not None:  # the demo's own mail server (stakeholder updates to the lists)
        lines.append(f'  smtp: {{host: 127.0.0.1, port: {smtp_port}, starttls: false, '
                     'from: "Voltaro <info@voltaro.example>"}')
    lines.append("  targets:")
    base = sink_url.rstrip("/")
    for name, kind in TARGETS:
        url = base + target_path(name, kind)
        if kind == "webhook":
            lines.append(f'    {name}: {{kind: webhook, url: "{url}", secret: "{webhook_secret}", '
                         'timeout: 5}')
        else:
            lines.append(f'    {name}: {{kind: {kind}, webhook_url: "{url}", timeout: 5}}')
    lines += ["", "people:"]
    for p in TEAM:
        lines.append(f'  {p.key}: {{name: "{p.name}", lang: {p.lang}, targets: [{", ".join(p.targets)}], '
                     f'email: {p.key}@crisisdesk.example}}')
    lines += ["", "roles:"]
    roles: dict[str, list[str]] = {}
    for p in TEAM:
        for role in p.roles:
            roles.setdefault(role, []).append(p.key)
    lines += [f"  {role}: [{', '.join(keys)}]" for role, keys in roles.items()]
    parts += ["\n".join(lines) + "\n", _ESCALATION.format(base_url=base_url)]
    return "\n".join(parts)
