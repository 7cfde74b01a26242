"""The keeping rules as functions of values: people, their journals in brief, limits and days.

No workspace and no journal file: each test builds Contact values and a person's entries,
summarised by the journal's own rules, and calls keeping/rules.py. The end-to-end tests of
the same rules, through `outreach due` and `draft --plan`, are in test_keeping.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from outreach.journal.summary import NOTHING, Summary, summarise
from outreach.keeping.rules import (
    due_items,
    giving_warning,
    last_contact,
    make_plan,
    person_dues,
)
from outreach.people.contact import Contact, slug
from outreach.workspace.goal import Goal
from outreach.workspace.settings import Limits

AS_OF = date(2026, 3, 20)


def on(offset: int) -> str:
    """The day OFFSET days from AS_OF, as the journal writes it."""
    return on_day(offset).isoformat()


def on_day(offset: int) -> date:
    return AS_OF + timedelta(days=offset)


def person(
    name: str,
    *,
    like: bool = False,
    can_help: bool = False,
    doubts: bool = False,
    email: str | None = "",
    every: int | None = None,
    last: date | None = None,
) -> Contact:
    """A Contact as contacts.yaml would give it: `every` is keep_in_touch in days; the email is
    made from the id unless given (None: no address)."""
    id = slug(name)
    return Contact(
        name=name,
        id=id,
        first_name=name.split()[0],
        email=f"{id}@example.org" if email == "" else email,
        like=like,
        can_help=can_help,
        doubts=doubts,
        keep_in_touch=f"{every}d" if every else None,
        keep_in_touch_days=every,
        last_contact=last,
    )


@dataclass(frozen=True)
class Logged:
    """One journal entry: its kind, day, and for a message its template's kind and
    follow_up_after."""

    kind: str
    day: str
    template_kind: str | None = None
    follow_up: int | None = None


def request(day: str, follow_up: int | None = 7) -> Logged:
    """A request sent, with its template's follow_up_after (None: the template gives none)."""
    return Logged("sent", day, "request", follow_up)


def message(day: str, template_kind: str, follow_up: int | None = None) -> Logged:
    """Another message sent: a thank-you, follow-up or check-in."""
    return Logged("sent", day, template_kind, follow_up)


def summary(who: Contact, *entries: Logged) -> Summary:
    """The person's summary, by the journal's rules, from entries in the order they were
    logged (the entry's number is its place in the list)."""
    ordered = sorted(enumerate(entries, 1), key=lambda numbered: numbered[1].day)
    return summarise(
        who.id, ((n, e.kind, e.day, e.template_kind, e.follow_up, None) for n, e in ordered)
    )


def requests(who: Contact, *entries: Logged) -> dict[str, list[tuple[str, int | None]]]:
    """The person's requests sent, keyed as the journal keys them (day#number)."""
    found = [
        (f"{e.day}#{n:012d}", e.follow_up)
        for n, e in enumerate(entries, 1)
        if e.kind == "sent" and e.template_kind == "request"
    ]
    return {who.id: found} if found else {}


def reasons(who: Contact, *entries: Logged) -> dict[str, date]:
    return dict(person_dues(who, summary(who, *entries), AS_OF))


# --- follow-up ------------------------------------------------------------------------


def test_a_request_without_a_reply_is_due_for_a_follow_up_after_its_days() -> None:
    ada = person("Ada Lovelace")
    assert reasons(ada, request(on(-10), follow_up=7)) == {"follow-up": on_day(-3)}
    [item] = due_items([ada], {ada.id: summary(ada, request(on(-10), follow_up=7))}, AS_OF)
    assert (item.person, item.reason, item.due) == (ada, "follow-up", date(2026, 3, 17))
    assert item.detail == "request sent 2026-03-10, no reply yet"


def test_a_reply_meeting_or_call_after_the_request_ends_the_follow_up() -> None:
    ada = person("Ada Lovelace")
    for answer in ("replied", "met", "call"):
        assert "follow-up" not in reasons(ada, request(on(-10)), Logged(answer, on(-8)))


def test_a_reply_logged_for_the_day_of_the_request_counts_as_after_it() -> None:
    ada = person("Ada Lovelace")
    assert "follow-up" not in reasons(ada, request(on(-10)), Logged("replied", on(-10)))


def test_a_reply_before_the_latest_message_does_not_answer_it() -> None:
    ada = person("Ada Lovelace")
    entries = (request(on(-30)), Logged("replied", on(-25)), message(on(-5), "follow-up"))
    # The latest message is a follow-up without follow_up_after: nothing further falls due.
    assert "follow-up" not in reasons(ada, *entries)
    entries = (request(on(-30)), Logged("replied", on(-25)), message(on(-5), "follow-up", 3))
    assert reasons(ada, *entries)["follow-up"] == on_day(-2)


