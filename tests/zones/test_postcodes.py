import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from zones.postcodes import (
    district_sort_key,
    normalise_district,
    normalise_postcode,
    postcode_district,
)

# Real postcodes of every outward-code shape: A9, A99, AA9, AA99, A9A, AA9A.
REAL = ["EX2 4QD", "M1 1AE", "B33 8TH", "CR2 6XH", "DN55 1PT", "W1A 0AX", "EC1A 1BB", "PL21 0AA"]

outward = st.sampled_from([p.split()[0] for p in REAL])
inward = st.builds(
    lambda digit, letters: f"{digit}{letters}",
    st.integers(0, 9),
    st.text(alphabet="ABDEFGHJLNPQRSTUWXYZ", min_size=2, max_size=2),
)
postcodes = st.builds(lambda o, i: f"{o} {i}", outward, inward)


def _messy(text, data):
    """The same postcode as a person might type it: any case, spaces around it and any
    number between its two codes (none too)."""
    outward, inward = text.split(" ")
    cased = "".join(char.lower() if data.draw(st.booleans()) else char for char in outward + inward)
    between = data.draw(st.sampled_from(["", " ", "  ", "\t"]))
    around = data.draw(st.sampled_from(["", " ", "  "]))
    return around + cased[: len(outward)] + between + cased[len(outward) :] + around


@pytest.mark.parametrize("postcode", REAL)
def test_real_postcodes_are_accepted_as_they_are(postcode):
    assert normalise_postcode(postcode) == postcode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ex2 4qd", "EX2 4QD"),
        ("EX24QD", "EX2 4QD"),
        ("  pl21  0aa ", "PL21 0AA"),
        ("w1a0ax", "W1A 0AX"),
    ],
)
def test_case_and_spacing_are_normalised(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "   ", "EX2", "EX2 4Q", "EX2 4QDD", "Q1 1AA", "EX2 4CI", "12345", "EX-2 4QD", None]
)
def test_malformed_postcodes_are_refused(raw):
    with pytest.raises(ValidationError) as error:
        normalise_postcode(raw)
    assert "postcode" in error.value.messages[0]


@pytest.mark.parametrize("raw", ["EX1 11AA", "ex1 11aa", "EX1  11AA", "EX 11 1AA", "E X1 1AA"])
def test_a_space_marks_where_the_inward_code_starts(raw):
    """`EX1 11AA` is not `EX11 1AA` with a space in the wrong place: it is refused."""
    with pytest.raises(ValidationError) as error:
        normalise_postcode(raw)
    assert "postcode" in error.value.messages[0]


def test_the_same_characters_without_a_space_are_read_by_the_rules():
    assert normalise_postcode("EX111AA") == "EX11 1AA"
    assert normalise_postcode("EX11 1AA") == "EX11 1AA"


@pytest.mark.parametrize("raw", ["GIR 0AA", "gir0aa", " GIR  0AA "])
def test_gir_0aa_is_a_postcode(raw):
    assert normalise_postcode(raw) == "GIR 0AA"


@pytest.mark.parametrize("raw", ["GIR 1AA", "GIR 0AB", "GIR0AB", "EX2 GIR"])
def test_gir_0aa_is_the_only_gir_postcode(raw):
    with pytest.raises(ValidationError):
        normalise_postcode(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "EX2 4Q\u017f",  # a long s: upper() makes it S, and EX2 4QS is a postcode
        "E\u017f2 4QD",
        "EX2 4Q\u00df",  # upper() makes it SS
        "\u00c9X2 4QD",
        "EX2 4\uff31D",  # fullwidth Q
        "EX\u0662 4QD",  # an Arabic-Indic digit two
    ],
)
def test_letters_and_digits_outside_a_to_z_and_0_to_9_are_refused(raw):
    with pytest.raises(ValidationError):
        normalise_postcode(raw)


@pytest.mark.parametrize("raw", ["E\u017f2", "\u00c9X2", "EX\u0662"])
def test_a_district_with_letters_outside_a_to_z_is_refused(raw):
    with pytest.raises(ValidationError):
        normalise_district(raw)


@given(postcodes)
def test_normalising_is_idempotent(postcode):
    once = normalise_postcode(postcode)
    assert normalise_postcode(once) == once


@given(postcodes, st.data())
def test_any_case_and_spacing_round_trips_to_the_same_postcode(postcode, data):
    assert normalise_postcode(_messy(postcode, data)) == normalise_postcode(postcode)


@given(postcodes, st.data())
def test_the_district_is_the_outward_code(postcode, data):
    district = postcode_district(_messy(postcode, data))
    assert district == postcode.split()[0]
    assert normalise_district(district.lower()) == district


@pytest.mark.parametrize("raw", ["EX2 4QD", "", "4QD", "EXX2", "2EX"])
def test_a_district_is_an_outward_code_only(raw):
    with pytest.raises(ValidationError):
        normalise_district(raw)


def test_districts_sort_as_people_read_them():
    assert sorted(["EX10", "EX2", "EX1", "PL21", "EC1A", "PL3"], key=district_sort_key) == [
        "EC1A",
        "EX1",
        "EX2",
        "EX10",
        "PL3",
        "PL21",
    ]
