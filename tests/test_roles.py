"""Series roles are data: which series lends its fit to sparse ones (`lends_prior`) and which is a part of which (`part_of`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.catalog import Catalog
from forecast.data import SERIES_COLUMNS, load_directory, parse_series
from forecast.domain import Basis, Series
from forecast.errors import DataError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

HEADER = ",".join(SERIES_COLUMNS)
TOTAL = "china_exports_caam,China,vehicle exports,caam,all vehicles,vehicles,CAAM count"
PART = "china_nev_exports_caam,China,vehicle exports,caam,new energy vehicles,vehicles,CAAM NEV count"
CUSTOMS = "china_exports_gac,China,vehicle exports,customs,all vehicles,vehicles,customs count"
VALUE = "chongqing_exports_value_cny,Chongqing,vehicle export value,caam,all vehicles,cny,yuan"
MAKER = "byd_overseas_sales,BYD,overseas sales,company,all,vehicles,"


def series_csv(*rows: str) -> str:
    return "\n".join((HEADER, *rows)) + "\n"


def rejection(*rows: str) -> DataError:
    with pytest.raises(DataError) as caught:
        parse_series(series_csv(*rows))
    return caught.value


def catalog_of(*rows: str) -> Catalog:
    return Catalog.build(parse_series(series_csv(*rows)), [])


# The real data/series.csv ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> Catalog:
    series, observations, targets = load_directory(DATA_DIR)
    return Catalog.build(series, observations, targets)


def test_caam_all_exports_lends_its_fit_in_the_real_data(real: Catalog) -> None:
    assert real.prior_lender() == "china_exports_caam"


def test_caam_nev_exports_are_the_only_part_in_the_real_data_and_belong_to_caam_all_exports(real: Catalog) -> None:
    assert real.parts() == {"china_nev_exports_caam": "china_exports_caam"}


def test_the_real_fitting_order_is_caam_then_caam_nev_then_the_rest_by_name(real: Catalog) -> None:
    national = ["china_exports_caam", "china_nev_exports_caam"]
    assert real.fitting_order() == [*national, *sorted(set(real.series) - set(national))]


# Reading the columns ----------------------------------------------------------------------------


def test_true_and_false_and_a_part_are_read_into_the_series() -> None:
    series = parse_series(series_csv(TOTAL + ",true,", PART + ",false,china_exports_caam", MAKER + ",,"))
    assert (series["china_exports_caam"].lends_prior, series["china_exports_caam"].part_of) == (True, "")
    assert (series["china_nev_exports_caam"].lends_prior, series["china_nev_exports_caam"].part_of) == (False, "china_exports_caam")
    assert (series["byd_overseas_sales"].lends_prior, series["byd_overseas_sales"].part_of) == (False, "")


def test_a_series_file_without_the_role_columns_loads_with_no_roles() -> None:
    series = parse_series("id,entity,measure,basis,segment,unit,description\n" + TOTAL + "\n")
    assert (series["china_exports_caam"].lends_prior, series["china_exports_caam"].part_of) == (False, "")


def test_a_series_built_in_code_has_no_roles_unless_given() -> None:
    plain = Series("maker_exports", "Maker", "vehicle exports", Basis.COMPANY, "all vehicles", "vehicles")
    assert (plain.lends_prior, plain.part_of) == (False, "")


# Each kind of bad role ---------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["yes", "1", "True", "maybe"])
def test_a_lends_prior_that_is_not_true_or_false_names_the_line_and_field(word: str) -> None:
    error = rejection(TOTAL + ",false,", PART + f",{word},")
    assert (error.source, error.line, error.field) == ("series.csv", 3, "lends_prior")
    assert error.reason == f"'{word}' is not true or false"


def test_a_second_lender_names_its_line_and_the_first_lender() -> None:
    error = rejection(TOTAL + ",true,", MAKER + ",false,", CUSTOMS + ",true,")
    assert (error.line, error.field) == (4, "lends_prior")
    assert "'china_exports_caam' (line 2) already does" in error.reason


def test_a_part_of_an_unknown_series_names_the_line_and_field() -> None:
    error = rejection(TOTAL + ",true,", PART + ",false,china_exports_caamm")
    assert (error.line, error.field) == (3, "part_of")
    assert error.reason.startswith("unknown series 'china_exports_caamm'")


def test_a_part_may_name_a_total_defined_on_a_later_line() -> None:
    series = parse_series(series_csv(PART + ",false,china_exports_caam", TOTAL + ",true,"))
    assert series["china_nev_exports_caam"].part_of == "china_exports_caam"


def test_a_series_that_is_a_part_of_itself_names_part_of() -> None:
    error = rejection(TOTAL + ",false,china_exports_caam")
    assert (error.line, error.field) == (2, "part_of")
    assert "part of itself" in error.reason


def test_a_part_in_another_unit_than_its_total_names_part_of() -> None:
    error = rejection(TOTAL + ",false,", VALUE + ",false,china_exports_caam")
    assert (error.line, error.field) == (3, "part_of")
    assert "is in cny but its total 'china_exports_caam' is in vehicles" in error.reason


def test_a_part_counted_on_another_basis_than_its_total_names_part_of() -> None:
    error = rejection(TOTAL + ",false,", CUSTOMS + ",false,china_exports_caam")
    assert (error.line, error.field) == (3, "part_of")
    assert "basis customs" in error.reason and "on caam" in error.reason


def test_parts_that_form_a_loop_name_part_of() -> None:
    error = rejection(TOTAL + ",false,china_nev_exports_caam", PART + ",false,china_exports_caam")
    assert (error.line, error.field) == (2, "part_of")
    assert error.reason == "parts form a loop: china_exports_caam -> china_nev_exports_caam -> china_exports_caam"


# The catalog's read methods ----------------------------------------------------------------------


def test_with_no_lender_there_is_no_prior_lender_and_the_order_is_by_name() -> None:
    catalog = catalog_of(TOTAL + ",false,", MAKER + ",false,", CUSTOMS + ",false,")
    assert catalog.prior_lender() is None
    assert catalog.parts() == {}
    assert catalog.fitting_order() == ["byd_overseas_sales", "china_exports_caam", "china_exports_gac"]


def test_the_lender_comes_first_then_its_parts_then_the_rest_by_name() -> None:
    catalog = catalog_of(MAKER + ",false,", PART + ",false,china_exports_caam", CUSTOMS + ",false,", TOTAL + ",true,")
    assert catalog.prior_lender() == "china_exports_caam"
    assert catalog.fitting_order() == ["china_exports_caam", "china_nev_exports_caam", "byd_overseas_sales", "china_exports_gac"]


def test_the_order_of_some_ids_keeps_only_those_and_a_part_leads_when_its_lender_is_absent() -> None:
    catalog = catalog_of(MAKER + ",false,", PART + ",false,china_exports_caam", CUSTOMS + ",false,", TOTAL + ",true,")
    assert catalog.fitting_order(["china_exports_gac", "byd_overseas_sales", "china_nev_exports_caam"]) == [
        "china_nev_exports_caam",
        "byd_overseas_sales",
        "china_exports_gac",
    ]
    assert catalog.fitting_order([]) == []


def test_a_part_of_a_series_that_does_not_lend_is_ordered_by_name() -> None:
    catalog = catalog_of(MAKER + ",true,", PART + ",false,china_exports_caam", TOTAL + ",false,")
    assert catalog.parts() == {"china_nev_exports_caam": "china_exports_caam"}
    assert catalog.fitting_order() == ["byd_overseas_sales", "china_exports_caam", "china_nev_exports_caam"]
