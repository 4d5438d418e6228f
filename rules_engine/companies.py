"""Company names, normalised for matching: "I.B.M. Corp" = "IBM", "Nestlé S.A." = "Nestle".

A name becomes its *core* tokens (accents, case and punctuation folded; dotted initials joined;
legal forms in many languages removed from its ends), its *qualifiers* (a trailing country or
region, "group", "holding": "IBM India" is IBM with the qualifier india) and, for names of three
words or more, its *acronym* ("International Business Machines" -> ibm).

``similarity`` compares two names from 0 to 100: equal cores 100; one name the other's acronym 90;
otherwise, for names of as many words, the weakest word-to-word ratio (so "Deutsche Bank" and
"Deutsche Bahn" stay apart although the strings differ by two letters), else the ratio of the
names without spaces ("Coca Cola" = "CocaCola"). Conflicting qualifiers ("Air France" / "Air
Canada") never match; one qualifier missing costs 2 points, so "IBM India" prefers an account
"IBM India" to "IBM".
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Indel

from .geo import country_name_keys
from .text import strip_accents

# Legal forms, as tokens after folding ("S.A." -> sa, "Sp. z o.o." -> sp z o o).
_ONE_WORD_FORMS = """
inc incorporated corp corporation co company cos ltd limited llc llp lp plc pllc pc lc
gmbh mbh ag kg kgaa ohg ug se ev gesmbh aktiengesellschaft gesellschaft
sa sas sasu sarl eurl sca snc scs spa srl sapa scarl scpa sl slu sau ltda lda eireli
bv nv vof cv bvba sprl cvba ab as asa oy oyj aps hf kft zrt nyrt bt sro spol
ooo oao zao pao kk gk tbk bhd pte pvt pty
"""
_SEVERAL_WORD_FORMS = (
    "co ltd|pty ltd|pte ltd|pvt ltd|private limited|sdn bhd|gmbh co kg|gmbh co|ag co kg|co kg|s de rl de cv|"
    "sa de cv|s de rl|sp z o o|sp k|spol s r o|sociedad anonima|sociedad limitada|societe anonyme|"
    "kabushiki kaisha|godo kaisha|yugen kaisha|limited liability company|public limited company|ltd sti|as ltd")
LEGAL_FORMS = frozenset([(w,) for w in _ONE_WORD_FORMS.split()]
                        + [tuple(f.split()) for f in _SEVERAL_WORD_FORMS.split("|")])
_LEADING_FORMS = frozenset({("the",), ("ab",), ("pt",), ("ooo",), ("oao",), ("zao",), ("pao",),
                            ("kabushiki", "kaisha")})
_MAX_FORM = max(len(f) for f in LEGAL_FORMS | _LEADING_FORMS)
_REGIONS = frozenset({
    "group", "groupe", "gruppe", "grupo", "gruppo", "holding", "holdings", "international", "intl", "global",
    "worldwide", "europe", "emea", "apac", "asia", "asia pacific", "latam", "americas", "north america",
    "uk", "usa",
})
_JOINERS = frozenset({"and", "und", "et"})
_STOPWORDS = frozenset({"of", "the", "de", "des", "du", "di", "da", "la", "le", "for", "von", "van"})

_AMP_INSIDE = re.compile(r"(?<=\w)[&+](?=\w)")                     # AT&T -> att, H&M -> hm
_INITIALS = re.compile(r"\b[a-z](?:[./][a-z])+\b\.?")             # i.b.m. -> ibm, a/s -> as
_WEB_SUFFIX = re.compile(r"\.(?:com|net|org|io|co)\b")             # Salesforce.com -> salesforce
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


@dataclass(frozen=True, slots=True)
class CompanyName:
    core: str                       # "international business machines"
    tokens: tuple[str, ...]
    qualifiers: frozenset[str]      # {"india"}
    acronym: str | None             # "ibm"

    @property
    def compact(self) -> str:
        return self.core.replace(" ", "")


@lru_cache(maxsize=1)
def _region_names() -> frozenset[str]:
    """Regions and every country name of four letters or more, as folded tokens joined by spaces."""
    countries = (" ".join(t for t in _NON_WORD.split(name) if t) for name in country_name_keys())
    return _REGIONS | frozenset(name for name in countries if len(name) > 3)


def _is_region(words: tuple[str, ...]) -> bool:
    return " ".join(words) in _region_names()


def _strip_end(tokens: list[str], qualifiers: set[str]) -> bool:
    for n in range(min(_MAX_FORM, len(tokens) - 1), 0, -1):
        tail = tuple(tokens[-n:])
        if tail in LEGAL_FORMS or (n <= 2 and _is_region(tail)):
            if tail not in LEGAL_FORMS:
                qualifiers.add(" ".join(tail))
            del tokens[-n:]
            return True
    return False


def _strip_start(tokens: list[str]) -> bool:
    for n in range(min(_MAX_FORM, len(tokens) - 1), 0, -1):
        if tuple(tokens[:n]) in _LEADING_FORMS:
            del tokens[:n]
            return True
    return False


@lru_cache(maxsize=65536)
def normalize_company(name: str) -> CompanyName | None:
    text = str(name).casefold()
    if not text.isascii():
        text = strip_accents(text.translate(_LETTERS))
    if "&" in text or "+" in text:
        text = _AMP_INSIDE.sub("", text)
    if "." in text or "/" in text:
        text = _INITIALS.sub(lambda m: m.group(0).replace(".", "").replace("/", ""), text)
        text = _WEB_SUFFIX.sub("", text)
    tokens = [t for t in _NON_WORD.split(text) if t and t not in _JOINERS]
    if not tokens:
        return None
    qualifiers: set[str] = set()
    while _strip_end(tokens, qualifiers) or _strip_start(tokens):
        pass
    words = [t for t in tokens if t not in _STOPWORDS]
    acronym = "".join(w[0] for w in words) if len(words) >= 3 else None
    return CompanyName(" ".join(tokens), tuple(tokens), frozenset(qualifiers), acronym)


def similarity(a: CompanyName, b: CompanyName, cutoff: float = 0) -> float:
    """0..100, see the module docstring."""
    if a.qualifiers and b.qualifiers and not (a.qualifiers & b.qualifiers):
        return 0.0
    penalty = 0.0 if a.qualifiers == b.qualifiers else 2.0
    if a.core == b.core:
        return 100.0 - penalty
    if (a.acronym and a.acronym == b.core) or (b.acronym and b.acronym == a.core):
        return 90.0 - penalty
    if len(a.tokens) == len(b.tokens) and len(a.tokens) > 1:
        score = min(Indel.normalized_similarity(x, y) for x, y in zip(a.tokens, b.tokens)) * 100
    else:
        score = Indel.normalized_similarity(a.compact, b.compact) * 100
    score -= penalty
    return score if score >= cutoff else 0.0