def test_a_follow_up_falls_due_on_its_day_even_when_that_is_ahead() -> None:
    ada = person("Ada Lovelace")
    summaries = {ada.id: summary(ada, request(on(-2), follow_up=7))}
    assert reasons(ada, request(on(-2), follow_up=7)) == {"follow-up": on_day(5)}
    assert due_items([ada], summaries, AS_OF, until=AS_OF) == []
    assert [i.reason for i in due_items([ada], summaries, AS_OF, until=on_day(5))] == ["follow-up"]


# --- thank-you ------------------------------------------------------------------------


def test_a_meeting_or_call_is_due_for_a_thank_you_on_its_day() -> None:
    grace = person("Grace Hopper")
    assert reasons(grace, Logged("met", on(-4))) == {"thank-you": on_day(-4)}
    [met] = due_items([grace], {grace.id: summary(grace, Logged("met", on(-4)))}, AS_OF)
    assert met.detail == "a meeting on 2026-03-16, no thank-you sent since"
    [call] = due_items([grace], {grace.id: summary(grace, Logged("call", on(-1)))}, AS_OF)
    assert (call.reason, call.due) == ("thank-you", on_day(-1))
    assert call.detail == "a call on 2026-03-19, no thank-you sent since"


def test_a_thank_you_sent_after_the_meeting_settles_it_until_the_next_meeting() -> None:
    grace = person("Grace Hopper")
    thanked = (Logged("met", on(-10)), message(on(-9), "thank-you"))
    assert reasons(grace, *thanked) == {}
    assert reasons(grace, *thanked, Logged("call", on(-2))) == {"thank-you": on_day(-2)}


def test_a_thank_you_sent_before_the_meeting_does_not_count() -> None:
    grace = person("Grace Hopper")
    assert reasons(grace, message(on(-9), "thank-you"), Logged("met", on(-3))) == {
        "thank-you": on_day(-3)
    }


# --- check-in -------------------------------------------------------------------------


def test_a_check_in_falls_due_keep_in_touch_days_after_the_last_contact() -> None:
    mei = person("Mei Chen", every=30, last=date(2026, 2, 1))
    assert person_dues(mei, NOTHING, AS_OF) == [("check-in", date(2026, 3, 3))]
    [item] = due_items([mei], {}, AS_OF)
    assert item.detail == "keep in touch every 30d; last contact 2026-02-01"


def test_with_no_contact_ever_a_check_in_is_due_today() -> None:
    mei = person("Mei Chen", every=30)
    assert person_dues(mei, NOTHING, AS_OF) == [("check-in", AS_OF)]
    [item] = due_items([mei], {}, AS_OF)
    assert item.detail == "keep in touch every 30d; no contact yet"


def test_without_keep_in_touch_no_check_in_falls_due() -> None:
    tom = person("Tom Baker", last=date(2025, 1, 1))
    assert person_dues(tom, NOTHING, AS_OF) == []
    assert reasons(tom, Logged("note", on(-400))) == {}


def test_the_later_of_last_contact_and_the_journal_counts() -> None:
    earlier_in_file = person("Mei Chen", every=30, last=date(2026, 2, 1))
    noted = summary(earlier_in_file, Logged("note", "2026-03-01"))
    assert last_contact(earlier_in_file, noted) == date(2026, 3, 1)
    assert person_dues(earlier_in_file, noted, AS_OF) == [("check-in", date(2026, 3, 31))]

    later_in_file = person("Mei Chen", every=30, last=date(2026, 3, 10))
    noted = summary(later_in_file, Logged("note", "2026-03-01"))
    assert last_contact(later_in_file, noted) == date(2026, 3, 10)
    assert person_dues(later_in_file, noted, AS_OF) == [("check-in", date(2026, 4, 9))]


def test_any_journal_entry_is_contact_for_the_check_in() -> None:
    mei = person("Mei Chen", every=14)
    for kind in ("sent", "replied", "met", "call", "gave", "received", "note"):
        entry = message(on(-20), "check-in") if kind == "sent" else Logged(kind, on(-20))
        assert reasons(mei, entry)["check-in"] == on_day(-6), kind


# --- the due list ---------------------------------------------------------------------


