"""A user's data file, second round of `make mutate` survivors in
server/datasources/user.py: the limits at their exact value, how the delimiter and
the header line are found, and features stretched to fill [0, 1].  The survivors
judged equivalent are listed with a reason in tools/mutation-equivalent.txt."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from server.datasources.user import UserDataLimits, load_user_dataset


def npz(compressed=False, **arrays) -> bytes:
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def test_a_data_set_loaded_without_a_name_is_listed_as_user():
    ds = load_user_dataset(b"0,0.1\n1,0.2\n0,0.3\n1,0.4\n", test_fraction=0.0)
    assert ds.info()["name"] == "user"


def test_npz_arrays_may_unpack_to_exactly_the_byte_limit():
    raw = npz(compressed=True, X=np.zeros((64, 8)), y=np.arange(64) % 2)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(raw)).infolist())
    assert len(raw) < unpacked  # so the file itself is within the limit below
    ds = load_user_dataset(raw, limits=UserDataLimits(max_bytes=unpacked), test_fraction=0.0)
    assert len(ds.y_train) == 64
    with pytest.raises(ValueError,
                       match=rf"^\.npz arrays take {unpacked} bytes; the limit is {unpacked - 1}$"):
        load_user_dataset(raw, limits=UserDataLimits(max_bytes=unpacked - 1))


def test_an_npz_without_a_test_part_may_have_exactly_max_rows():
    raw = npz(X=np.full((6, 2), 0.5), y=np.arange(6) % 2)
    ds = load_user_dataset(raw, limits=UserDataLimits(max_rows=6), test_fraction=0.0)
    assert len(ds.y_train) == 6
    with pytest.raises(ValueError, match=r"^6 rows; the limit is 5$"):
        load_user_dataset(raw, limits=UserDataLimits(max_rows=5))


def test_the_delimiter_comes_from_the_first_line_only():
    # semicolon-separated, with quoted labels full of commas on the lines below
    text = ('label;x;y\n"red, dark, matte, old, big";0.1;0.2\n'
            '"blue, light, glossy, new, small";0.3;0.4\n"red, dark, matte, old, big";0.5;0.6\n')
    ds = load_user_dataset(text.encode(), test_fraction=0.0)
    assert ds.class_names == ["blue, light, glossy, new, small", "red, dark, matte, old, big"]
    np.testing.assert_array_equal(ds.X_train, [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])


def test_letters_in_column_names_are_never_taken_for_the_delimiter():
    ds = load_user_dataset(b"class;X1;X2\na;0.1;0.2\nb;0.3;0.4\n", test_fraction=0.0)
    assert ds.class_names == ["a", "b"]
    np.testing.assert_array_equal(ds.X_train, [[0.1, 0.2], [0.3, 0.4]])


def test_numeric_feature_names_still_make_a_header_found_by_the_label_name():
    # e.g. spectra: the feature columns are named by wavelength
    text = b"400,class,500\n0.1,a,0.2\n0.3,b,0.4\n"
    ds = load_user_dataset(text, label_column="class", test_fraction=0.0)
    assert ds.class_names == ["a", "b"]
    np.testing.assert_array_equal(ds.X_train, [[0.1, 0.2], [0.3, 0.4]])


def test_an_empty_label_name_is_refused_when_the_file_has_no_header():
    with pytest.raises(ValueError,
                       match=r"^label_column '' not found: the file has no header line$"):
        load_user_dataset(b"1,0.2\n0,0.3\n", label_column="")


@pytest.mark.parametrize("text, scaled", [
    # the largest value is 2: still outside [0, 1], so every column is stretched
    (b"0,0,1.5\n1,1,2\n", [[0.0, 0.0], [1.0, 1.0]]),
    # a column spanning only 0.5 is stretched to [0, 1] as well
    (b"0,-2,0.5\n1,2,0\n0,0,0.25\n", [[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]),
])
def test_scaled_columns_fill_the_unit_range(text, scaled):
    ds = load_user_dataset(text, test_fraction=0.0)
    np.testing.assert_allclose(ds.X_train, scaled)


def test_a_numpy_integer_label_column_keeps_a_first_row_with_a_text_label():
    """Found by a surviving mutant: the header check skipped the label's cell only for
    a Python ``int``, so with ``np.int64(1)`` a first row labelled "cat" read as a
    header line and was dropped."""
    text = b"0.1,cat\n0.2,dog\n0.3,cat\n0.4,dog\n"
    for column in (1, np.int64(1)):
        ds = load_user_dataset(text, label_column=column, test_fraction=0.0)
        assert len(ds.y_train) == 4, column


def test_an_npz_with_no_feature_columns_is_refused_by_name():
    with pytest.raises(ValueError, match=r"^X has no feature columns; need at least 1$"):
        load_user_dataset(npz(X=np.zeros((4, 0)), y=np.arange(4) % 2))
    with pytest.raises(ValueError, match=r"^X_test has no feature columns; need at least 1$"):
        load_user_dataset(npz(X_train=np.zeros((4, 2)), y_train=np.arange(4) % 2,
                              X_test=np.zeros((2, 0)), y_test=np.arange(2) % 2))
