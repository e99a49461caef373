"""Pure helpers of the pages: form → answer, problems → questions, time on task, media URLs, locale choice."""

from __future__ import annotations

from safetyops.demo import DEMO_TAXONOMY
from safetyops.errors import Problem
from safetyops.guidelines.taxonomy import Taxonomy
from safetyops.web import forms
from safetyops.web.i18n import from_accept_language, pick_locale

TAXONOMY = Taxonomy.model_validate(DEMO_TAXONOMY)


def test_answer_from_form_reads_only_the_taxonomy_and_drops_empty_optionals() -> None:
    form = {
        "q.abuse": ["-2"],
        "q.type": ["racist", "", "sexist"],
        "q.target": [""],
        "q.rationale": ["  line one\r\nline two  "],
        "q.extra": ["ignored"],
    }
    answer = forms.answer_from_form(TAXONOMY, lambda name: form.get(name, []))
    assert answer == {"abuse": "-2", "type": ["racist", "sexist"], "rationale": "line one\nline two"}
    assert forms.answer_from_form(TAXONOMY, lambda name: []) == {}


def test_problems_go_next_to_their_questions() -> None:
    by_key, general = forms.problems_by_question(
        [
            Problem("required question has no answer", field="answer.abuse"),
            Problem("'x' is not a question", field="answer.x"),
            Problem("an answer is an object", field="answer"),
        ],
        ["abuse", "type"],
    )
    assert by_key == {"abuse": ["required question has no answer"]}
    assert len(general) == 2


def test_time_spent_prefers_the_browser_and_is_bounded() -> None:
    assert forms.time_spent("1200", "0", 10_000) == 1200
    assert forms.time_spent("", "4000", 10_000) == 6000
    assert forms.time_spent(None, "20000", 10_000) == 0  # a clock in the future is not negative time
    assert forms.time_spent("-5", "abc", 10_000) == 0
    assert forms.time_spent(str(10**12), None, 0) == forms.MAX_TIME_MS


def test_context_turns_and_media() -> None:
    turns = forms.context_turns([{"speaker": "agent", "text": "hi"}, "plain", {"role": "user", "content": "yo"}, None])
    assert turns == [
        {"speaker": "agent", "text": "hi"},
        {"speaker": "", "text": "plain"},
        {"speaker": "user", "text": "yo"},
    ]
    assert forms.context_turns(None) == [] and forms.context_turns("text") == [{"speaker": "", "text": "text"}]
    for bad in ("javascript:alert(1)", " JAVASCRIPT:x", "data:text/html,x", "//evil.example/x", "", None):
        assert not forms.safe_media_url(bad)
    assert forms.safe_media_url("https://cdn.example/a.png") and forms.safe_media_url("/media/1.png")
    assert forms.media_kind("video/mp4", "https://x/v.mp4") == "video"
    assert forms.media_kind("application/pdf", "https://x/a.pdf") == "other"
    assert forms.media_kind("image", None) is None


def test_locale_choice() -> None:
    assert pick_locale("bn", "zh-Hans", "en") == "bn"
    assert pick_locale("xx", "zh-Hans", "en") == "zh-Hans"
    assert pick_locale(None, None, "bn-BD,en;q=0.5") == "bn"
    assert pick_locale(None, None, None) == "en"
    assert from_accept_language("de, zh-TW;q=0.8, en;q=0.9") == "en"
    assert from_accept_language("en;q=0, zh-Hans-CN") == "zh-Hans"
    assert from_accept_language("fr;q=abc") is None
