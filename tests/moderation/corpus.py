"""The civic and abusive test sentences, and the figures docs/MODERATION.md reports.

`python -m tests.moderation.corpus` prints them (with every miss and every flag) from the
lists `make setup` installed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from moderation.filters import TextFilters, Verdict
from moderation.language import detect

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True, slots=True)
class Sentence:
    lang: str
    text: str


def sentences(name: str) -> list[Sentence]:
    out = []
    for line in (DATA / name).read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            lang, text = line.split("\t", 1)
            out.append(Sentence(lang, text))
    return out


CIVIC = sentences("civic.tsv")
ABUSIVE = sentences("abusive.tsv")


@dataclass(frozen=True, slots=True)
class Figures:
    held: int  # sentences a post-moderated room would hold
    flagged: int  # sentences with any flag (mild included)
    total: int
    detected: int  # language detected right
    undetected: int  # no language detected

    def rate(self, n: int) -> float:
        return n / self.total


def verdicts(filters: TextFilters, items: list[Sentence], declared: bool) -> list[Verdict]:
    return [filters.check(s.text, s.lang if declared else detect(s.text)) for s in items]


def figures(filters: TextFilters, items: list[Sentence], declared: bool) -> Figures:
    found = verdicts(filters, items, declared)
    guesses = [detect(s.text) for s in items]
    return Figures(
        held=sum(v.holds for v in found),
        flagged=sum(bool(v.flags) for v in found),
        total=len(items),
        detected=sum(g == s.lang for g, s in zip(guesses, items, strict=True)),
        undetected=sum(g is None for g in guesses),
    )


def main() -> None:
    from server.filters import load_filters

    filters = load_filters()
    for name, items in (("civic", CIVIC), ("abusive", ABUSIVE)):
        for declared in (False, True):
            f = figures(filters, items, declared)
            how = "declared" if declared else "detected"
            print(
                f"{name} ({how} language): held {f.held}/{f.total} ({f.rate(f.held):.1%}), "
                f"any flag {f.flagged}/{f.total}"
            )
        f = figures(filters, items, False)
        print(f"  language detection: right {f.detected}/{f.total}, none {f.undetected}")
        for s, v in zip(items, verdicts(filters, items, False), strict=True):
            wrong = v.holds if name == "civic" else not v.holds
            if wrong or (name == "civic" and v.flags):
                print(
                    f"  {'MISS' if wrong else 'flag'} [{s.lang}->{detect(s.text)}] {v.flags} "
                    f"{v.terms} {s.text}"
                )
    for s in CIVIC + ABUSIVE:
        if detect(s.text) != s.lang:
            print(f"  lang {s.lang}->{detect(s.text)}: {s.text}")


if __name__ == "__main__":
    main()