def test_due_items_are_most_overdue_first_then_by_reason_then_by_id() -> None:
    ada = person("Ada Lovelace", every=7)
    grace = person("Grace Hopper")
    jose = person("Jose Nunez", every=365, last=date(2025, 3, 20))
    summaries = {
        ada.id: summary(ada, request(on(-12), follow_up=5), Logged("met", on(-12))),
        grace.id: summary(grace, Logged("met", on(-5))),
    }
    items = due_items([jose, grace, ada], summaries, AS_OF)
    assert [(i.person.id, i.reason, i.due) for i in items] == [
        ("ada-lovelace", "thank-you", on_day(-12)),
        ("grace-hopper", "thank-you", on_day(-5)),  # a thank-you before a check-in
        ("ada-lovelace", "check-in", on_day(-5)),
        ("jose-nunez", "check-in", AS_OF),
    ]
    # The meeting answers the request of the same day, logged before it: no follow-up.
    assert [i.person.id for i in due_items([jose, grace, ada], summaries, AS_OF, on_day(-6))] == [
        "ada-lovelace"
    ]


# --- the plan -------------------------------------------------------------------------


def plan_ids(
    contacts: Sequence[Contact],
    summaries: dict[str, Summary] | None = None,
    sent_requests: dict[str, list[tuple[str, int | None]]] | None = None,
    drafted: Sequence[str] = (),
    max_new: int = 10,
    follow_up_after: int = 7,
) -> tuple[list[str], list[str]]:
    """Who the plan proposes, in order, and who counts against max_new."""
    plan = make_plan(
        contacts,
        summaries or {},
        sent_requests or {},
        drafted,
        Limits(max_new=max_new, follow_up_after=follow_up_after),
        AS_OF,
    )
    assert plan.max_new == max_new
    return [p.person.id for p in plan.proposals], list(plan.counting)


def test_the_plan_asks_like_and_can_help_first_then_can_help_then_like_then_the_rest() -> None:
    contacts = [
        person("Ann Neither"),
        person("Bea Like", like=True),
        person("Cal Help", can_help=True),
        person("Dee Both", like=True, can_help=True),
    ]
    plan = make_plan(contacts, {}, {}, (), Limits(max_new=10), AS_OF)
    assert [(p.person.id, p.reason) for p in plan.proposals] == [
        ("dee-both", "you like them and they can help; no contact logged yet"),
        ("cal-help", "they can help; no contact logged yet"),
        ("bea-like", "you like them; no contact logged yet"),
        ("ann-neither", "someone you know; no contact logged yet"),
    ]


def test_within_a_group_the_longest_unseen_comes_first_and_never_seen_before_all() -> None:
    recent = person("Amy Recent", can_help=True, last=date(2026, 3, 1))
    old = person("Bob Old", can_help=True, last=date(2025, 6, 1))
    logged = person("Cy Logged", can_help=True, last=date(2025, 1, 1))
    never = person("Zed Never", can_help=True)
    summaries = {logged.id: summary(logged, Logged("note", "2026-03-05"))}
    assert plan_ids([recent, old, logged, never], summaries)[0] == [
        "zed-never",
        "bob-old",
        "amy-recent",
        "cy-logged",
    ]


def test_people_not_asked_yet_come_before_those_asked_already() -> None:
    asked = person("Ada Asked", like=True, can_help=True)
    fresh = person("Zoe Fresh")
    old_request = summary(asked, request("2025-01-10"), Logged("replied", "2025-01-12"))
    plan = make_plan([asked, fresh], {asked.id: old_request}, {}, (), Limits(), AS_OF)
    assert [p.person.id for p in plan.proposals] == ["zoe-fresh", "ada-asked"]
    assert plan.proposals[1].reason == (
        "you like them and they can help; last contact 2025-01-12; asked 1 time before"
    )


def test_doubts_and_people_without_an_address_are_never_proposed() -> None:
    doubted = person("Dan Doubts", like=True, can_help=True, doubts=True)
    no_address = person("Nia Nomail", like=True, can_help=True, email=None)
    plain = person("Pat Plain")
    assert plan_ids([doubted, no_address, plain], max_new=5) == (["pat-plain"], [])


def test_the_plan_proposes_at_most_max_new() -> None:
    contacts = [person(f"Person {n}", can_help=True) for n in "abcd"]
    assert plan_ids(contacts, max_new=2)[0] == ["person-a", "person-b"]
    assert plan_ids(contacts, max_new=0)[0] == []


