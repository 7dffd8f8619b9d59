import pytest

from geo.gazetteer import PROVINCES, Gazetteer, district_aliases, name_key, resolve_province


@pytest.mark.parametrize(
    "spelling, expected",
    [
        ("Badghis", "AF-BDG"),
        ("badghis province", "AF-BDG"),
        ("Badghes", "AF-BDG"),
        ("AF-BDG", "AF-BDG"),
        ("Helmand", "AF-HEL"),
        ("Hilmand", "AF-HEL"),
        ("Herat", "AF-HER"),
        ("Hirat", "AF-HER"),
        ("Sari Pul", "AF-SAR"),
        ("Sar-e Pol", "AF-SAR"),
        ("Jawzjan", "AF-JOW"),
        ("Paktya", "AF-PIA"),
        ("Paktika", "AF-PKA"),
        ("Nimruz", "AF-NIM"),
        ("Daikundi", "AF-DAY"),
        ("Panjsher", "AF-PAN"),
        ("AF41", "AF-DAY"),  # Natural Earth's FIPS code, labelled Uruzgan there
        ("AF42", "AF-PAN"),  # labelled Parwan there
        ("Uruzgan", "AF-URU"),
        ("Parwan", "AF-PAR"),
    ],
)
def test_province_spellings_resolve(spelling, expected):
    assert resolve_province(spelling) == expected


@pytest.mark.parametrize("spelling", ["", "   ", None, "Atlantis", "Paris"])
def test_unknown_province_names_do_not_resolve(spelling):
    assert resolve_province(spelling) is None


def test_province_table_is_complete_and_unique():
    assert len(PROVINCES) == 34
    assert len({p.id for p in PROVINCES}) == 34
    assert len({p.fips for p in PROVINCES}) == 34
    keys = [name_key(p.name) for p in PROVINCES]
    assert len(set(keys)) == 34


@pytest.mark.parametrize("spelling", ["Qala-e-Naw", "Qala-i-Naw", "Qala-I-Naw", "Qalay-i-Naw", "QALA-E-NAW", "Qala e Naw"])
def test_qala_i_naw_spellings_share_one_key(spelling):
    assert name_key(spelling) == name_key("Qala-I-Naw")


def test_district_gazetteer_resolves_aliases_and_reports_ambiguity():
    gaz = Gazetteer()
    gaz.add("AF.BG.QN", "Qala-I-Naw", district_aliases("Qala-I-Naw"))
    gaz.add("AF.BG.MU", "Murghab", district_aliases("Murghab"))
    gaz.add("AF.BG.QA", "Qadis")
    assert gaz.resolve("Qala-e-Naw") == "AF.BG.QN"
    assert gaz.resolve("Bala Murghab") == "AF.BG.MU"
    assert gaz.resolve("Kabul") is None
    assert gaz.suggest("Qadiss") == ["Qadis"]
    gaz.add("X2", "Qadis")
    assert gaz.resolve("Qadis") is None  # ambiguous → not guessed
    assert gaz.candidates("Qadis") == ["AF.BG.QA", "X2"]
