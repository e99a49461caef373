"""Each evaluation rule on plain facts: pass, warn and fail, with reasons a person can act on."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
import yaml

from safetyops.intake import rules
from safetyops.intake.enums import Verdict
from safetyops.intake.rules import Commitment, LabelerFacts, RequestFacts, VendorFacts, World

START = date(2027, 1, 4)  # a Monday
END = date(2027, 1, 15)  # the Friday after next: 10 working days


@pytest.fixture
def cfg() -> rules.RulesConfig:
    return rules.RulesConfig.model_validate(yaml.safe_load(rules.default_rules_text()))


def labelers(n: int, vendor: str = "EU BPO", certs: frozenset[str] = frozenset(), lang: str = "en", market: str = "GB"):
    return tuple(LabelerFacts(vendor, frozenset({lang}), frozenset({market}), certs) for _ in range(n))


def world(n: int = 6, **kw: object) -> World:
    return World(
        vendors=(VendorFacts("EU BPO", frozenset({"EU"})), VendorFacts("US BPO", frozenset({"US"}))),
        labelers=labelers(n, **kw),  # type: ignore[arg-type]
    )


def request(**kw: object) -> RequestFacts:
    base = RequestFacts(
        policies=("hate_speech",),
        markets=("GB",),
        languages=("en",),
        volume=12_000,
        start=START,
        deadline=END,
        handling_time_s=36,
        overlap=1,
        gold_rate=0.0,
        qa_rate=0.0,
    )
    return replace(base, **kw)


# ------------------------------------------------------------ compliance


def test_sensitive_content(cfg: rules.RulesConfig) -> None:
    assert rules.rule_sensitive_content(request(), world(), cfg).verdict is Verdict.PASS
    flagged = request(sensitivity=frozenset({"minors"}))
    certified = world(6, certs=frozenset({"child_safety"}))
    ok = rules.rule_sensitive_content(flagged, certified, cfg)
    assert ok.verdict is Verdict.PASS and ok.detail["eligible_labelers"] == 6
    few = rules.rule_sensitive_content(flagged, world(2, certs=frozenset({"child_safety"})), cfg)
    assert few.verdict is Verdict.WARN and "only 2" in few.reason
    none = rules.rule_sensitive_content(flagged, world(6), cfg)
    assert none.verdict is Verdict.FAIL and "child_safety" in none.reason and "certify" in none.reason


def test_data_region(cfg: rules.RulesConfig) -> None:
    assert rules.rule_data_region(request(), world(), cfg).verdict is Verdict.PASS
    eu = rules.rule_data_region(request(data_region="EU"), world(), cfg)
    assert eu.verdict is Verdict.PASS and eu.detail["vendors"] == ["EU BPO"]
    apac = rules.rule_data_region(request(data_region="APAC"), world(), cfg)
    assert apac.verdict is Verdict.FAIL and "APAC" in apac.reason and "data_regions" in apac.reason


def test_data_region_restricts_the_eligible_labelers(cfg: rules.RulesConfig) -> None:
    certs = frozenset({"child_safety"})
    us_only = World(vendors=world().vendors, labelers=labelers(6, vendor="US BPO", certs=certs))
    r = request(sensitivity=frozenset({"minors"}), data_region="EU")
    assert rules.rule_sensitive_content(r, us_only, cfg).verdict is Verdict.FAIL


def test_personal_data(cfg: rules.RulesConfig) -> None:
    pd = frozenset({"personal_data"})
    assert rules.rule_personal_data(request(), world(), cfg).verdict is Verdict.PASS
    assert rules.rule_personal_data(request(sensitivity=pd, redaction=True), world(), cfg).verdict is Verdict.PASS
    refused = rules.rule_personal_data(request(sensitivity=pd), world(), cfg)
    assert refused.verdict is Verdict.FAIL and "redact" in refused.reason
    approved = cfg.model_copy(update={"personal_data": rules.PersonalDataConfig(approved_vendors=["EU BPO"])})
    ok = rules.rule_personal_data(request(sensitivity=pd), world(), approved)
    assert ok.verdict is Verdict.PASS and ok.detail["vendors"] == ["EU BPO"]
    wrong_region = rules.rule_personal_data(request(sensitivity=pd, data_region="US"), world(), approved)
    assert wrong_region.verdict is Verdict.FAIL and "region 'US'" in wrong_region.reason


# ------------------------------------------------------------ scope


def test_policies(cfg: rules.RulesConfig) -> None:
    assert rules.rule_policies(request(), world(), cfg).verdict is Verdict.PASS
    bad = rules.rule_policies(request(policies=("hate_speech", "vibes")), world(), cfg)
    assert bad.verdict is Verdict.FAIL and bad.detail["unknown"] == ["vibes"] and "hate_speech" in bad.reason


def test_languages(cfg: rules.RulesConfig) -> None:
    assert rules.rule_languages(request(), world(), cfg).verdict is Verdict.PASS
    thin = rules.rule_languages(request(), world(2), cfg)
    assert thin.verdict is Verdict.WARN and "fewer than 3" in thin.reason
    missing = rules.rule_languages(request(languages=("en", "bn")), world(), cfg)
    assert missing.verdict is Verdict.FAIL and "bn" in missing.reason and missing.detail["labelers"]["en"] == 6


def test_markets(cfg: rules.RulesConfig) -> None:
    assert rules.rule_markets(request(), world(), cfg).verdict is Verdict.PASS
    assert rules.rule_markets(request(), world(1), cfg).verdict is Verdict.WARN
    missing = rules.rule_markets(request(markets=("BD",)), world(), cfg)
    assert missing.verdict is Verdict.FAIL and "BD" in missing.reason


# ------------------------------------------------------------ capacity


def test_fte_needed_by_hand(cfg: rules.RulesConfig) -> None:
    # 12,000 items × 36 s = 120 h; 10 working days × 8 h × (1 − 0.30) × 0.85 = 47.6 h per FTE → 2.5210 FTE
    assert rules.working_days(START, END) == 10
    assert rules.fte_needed(request(), cfg) == pytest.approx(120 / 47.6)
    # gold and QA: 12,000 × 36 × 1.1 + 0.1 × 12,000 × 60 s = 147.33 h
    assert rules.workload_of(request(gold_rate=0.1, qa_rate=0.1), cfg) == pytest.approx((475_200 + 72_000) / 3600)


def test_capacity(cfg: rules.RulesConfig) -> None:
    ok = rules.rule_capacity(request(), world(6), cfg)  # 2.52 ≤ 0.8 × 6
    assert ok.verdict is Verdict.PASS and ok.detail["free_fte"] == 6
    tight = rules.rule_capacity(request(), world(3), cfg)  # 2.4 < 2.52 ≤ 3
    assert tight.verdict is Verdict.WARN and "80%" in tight.reason
    short = rules.rule_capacity(request(), world(2), cfg)
    assert short.verdict is Verdict.FAIL and "2.5 FTE" in short.reason and "only 2.0" in short.reason


def test_capacity_counts_commitments_in_the_window(cfg: rules.RulesConfig) -> None:
    busy = replace(world(6), commitments=(Commitment(START, END, 4.0, frozenset({"en"})),))
    r = rules.rule_capacity(request(), busy, cfg)
    assert r.verdict is Verdict.FAIL and r.detail["committed_fte"] == 4.0
    other_time = replace(world(6), commitments=(Commitment(date(2027, 3, 1), date(2027, 3, 31), 4.0),))
    assert rules.rule_capacity(request(), other_time, cfg).verdict is Verdict.PASS
    other_language = replace(world(6), commitments=(Commitment(START, END, 4.0, frozenset({"bn"})),))
    assert rules.rule_capacity(request(), other_language, cfg).verdict is Verdict.PASS


# ------------------------------------------------------------ deadline


def test_deadline_pass_with_current_staff(cfg: rules.RulesConfig) -> None:
    # 3 FTE × 4.76 h/day = 14.28 h/day → 120 h in 8.4 → 9 working days: Monday 4 → Thursday 14 January
    r = rules.rule_deadline(request(), world(3), cfg)
    assert r.verdict is Verdict.PASS and r.detail["finish"] == "2027-01-14"


def test_deadline_warn_needs_hiring(cfg: rules.RulesConfig) -> None:
    late = date(2027, 3, 26)
    r = rules.rule_deadline(request(volume=60_000, deadline=late), world(1), cfg)
    assert r.verdict is Verdict.WARN
    assert r.detail["hires_needed"] >= 1 and r.detail["start_hiring_by"] == "2027-01-04"
    assert r.detail["hires_productive_from"] == "2027-02-04"  # 21 + 10 days after the start
    assert "start hiring by 2027-01-04" in r.reason


def test_deadline_fail_gives_the_earliest_date(cfg: rules.RulesConfig) -> None:
    r = rules.rule_deadline(request(volume=600_000), world(1), cfg)
    assert r.verdict is Verdict.FAIL and r.detail["earliest"] is not None
    earliest = date.fromisoformat(r.detail["earliest"])
    assert earliest > END and str(earliest) in r.reason
    again = rules.rule_deadline(request(volume=600_000, deadline=earliest), world(1), cfg)
    assert again.verdict in (Verdict.PASS, Verdict.WARN)
    nobody = rules.rule_deadline(
        request(), World(), cfg.model_copy(update={"deadline": rules.DeadlineConfig(max_hires=0)})
    )
    assert nobody.verdict is Verdict.FAIL and nobody.detail["earliest"] is None


def test_evaluate_runs_every_rule_and_overall_is_the_worst(cfg: rules.RulesConfig) -> None:
    results = rules.evaluate(request(), world(6), cfg)
    assert [r.rule for r in results] == [
        "compliance.sensitive_content",
        "compliance.data_region",
        "compliance.personal_data",
        "scope.policies",
        "scope.languages",
        "scope.markets",
        "capacity.fte",
        "deadline.feasible",
    ]
    assert rules.overall(results) is Verdict.PASS
    assert rules.overall(rules.evaluate(request(policies=("nope",)), world(6), cfg)) is Verdict.FAIL
