"""The situation page shows the terms as detection stored them, says when they are only the most
frequent ones, and still renders explanations stored before (folded words, no method)."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping

import pytest
from sqlalchemy import update

from crisisdesk.accounts.roles import Role
from crisisdesk.detection.models import Situation
from tests.accounts.fixtures import World
from tests.web.test_pages import browser

NEW = {"top_terms": ["Stellwerk", "Deutsche Bahn", "„nie wieder“ & <b>", "#bahnchaos"],
       "top_hashtags": ["#bahnchaos"], "terms_method": "frequent", "summary": "bahn: 12 posts"}
OLD = {"top_terms": ["akku", "rueckruf"], "top_hashtags": ["#akku"], "summary": "bahn: 40 posts"}


def _store(world: World, explanation: Mapping[str, object]) -> None:
    with world.engine.begin() as conn:
        conn.execute(update(Situation).where(Situation.id == world.situation_id)
                     .values(explanation=json.dumps(explanation, ensure_ascii=False)))


@pytest.mark.parametrize(("lang", "note"), [
    ("en", "Nothing stands out against the posts before; these are the most frequent."),
    ("de", "Gegenüber den Beiträgen davor fällt kein Begriff auf; hier die häufigsten."),
])
def test_terms_found_by_frequency_say_so(world: World, lang: str, note: str) -> None:
    _store(world, NEW)
    c, _ = browser(world, Role.ANALYST, lang=lang)
    page = c.get(f"/situations/{world.situation_id}").text
    assert "Stellwerk, Deutsche Bahn, „nie wieder“ &amp; &lt;b&gt;, #bahnchaos" in page  # escaped
    assert 'id="terms-method"' in page and note in html.unescape(page)


def test_an_explanation_stored_before_still_renders(world: World) -> None:
    _store(world, OLD)
    c, _ = browser(world, Role.ANALYST)
    page = c.get(f"/situations/{world.situation_id}").text
    assert "akku, rueckruf" in page and 'id="terms-method"' not in page
    listed = c.get("/api/v1/situations").json()
    assert [s["top_terms"] for s in listed if s["id"] == world.situation_id] == [["akku", "rueckruf"]]
