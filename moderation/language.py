"""Which language a short text is in: declared tags checked, undeclared ones guessed.

The guess is cheap and deterministic (no model, no download): the writing system first
(Arabic, Han, kana, Hangul, Cyrillic, Greek, Vietnamese tone letters), then, for Latin
text, a vote of common function words ("the", "de", "und", "não") and of letters only some
languages use (ñ, ç, ß, ã). A word shared by several languages splits its vote between
them. A text with no clear winner gets None, and the filters then apply every list: a
short "mierda!" has no function words but must still be read as Spanish.

docs/MODERATION.md gives its accuracy on the test sentences.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from moderation.fold import fold, tokens

__all__ = ["LATIN_LANGUAGES", "candidates", "detect", "parse_tag", "plausible"]

# A tag as `parse_tag` takes it (after stripping): its first group is the primary subtag.
TAG_PATTERN = r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*"
_TAG = re.compile(f"^{TAG_PATTERN}$")


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_STOPWORDS: Mapping[str, frozenset[str]] = {
    "en": _set(
        "the and of to is are was were be been in on at for with from by this that these "
        "those it its we you they he she our your their what when where why how who which "
        "will would can could should there here not no do does did have has had an a or "
        "about please more any"
    ),
    "es": _set(
        "el la los las de del y en que es son está están por para con un una unos unas "
        "qué cuándo dónde por qué cómo quién se su sus nuestro nuestra al lo le les más "
        "pero hay muy también este esta estos estas ese esa sí ya eres soy somos tu te me mi "
        "yo él ella aquí otra vez nos"
    ),
    "fr": _set(
        "le la les de des du et en est sont pour avec un une dans sur que qui quand où "
        "pourquoi comment ce cette ces nous vous ils elles il elle au aux pas ne plus mais "
        "ou notre nos votre vos leur leurs être a ont es suis sommes tu te me mon ton ma ta "
        "on je ici qu l d j c y"
    ),
    "de": _set(
        "der die das und ist sind ein eine einen dem den des zu mit von für auf im in "
        "nicht wir ihr sie es wann wo warum wie wer was auch noch aber oder unser unsere "
        "bei nach aus werden wird kann können bitte du bist"
    ),
    "pt": _set(
        "o a os as de do da dos das e em no na nos nas que é são um uma para por com "
        "não quando onde porque como quem seu sua nossa nosso mais mas ao aos pelo pela "
        "também isso este esta você vocês vai tem há se tu te me eu ele ela isto aqui "
        "outra vez vou"
    ),
    "it": _set(
        "il lo la gli le di del della dei e è sono un una per con non che quando dove "
        "perché come chi nel nella al alla ma anche questo questa nostro vostro se ti mi l"
    ),
    "nl": _set(
        "de het een en van in op is zijn niet wij jullie wanneer waar waarom hoe wie "
        "voor met ook maar onze ons dat deze"
    ),
}
LATIN_LANGUAGES = frozenset(_STOPWORDS)

# Letters that only some of the languages above write: each is one vote per occurrence.
_LETTERS: Mapping[str, tuple[str, ...]] = {
    "ñ": ("es",), "¿": ("es",), "¡": ("es",),
    "ã": ("pt",), "õ": ("pt",), "ç": ("pt", "fr"),
    "ß": ("de",), "ä": ("de",), "ö": ("de",), "ü": ("de",),
    "œ": ("fr",), "è": ("fr", "it"), "ê": ("fr", "pt"), "à": ("fr", "pt", "it"),
    "ù": ("fr", "it"), "î": ("fr",), "ô": ("fr", "pt"), "û": ("fr",), "ë": ("fr", "nl"),
    "ì": ("it",), "ò": ("it",),
}  # fmt: skip

# Writing systems that name their language outright (for a text mostly in them).
_SCRIPTS: tuple[tuple[str, str], ...] = (
    ("ARABIC", "ar"),
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("HANGUL", "ko"),
    ("CJK", "zh"),
    ("CYRILLIC", "ru"),
    ("GREEK", "el"),
    ("HEBREW", "he"),
    ("DEVANAGARI", "hi"),
    ("THAI", "th"),
)
# Letters with the tone marks only Vietnamese puts on a Latin vowel (or its own letters).
_VIETNAMESE = frozenset("ăơưđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ")


def parse_tag(value: object) -> str | None:
    """The primary subtag of a BCP 47 language tag ("pt-BR" -> "pt"), or None if malformed."""
    if not isinstance(value, str):
        return None
    m = _TAG.match(value.strip())
    return m.group(1).lower() if m else None


def _script_language(text: str) -> str | None:
    counts: dict[str, int] = {}
    letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        name = unicodedata.name(ch, "")
        for prefix, lang in _SCRIPTS:
            if name.startswith(prefix):
                counts[lang] = counts.get(lang, 0) + 1
                break
    if not counts:
        return None
    # Japanese mixes kana with Han: any kana at all makes it Japanese, not Chinese.
    if "ja" in counts and "zh" in counts:
        counts["ja"] += counts.pop("zh")
    lang, n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    # Half the letters at least: a few look-alike Cyrillic letters hiding in an English
    # word do not make the text Russian.
    return lang if 2 * n >= letters else None


def _words(text: str) -> list[str]:
    """The text's words, less spelled-out runs ("m i e r d a"): letters, not words."""
    words = tokens(fold(text))
    out: list[str] = []
    i = 0
    while i < len(words):
        j = i
        while j < len(words) and len(words[j]) == 1:
            j += 1
        if j - i >= 3:
            i = j
            continue
        out.extend(words[i : max(j, i + 1)])
        i = max(j, i + 1)
    return out


def _latin_scores(text: str) -> dict[str, float]:
    scores = dict.fromkeys(_STOPWORDS, 0.0)
    for word in _words(text):
        owners = [lang for lang, words in _STOPWORDS.items() if word in words]
        for lang in owners:
            scores[lang] += 1 / len(owners)
    for ch in unicodedata.normalize("NFC", text).casefold():
        for lang in _LETTERS.get(ch, ()):
            scores[lang] += 0.5
    return scores


def candidates(text: str) -> tuple[str, ...]:
    """The languages `text` is most likely in: one when the evidence is clear, the tied few
    when it is not, none when there is no evidence at all."""
    by_script = _script_language(text)
    if by_script is not None:
        return (by_script,)
    if sum(ch in _VIETNAMESE for ch in unicodedata.normalize("NFC", text).casefold()) >= 2:
        return ("vi",)
    scores = _latin_scores(text)
    top = max(scores.values())
    if top <= 0:
        return ()
    return tuple(sorted(lang for lang, score in scores.items() if score == top))


def detect(text: str) -> str | None:
    """A language code for `text`, or None when the evidence is too thin to say."""
    found = candidates(text)
    if len(found) != 1:
        return None
    # A single shared word ("de", "la") is not enough to name a Latin-script language.
    if found[0] in LATIN_LANGUAGES and _latin_scores(text)[found[0]] < 1:
        return None
    return found[0]


def plausible(text: str) -> tuple[str, ...]:
    """Every language scoring at least half the best: the lists worth applying beside the
    detected language, for a text whose function words are shared ("de", "la", "tu")."""
    if _script_language(text) is not None or not any(ch.isalpha() for ch in text):
        return candidates(text)
    scores = _latin_scores(text)
    top = max(scores.values())
    if top <= 0:
        return ()
    return tuple(sorted(lang for lang, score in scores.items() if 2 * score >= top))
