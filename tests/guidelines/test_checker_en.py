"""English replies: each code with replies that must get it (and the words it points at) and replies
that must not (negation, quotes, the name in a greeting or a handle)."""

from __future__ import annotations

import pytest

from tests.guidelines.helpers import codes, words

OK_TAIL = " Please DM us your order number and we will refund you within 2 business days."


@pytest.mark.parametrize(
    ("text", "code", "passage"),
    [
        (
            "Sorry about that. You should have checked the tracking page." + OK_TAIL,
            "blame",
            "You should have",
        ),
        ("Sorry! That's the carrier's fault, not ours." + OK_TAIL, "blame", "That's the carrier's fault"),
        ("Sorry, the delay was caused by the courier." + OK_TAIL, "blame", "caused by the courier"),
        ("Sorry, this is user error." + OK_TAIL, "blame", "user error"),
        (
            "Sorry for the wait. Due to high volume, replies are slow." + OK_TAIL,
            "excuse",
            "Due to high volume",
        ),
        ("Sorry, but this is beyond our control." + OK_TAIL, "excuse", "beyond our control"),
        ("Sorry! As stated in our terms, refunds take time." + OK_TAIL, "excuse", "As stated in our terms"),
        (
            "We apologize for any inconvenience." + OK_TAIL,
            "conditional_apology",
            "apologize for any inconvenience",
        ),
        ("Sorry if you felt ignored." + OK_TAIL, "conditional_apology", "Sorry if you felt ignored"),
        (
            "We regret any inconvenience this may have caused." + OK_TAIL,
            "conditional_apology",
            "regret any inconvenience this may have caused",
        ),
        ("Sorry you feel that way." + OK_TAIL, "conditional_apology", "Sorry you feel that way"),
        ("Sorry. As I already told you, the app works." + OK_TAIL, "hostile", "As I already told you"),
        ("Sorry, but calm down." + OK_TAIL, "hostile", "calm down"),
        ("Sorry! Did you even read the instructions?" + OK_TAIL, "hostile", "Did you even read"),
        ("Sorry! We will refund you.", "no_timeline", "We will refund you"),
        ("Sorry! Our team will follow up with you.", "no_timeline", "Our team will follow up with you"),
    ],
)
def test_words_that_break_a_guideline_are_found_where_they_are(text: str, code: str, passage: str) -> None:
    assert passage in words(text, "en", code)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Please DM us your order number.", "no_apology"),
        ("Please DM us your order number.", "no_empathy"),
        ("We're sorry to hear that.", "no_next_step"),
        ("Sorry about that. Let us know if you need anything else.", "no_next_step"),
        ("Sorry about that. We'd be happy to help.", "no_next_step"),
    ],
)
def test_what_is_missing_is_found(text: str, code: str) -> None:
    found = words(text, "en", code)
    assert found == [text]  # a missing thing points at the whole reply


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("It's not your fault at all, we're sorry." + OK_TAIL, "blame"),
        ("This was not your fault." + OK_TAIL, "blame"),
        ('Sorry! You wrote "you should have warned me" and you are right.' + OK_TAIL, "blame"),
        ("Sorry! You should have received an email from us." + OK_TAIL, "blame"),
        ("We're sorry your parcel is late." + OK_TAIL, "conditional_apology"),
        ("Sorry, if you still have trouble, DM us." + OK_TAIL, "conditional_apology"),
        ("Sorry about that!" + OK_TAIL, "no_apology"),
        ("I understand how frustrating this is." + OK_TAIL, "no_empathy"),
        ("Sorry! Please DM us your order number.", "no_next_step"),
        ("Sorry! Which app are you using?", "no_next_step"),
        ("Sorry! We'll get back to you tomorrow.", "no_timeline"),
        ("Sorry! We will refund you by Monday.", "no_timeline"),
        ("Sorry! We will send a replacement within 48 hours.", "no_timeline"),
        ("Sorry! As you told us, the app crashed." + OK_TAIL, "hostile"),
        ("We're sorry we missed this. We should have replied sooner." + OK_TAIL, "excuse"),
    ],
)
def test_replies_that_keep_a_guideline_are_not_flagged(text: str, absent: str) -> None:
    assert absent not in codes(text, "en")


def test_a_good_reply_is_clean() -> None:
    text = (
        "Hi Anna, I'm so sorry your order is late. Please DM us your order number and we will refund you "
        "within 2 business days."
    )
    assert codes(text, "en", name="Anna Berger") == set()


def test_without_a_complaint_nothing_missing_is_asked_for() -> None:
    assert codes("Thanks for flying with us!", "en", apology=False) == set()
    assert codes("Thanks for flying with us!", "en") == {"no_apology", "no_empathy", "no_next_step"}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hi @anna, sorry about that!" + OK_TAIL, "@anna"),
        ("Hi @anna, sorry about that!" + OK_TAIL, "anna"),
        ("Hello Ms Berger, sorry about that!" + OK_TAIL, "Anna Berger"),
        ("Sorry about that, Anna!" + OK_TAIL, "Anna"),
    ],
)
def test_the_name_counts_in_a_greeting_a_handle_or_anywhere(text: str, name: str) -> None:
    assert "no_name" not in codes(text, "en", name=name)


def test_a_missing_name_points_at_the_greeting() -> None:
    text = "Hello there, sorry about that!" + OK_TAIL
    assert words(text, "en", "no_name", name="Anna") == ["Hello there"]
    bare = "Sorry about that!" + OK_TAIL
    assert words(bare, "en", "no_name", name="Anna") == [""]  # where the name belongs: the start
    assert "no_name" not in codes(bare, "en")  # unknown name: nothing to ask for


def test_a_name_only_in_a_quote_does_not_count() -> None:
    text = 'Sorry! You asked "is Anna there?".' + OK_TAIL
    assert "no_name" in codes(text, "en", name="Anna")
