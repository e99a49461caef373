"""Named patterns over anomalies: what an ops manager would call the story behind a set of alarms.

- rushing: one labeler's handling time falls and an accuracy metric falls with it (same day, or the next: gold
  items are sparse);
- guideline change: an accuracy fall on a slice of one policy whose start (`since`, else the day) lies within
  `guideline_days` after a change of that policy's guideline;
- new-hire dip: alarms on labelers whose tenure is under `new_hire_days`, grouped per day as a cohort;
- outage: throughput collapses on at least `outage_share` of the watched throughput slices on one day, or on any
  slice during a reported platform issue;
- mix shift: a ratio metric's alarm that root-cause analysis explains mostly by composition, not rate (the rate
  and mix effects come from `rca.explain`, passed in `Context.mix`).

Every match names its anomalies and says in one sentence, with the numbers, why it matched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from safetyops.monitoring.anomaly import Anomaly, Kind, Slice, slice_text
from safetyops.monitoring.checks import require


@dataclass(frozen=True)
class GuidelineChange:
    day: date
    policy: str
    version: str


@dataclass(frozen=True)
class PlatformIssue:
    """A tool problem over the days start..end (inclusive, local days)."""

    start: date
    end: date
    title: str = "platform issue"


@dataclass(frozen=True)
class Vocabulary:
    """Which metric and dimension names play which part."""

    handling_time: str = "handling_time"
    accuracy: tuple[str, ...] = ("gold_accuracy", "qa_pass_rate")
    throughput: str = "labels_done"
    labeler: str = "labeler"
    policy: str = "policy"


@dataclass(frozen=True)
class Context:
    tenure_days: Mapping[str, int] = field(default_factory=dict)  # labeler -> days since they started
    guideline_changes: Sequence[GuidelineChange] = ()
    platform_issues: Sequence[PlatformIssue] = ()
    throughput_slices: int = 0  # how many slices' throughput is watched
    mix: Mapping[tuple[str, Slice, date], tuple[float, float]] = field(default_factory=dict)  # -> (rate, mix)
    new_hire_days: int = 30
    outage_share: float = 0.3
    guideline_days: int = 2
    vocabulary: Vocabulary = field(default_factory=Vocabulary)

    def __post_init__(self) -> None:
        require(self.new_hire_days >= 1, "new_hire_days", "must be >= 1")
        require(0 < self.outage_share <= 1, "outage_share", "must be in (0, 1]")
        require(self.guideline_days >= 0, "guideline_days", "must be >= 0")


@dataclass(frozen=True)
class Pattern:
    name: str
    day: date
    slices: tuple[Slice, ...]
    anomalies: tuple[Anomaly, ...]
    explanation: str

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "day": self.day.isoformat(),
            "slices": [slice_text(s) for s in self.slices],
            "anomalies": [a.as_dict() for a in self.anomalies],
            "explanation": self.explanation,
        }


def _value(a: Anomaly) -> str:
    ev = a.evidence
    if a.kind is Kind.PROPORTION:
        return f"{a.metric} {ev.observed:.1%} against {ev.expected:.1%} expected"
    if a.kind is Kind.DURATION:
        return f"{a.metric} {ev.observed:.1f} s against {ev.expected:.1f} s expected"
    return f"{a.metric} {ev.observed:.0f} against {ev.expected:.0f} expected"


def _dim(s: Slice, name: str) -> str | None:
    return next((v for k, v in s if k == name), None)


def match_patterns(anomalies: Sequence[Anomaly], context: Context | None = None) -> list[Pattern]:
    """Every named pattern the anomalies (of one or several days) show, in the order of the module docstring."""
    ctx = context or Context()
    return [
        *_rushing(anomalies, ctx),
        *_guideline(anomalies, ctx),
        *_new_hires(anomalies, ctx),
        *_outage(anomalies, ctx),
        *_mix(anomalies, ctx),
    ]


def _rushing(anomalies: Sequence[Anomaly], ctx: Context) -> list[Pattern]:
    voc = ctx.vocabulary
    fast = [
        a
        for a in anomalies
        if a.metric == voc.handling_time and a.direction == "low" and _dim(a.slice, voc.labeler) is not None
    ]
    wrong = [a for a in anomalies if a.metric in voc.accuracy and a.direction == "low"]
    out = []
    for a in fast:
        with_it = [b for b in wrong if b.slice == a.slice and 0 <= (b.day - a.day).days <= 1]
        if with_it:
            out.append(
                Pattern(
                    "rushing",
                    a.day,
                    (a.slice,),
                    (a, *with_it),
                    f"{slice_text(a.slice)}: {_value(a)} while {_value(with_it[0])}",
                )
            )
    return out


def _guideline(anomalies: Sequence[Anomaly], ctx: Context) -> list[Pattern]:
    voc = ctx.vocabulary
    out = []
    for a in anomalies:
        policy = _dim(a.slice, voc.policy)
        if a.metric not in voc.accuracy or a.direction != "low" or policy is None:
            continue
        start = a.evidence.since or a.day
        for change in ctx.guideline_changes:
            if change.policy == policy and 0 <= (start - change.day).days <= ctx.guideline_days:
                out.append(
                    Pattern(
                        "guideline change",
                        a.day,
                        (a.slice,),
                        (a,),
                        f"{slice_text(a.slice)}: {_value(a)}, falling since {start.isoformat()}, "
                        f"{(start - change.day).days} day(s) after guideline {change.version} of {policy}",
                    )
                )
                break
    return out


def _new_hires(anomalies: Sequence[Anomaly], ctx: Context) -> list[Pattern]:
    voc = ctx.vocabulary
    by_day: dict[date, list[Anomaly]] = defaultdict(list)
    for a in anomalies:
        who = _dim(a.slice, voc.labeler)
        if who is not None and ctx.tenure_days.get(who, ctx.new_hire_days) < ctx.new_hire_days:
            by_day[a.day].append(a)
    out = []
    for day, found in sorted(by_day.items()):
        slices = tuple(dict.fromkeys(a.slice for a in found))
        names = [_dim(s, voc.labeler) or "" for s in slices]
        tenure = ", ".join(f"{n} ({ctx.tenure_days[n]} days)" for n in names)
        out.append(
            Pattern(
                "new-hire dip",
                day,
                slices,
                tuple(found),
                f"{len(slices)} labeler(s) under {ctx.new_hire_days} days of tenure alarm: {tenure}",
            )
        )
    return out


def _outage(anomalies: Sequence[Anomaly], ctx: Context) -> list[Pattern]:
    voc = ctx.vocabulary
    down: dict[date, list[Anomaly]] = defaultdict(list)
    for a in anomalies:
        if a.metric == voc.throughput and a.direction == "low":
            down[a.day].append(a)
    out = []
    for day, found in sorted(down.items()):
        issue = next((i for i in ctx.platform_issues if i.start <= day <= i.end), None)
        share = len(found) / ctx.throughput_slices if ctx.throughput_slices else 0.0
        if issue is None and share < ctx.outage_share:
            continue
        why = (
            f"during {issue.title} ({issue.start.isoformat()}–{issue.end.isoformat()})"
            if issue
            else f"on {len(found)} of {ctx.throughput_slices} watched slices at once ({share:.0%})"
        )
        out.append(Pattern("outage", day, tuple(a.slice for a in found), tuple(found), f"throughput collapsed {why}"))
    return out


def _mix(anomalies: Sequence[Anomaly], ctx: Context) -> list[Pattern]:
    out = []
    for a in anomalies:
        effects = ctx.mix.get((a.metric, a.slice, a.day))
        if effects is None:
            continue
        rate, mix = effects
        total = rate + mix
        if total != 0 and abs(mix) >= abs(rate) and abs(mix / total) >= 0.5:
            out.append(
                Pattern(
                    "mix shift",
                    a.day,
                    (a.slice,),
                    (a,),
                    f"{slice_text(a.slice)}: {_value(a)}; the composition explains {mix / total:.0%} of the change "
                    f"(mix {mix:+.4f}, rate {rate:+.4f}): harder items, not worse work",
                )
            )
    return out
