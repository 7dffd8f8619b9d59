"""Names → stable area ids.

Afghan place names reach us in many transliterations (Helmand/Hilmand, Qala-e-Naw/Qala-I-Naw/
Qalay-i-Naw).  Every name goes through one normalisation key; spellings that the key cannot join
are listed as aliases.  Unresolved names are reported by callers, never dropped.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Province:
    id: str  # ISO 3166-2
    name: str  # the spelling the app shows
    fips: str  # FIPS 10-4, as used by Natural Earth
    capital: str
    aliases: tuple[str, ...] = ()


# ISO 3166-2:AF codes; FIPS codes as in Natural Earth admin-1 (AF41 Daykundi, AF42 Panjshir).
PROVINCES: tuple[Province, ...] = (
    Province("AF-BDS", "Badakhshan", "AF01", "Fayzabad", ("Badahšan",)),
    Province("AF-BDG", "Badghis", "AF02", "Qala-e-Naw", ("Badghes", "Badghisat", "Badgis")),
    Province("AF-BGL", "Baghlan", "AF03", "Pul-e-Khumri", ("Baglan", "Bughlan")),
    Province("AF-BAL", "Balkh", "AF30", "Mazar-e-Sharif", ("Balh",)),
    Province("AF-BAM", "Bamyan", "AF05", "Bamyan", ("Bamian", "Bamiyan")),
    Province("AF-DAY", "Daykundi", "AF41", "Nili", ("Daikundi", "Daykondi", "Daikondi")),
    Province("AF-FRA", "Farah", "AF06", "Farah", ()),
    Province("AF-FYB", "Faryab", "AF07", "Maymana", ("Fariab",)),
    Province("AF-GHA", "Ghazni", "AF08", "Ghazni", ("Gazni",)),
    Province("AF-GHO", "Ghor", "AF09", "Chaghcharan", ("Ghowr", "Ghour", "Ghur", "Gawr")),
    Province("AF-HEL", "Helmand", "AF10", "Lashkar Gah", ("Hilmand", "Hilmend")),
    Province("AF-HER", "Herat", "AF11", "Herat", ("Hirat", "Hérat")),
    Province("AF-JOW", "Jowzjan", "AF31", "Sheberghan", ("Jawzjan", "Jozjan", "Juzjan", "Jouzjan")),
    Province("AF-KAB", "Kabul", "AF13", "Kabul", ("Kabol", "Kaboul", "Cabul")),
    Province("AF-KAN", "Kandahar", "AF23", "Kandahar", ("Qandahar",)),
    Province("AF-KAP", "Kapisa", "AF14", "Mahmud-i-Raqi", ("Kapesa",)),
    Province("AF-KHO", "Khost", "AF37", "Khost", ("Khowst",)),
    Province("AF-KNR", "Kunar", "AF34", "Asadabad", ("Konar", "Konarha", "Kunarha")),
    Province("AF-KDZ", "Kunduz", "AF24", "Kunduz", ("Kondoz", "Qonduz", "Qunduz")),
    Province("AF-LAG", "Laghman", "AF35", "Mehtar Lam", ("Lagman",)),
    Province("AF-LOG", "Logar", "AF17", "Pul-e-Alam", ("Lowgar", "Loghar", "Lawghar")),
    Province("AF-NAN", "Nangarhar", "AF18", "Jalalabad", ("Ningrahar", "Nangrahar")),
    Province("AF-NIM", "Nimroz", "AF19", "Zaranj", ("Nimruz", "Nimrooz", "Nimroze")),
    Province("AF-NUR", "Nuristan", "AF38", "Parun", ("Nooristan",)),
    Province("AF-PIA", "Paktia", "AF36", "Gardez", ("Paktya", "Paktiya")),
    Province("AF-PKA", "Paktika", "AF29", "Sharana", ()),
    Province("AF-PAN", "Panjshir", "AF42", "Bazarak", ("Panjsher", "Panjsheer", "Panjshayr")),
    Province("AF-PAR", "Parwan", "AF40", "Charikar", ("Parvan",)),
    Province("AF-SAM", "Samangan", "AF32", "Aybak", ()),
    Province("AF-SAR", "Sar-e Pol", "AF33", "Sar-e Pol", ("Sari Pul", "Sar-e Pul", "Saripol", "Sar-i-Pul")),
    Province("AF-TAK", "Takhar", "AF26", "Taloqan", ("Takar",)),
    Province("AF-URU", "Uruzgan", "AF39", "Tarinkot", ("Urozgan", "Oruzgan")),
    Province("AF-WAR", "Wardak", "AF27", "Maidan Shahr", ("Maidan Wardak", "Vardak", "Wardag")),
    Province("AF-ZAB", "Zabul", "AF28", "Qalat", ("Zabol", "Zaboul")),
)
PROVINCE_BY_ID = {p.id: p for p in PROVINCES}

# District-level spellings the normalisation key cannot join by itself.
DISTRICT_ALIASES: dict[str, tuple[str, ...]] = {
    "Qala-I-Naw": ("Qala-e-Naw", "Qala-i-Naw", "Qalay-i-Naw", "Qala Naw", "Qalai Naw", "Qalaye Naw"),
    "Murghab": ("Bala Murghab", "Bala Morghab", "Morghab"),
    "Ab Kamari": ("Abkamari", "Ab-i-Kamari"),
}

_CONNECTORS = {"e", "i", "ye", "yi", "y", "a", "al", "ul", "el", "wa", "va", "o", "u"}
_DROP_WORDS = {"province", "wilayat", "velayat", "district", "woluswali", "city", "center", "centre"}


def name_key(name: str) -> str:
    """One comparison key per name: ascii, lower case, no connectors, no separators."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    tokens = re.split(r"[^a-z0-9]+", text.lower())
    kept = []
    for tok in tokens:
        if not tok or tok in _CONNECTORS or tok in _DROP_WORDS:
            continue
        # "Qalay" and "Qala", "Sari" and "Sar": a trailing y/i on a long token is a connector.
        if len(tok) > 3 and tok[-1] in "yi":
            tok = tok[:-1]
        kept.append(tok)
    return "".join(kept)