def test_a_request_waiting_for_an_answer_takes_a_slot_and_is_not_proposed_again() -> None:
    waiting = person("Wes Waiting", like=True, can_help=True)
    others = [person(f"Other {n}", can_help=True) for n in "abc"]
    entries = (request(on(-3)),)
    proposed, counting = plan_ids(
        [waiting, *others],
        {waiting.id: summary(waiting, *entries)},
        requests(waiting, *entries),
        max_new=2,
    )
    assert (proposed, counting) == (["other-a"], ["wes-waiting"])


def test_a_drafted_request_takes_a_slot_and_a_full_count_proposes_nobody() -> None:
    contacts = [person(f"Person {n}", can_help=True) for n in "abc"]
    assert plan_ids(contacts, drafted=["person-a"], max_new=2) == (["person-b"], ["person-a"])
    assert plan_ids(contacts, drafted=["person-a", "person-b"], max_new=2) == (
        [],
        ["person-a", "person-b"],
    )
    # More waiting than max_new allows is no error: no slot, and every one of them is named.
    assert plan_ids(contacts, drafted=["person-a", "person-b", "person-c"], max_new=1) == (
        [],
        ["person-a", "person-b", "person-c"],
    )


def test_an_unanswered_request_frees_its_slot_at_twice_its_follow_up_time() -> None:
    quiet = person("Quinn Quiet", can_help=True)
    other = person("Other One")
    for days_ago, counts in ((13, True), (14, False), (30, False)):
        entries = (request(on(-days_ago), follow_up=7),)
        _, counting = plan_ids(
            [quiet, other], {quiet.id: summary(quiet, *entries)}, requests(quiet, *entries)
        )
        assert (quiet.id in counting) is counts, days_ago


def test_a_request_without_its_own_follow_up_time_takes_the_limits_one() -> None:
    quiet = person("Quinn Quiet", can_help=True)
    entries = (request(on(-9), follow_up=None),)
    summaries = {quiet.id: summary(quiet, *entries)}
    waiting = requests(quiet, *entries)
    assert plan_ids([quiet], summaries, waiting, follow_up_after=5)[1] == ["quinn-quiet"]
    assert plan_ids([quiet], summaries, waiting, follow_up_after=4)[1] == []


def test_an_answered_request_no_longer_counts() -> None:
    answered = person("Ana Answered", can_help=True)
    entries = (request(on(-3)), Logged("replied", on(-1)))
    proposed, counting = plan_ids(
        [answered], {answered.id: summary(answered, *entries)}, requests(answered, *entries)
    )
    assert (proposed, counting) == (["ana-answered"], [])


# --- giving before asking -------------------------------------------------------------

OFFER = "I'd be glad to share the user-research templates I built."


def test_two_requests_and_nothing_given_warn_with_the_offer_of_the_goal() -> None:
    ada = person("Ada Lovelace")
    asked_twice = summary(ada, request("2026-01-05"), request("2026-02-05"))
    assert asked_twice.asks == 2
    assert giving_warning(ada, asked_twice, Goal(offer=OFFER)) == (
        "Ada Lovelace (ada-lovelace) has had 2 requests and nothing given back yet; give "
        "before you ask again (log it with: outreach log add ada-lovelace gave). "
        f"Your goal offers: {OFFER}"
    )
    for goal in (Goal(), None):
        warning = giving_warning(ada, asked_twice, goal)
        assert warning is not None
        assert warning.endswith(" Your goal offers nothing yet: add an offer to goal.md.")


def test_one_request_or_a_gift_means_no_giving_warning() -> None:
    ada = person("Ada Lovelace")
    goal = Goal(offer=OFFER)
    assert giving_warning(ada, summary(ada, request("2026-01-05")), goal) is None
    gave = summary(ada, request("2026-01-05"), Logged("gave", "2026-01-20"), request("2026-02-05"))
    assert giving_warning(ada, gave, goal) is None
    # Messages that are not requests are not asks.
    thanked = summary(ada, request("2026-01-05"), message("2026-01-09", "thank-you"))
    assert giving_warning(ada, thanked, goal) is None


def test_the_plan_carries_the_giving_warning_of_each_person_it_proposes() -> None:
    ada = person("Ada Lovelace", can_help=True)
    grace = person("Grace Hopper")
    summaries = {
        ada.id: summary(ada, request("2025-06-05"), request("2025-09-05")),
        grace.id: summary(grace, request("2025-06-05"), request("2025-09-05")),
    }
    plan = make_plan([ada, grace], summaries, {}, (), Limits(max_new=1), AS_OF, Goal(offer=OFFER))
    assert [p.person.id for p in plan.proposals] == ["ada-lovelace"]
    assert len(plan.warnings) == 1
    assert plan.warnings[0].startswith("Ada Lovelace (ada-lovelace) has had 2 requests")