@dataclass
class Gazetteer:
    """Resolves names to ids for one set of areas (provinces, or one district layer)."""

    names: dict[str, str] = field(default_factory=dict)  # id → display name
    _index: dict[str, set[str]] = field(default_factory=dict)  # key → ids

    def add(self, area_id: str, name: str, aliases: tuple[str, ...] | list[str] = ()) -> None:
        self.names.setdefault(area_id, name)
        for spelling in (name, *aliases, area_id):
            self._index.setdefault(name_key(spelling), set()).add(area_id)

    def resolve(self, name: str | None) -> str | None:
        """The id for a name, or None when unknown or ambiguous."""
        if name is None or not str(name).strip():
            return None
        if str(name).strip() in self.names:
            return str(name).strip()
        ids = self._index.get(name_key(name), set())
        return next(iter(ids)) if len(ids) == 1 else None

    def candidates(self, name: str) -> list[str]:
        """Every id a name could mean (for error messages about ambiguous names)."""
        return sorted(self._index.get(name_key(name), set()))

    def suggest(self, name: str, n: int = 3) -> list[str]:
        """Close display names, to tell a curator what they may have meant."""
        keys = difflib.get_close_matches(name_key(name), list(self._index), n=n, cutoff=0.7)
        return sorted({self.names[i] for k in keys for i in self._index[k]})


def province_gazetteer() -> Gazetteer:
    gaz = Gazetteer()
    for p in PROVINCES:
        gaz.add(p.id, p.name, p.aliases + (p.fips,))
    return gaz


PROVINCE_GAZETTEER = province_gazetteer()


def resolve_province(name: str | None) -> str | None:
    return PROVINCE_GAZETTEER.resolve(name)


def district_aliases(name: str) -> tuple[str, ...]:
    """Known alternative spellings of a district, keyed on the normalised name."""
    key = name_key(name)
    for canonical, alts in DISTRICT_ALIASES.items():
        if key == name_key(canonical) or key in {name_key(a) for a in alts}:
            return (canonical, *alts)
    return ()
