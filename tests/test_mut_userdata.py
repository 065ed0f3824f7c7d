"""A user's data file: what the data set says about itself, the limits at their edge,
and every message naming what is wrong (survivors of `make mutate` in
server/datasources/user.py; tests/test_datasets.py has the main cases)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from server.datasources.user import UserDataLimits, load_user_dataset


def npz(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def table_csv(n=12, features=3) -> bytes:
    rows = (",".join([str(i % 2)] + [str(i * (j + 2)) for j in range(features)])
            for i in range(n))
    return ("\n".join(rows) + "\n").encode()


def test_a_table_says_where_it_came_from_and_how_it_was_split():
    ds = load_user_dataset(table_csv(), name="mine", test_fraction=0.25, random_state=3)
    assert (ds.kind, ds.name, ds.source) == ("table", "mine", "uploaded by the user")
    assert ds.description == "Uploaded data: 12 rows, 3 features, 2 classes."
    assert ds.params == {"test_fraction": 0.25, "random_state": 3}
    assert ds.id == "user" and ds.image_shape is None
    assert len(ds.y_test) == 3 and len(ds.y_train) == 9
    assert load_user_dataset(table_csv()).params == {"test_fraction": 0.2, "random_state": 0}


def test_the_split_follows_random_state():
    a, b = (load_user_dataset(table_csv(40), random_state=s) for s in (0, 1))
    assert not np.array_equal(a.X_test, b.X_test)
    again = load_user_dataset(table_csv(40))
    np.testing.assert_array_equal(again.X_test, a.X_test)


def test_a_square_feature_count_is_an_image_only_from_8_by_8():
    small = load_user_dataset(table_csv(n=10, features=49))  # 7x7: a table
    assert small.kind == "table" and small.image_shape is None
    with pytest.raises(ValueError, match=r"^image_shape \(3, 3\) does not match 49 features$"):
        load_user_dataset(table_csv(n=10, features=49), image_shape=(3, 3))


def test_an_npz_keeps_its_own_test_set_and_labels_from_both_parts():
    raw = npz(X_train=np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]), y_train=np.array([0, 1, 0]),
              X_test=np.array([[0.7, 0.8]]), y_test=np.array([2]))
    ds = load_user_dataset(raw)
    assert ds.class_names == ["0", "1", "2"]  # class 2 is only in the test part
    np.testing.assert_array_equal(ds.y_test, [2])
    np.testing.assert_array_equal(ds.X_test, [[0.7, 0.8]])
    assert ds.X_train.dtype == np.float64 and ds.y_train.dtype == np.int64


def test_npz_images_of_shape_n_h_w_are_flattened_row_by_row():
    X = np.arange(2 * 8 * 8, dtype=np.uint8).reshape(2, 8, 8)
    ds = load_user_dataset(npz(X=X, y=np.array([0, 1])), test_fraction=0.0)
    assert ds.kind == "image" and ds.image_shape == (8, 8)
    np.testing.assert_allclose(ds.X_train, X.reshape(2, 64) / 127.0)


@pytest.mark.parametrize("arrays, message", [
    ({"X_train": np.ones((3, 2)), "y_train": np.arange(3), "X_test": np.ones((1, 3)),
      "y_test": np.arange(1)}, r"^X_test has 3 features, X_train 2$"),
    ({"X_train": np.ones((3, 2)), "y_train": np.arange(3), "X_test": np.ones((2, 2)),
      "y_test": np.arange(1)},
     r"^X_test must be \(n, n_features\) with y \(n,\), got \(2, 2\) and \(1,\)$"),
    ({"X": np.ones((3, 2)), "y": np.ones((3, 1))}, r"^X must be \(n, n_features\)"),
])
def test_npz_shape_errors_name_the_array(arrays, message):
    with pytest.raises(ValueError, match=message):
        load_user_dataset(npz(**arrays))


def test_not_a_zip_after_the_zip_signature_is_named():
    with pytest.raises(ValueError, match=r"^not a readable \.npz file: "):
        load_user_dataset(b"PK\x03\x04 not really a zip")


def test_pickled_object_arrays_are_never_loaded():
    raw = npz(X=np.array([[0.1, 0.2], [0.3, 0.4]]), y=np.array([0, 1]))
    objects = io.BytesIO()
    np.savez(objects, X=np.array([{"a": 1}, None], dtype=object), y=np.array([0, 1]))
    with pytest.raises(ValueError, match="pickle"):
        load_user_dataset(objects.getvalue())
    assert load_user_dataset(raw).X_train.shape[1] == 2


def test_limits_hold_at_their_value_and_count_the_test_rows():
    exact = table_csv(n=6, features=2)
    limits = UserDataLimits(max_bytes=len(exact), max_rows=6, max_columns=3)
    assert len(load_user_dataset(exact, limits=limits, test_fraction=0.0).y_train) == 6
    arrays = dict(X_train=np.ones((4, 2)) / 2, y_train=np.arange(4) % 2,
                  X_test=np.ones((3, 2)) / 2, y_test=np.arange(3) % 2)
    with pytest.raises(ValueError, match=r"^7 rows; the limit is 6$"):
        load_user_dataset(npz(**arrays), limits=UserDataLimits(max_rows=6))
    with pytest.raises(ValueError, match=r"^3 columns; the limit is 2$"):
        load_user_dataset(npz(**arrays), limits=UserDataLimits(max_columns=2))
    fits = npz(**arrays)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(fits)).infolist())
    roomy = UserDataLimits(max_bytes=max(unpacked, len(fits)))
    assert len(load_user_dataset(fits, limits=roomy).y_test) == 3


def test_a_file_over_the_byte_limit_is_refused_by_its_size(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(table_csv())
    size = path.stat().st_size
    with pytest.raises(ValueError, match=rf"^file is {size} bytes; the limit is {size - 1}$"):
        load_user_dataset(path, limits=UserDataLimits(max_bytes=size - 1))
    assert load_user_dataset(path, limits=UserDataLimits(max_bytes=size)).kind == "table"


def test_text_that_is_not_utf8_names_its_line():
    with pytest.raises(ValueError, match=r"^line 3: not UTF-8 text \(invalid start byte\)$"):
        load_user_dataset(b"1,0.5\n0,0.2\n1,\xff\n")


def test_a_utf8_bom_and_tabs_are_read():
    ds = load_user_dataset("\ufefflabel\ta\tb\n1\t2\t3\n0\t4\t5\n".encode(), test_fraction=0.0)
    assert ds.X_train.shape == (2, 2) and ds.class_names == ["0", "1"]


def test_a_header_without_data_and_a_label_name_without_header_are_named():
    with pytest.raises(ValueError, match=r"^the file has a header but no data lines$"):
        load_user_dataset(b"label,a,b\n")
    with pytest.raises(ValueError, match=r"^the file has no data lines$"):
        load_user_dataset(b"\n \n")
    with pytest.raises(ValueError,
                       match=r"^label_column 'kind' not found: the file has no header line$"):
        load_user_dataset(b"1,2\n0,3\n", label_column="kind")
    with pytest.raises(ValueError, match=r"^line 2: need a label column and at least one feature "
                                         r"column, found 1 column$"):
        load_user_dataset(b"\n1\n0\n")


def test_the_first_line_is_a_header_only_when_a_feature_is_not_a_number():
    ds = load_user_dataset(b"a,0.5\nb,0.7\na,0.1\n", test_fraction=0.0)  # text labels, no header
    assert len(ds.y_train) == 3 and ds.class_names == ["a", "b"]
    ds = load_user_dataset(b"0.5,a\n0.7,b\n0.1,a\n", label_column=1, test_fraction=0.0)
    assert len(ds.y_train) == 3
    with_header = load_user_dataset(b"x,label\n0.5,a\n0.7,b\n", label_column="label",
                                    test_fraction=0.0)
    assert len(with_header.y_train) == 2


@pytest.mark.parametrize("column, message", [
    (2, r"^label_column must be in \[-2, 1\], got 2$"),
    (-3, r"^label_column must be in \[-2, 1\], got -3$"),
])
def test_a_label_column_out_of_range_names_the_range(column, message):
    with pytest.raises(ValueError, match=message):
        load_user_dataset(b"1,2\n0,3\n", label_column=column)
    assert load_user_dataset(b"1,0.2\n0,0.3\n", label_column=-2, test_fraction=0.0).kind == "table"


def test_a_bad_cell_after_the_label_column_is_counted_in_file_columns():
    with pytest.raises(ValueError, match=r"^line 2, column 3: 'x' is not a number$"):
        load_user_dataset(b"0.1,1,0.2\n0.3,0,x\n", label_column=1)
    with pytest.raises(ValueError, match=r"^line 2, column 1: 'x' is not a number$"):
        load_user_dataset(b"0.1,1,0.2\nx,0,0.3\n", label_column=1)
    with pytest.raises(ValueError, match=r"^line 2: 2 columns, expected 3 \(like line 1\)$"):
        load_user_dataset(b"0.1,1,0.2\n0.3,0\n")


def test_labels_one_and_one_point_zero_are_one_class_and_sort_as_numbers():
    ds = load_user_dataset(b"1,0.1\n1.0,0.2\n10,0.3\n2,0.4\n", test_fraction=0.0)
    assert ds.class_names == ["1", "2", "10"]
    np.testing.assert_array_equal(ds.y_train, [0, 0, 2, 1])
    half = load_user_dataset(b"0.5,0.1\n1,0.2\n", test_fraction=0.0)
    assert half.class_names == ["0.5", "1"]


def test_the_class_limit_holds_at_its_value():
    text = "".join(f"{k},0.{k}\n" for k in range(3)).encode()
    assert len(load_user_dataset(text, limits=UserDataLimits(max_classes=3),
                                 test_fraction=0.0).class_names) == 3
    with pytest.raises(ValueError, match=r"^3 classes; the limit is 2$"):
        load_user_dataset(text, limits=UserDataLimits(max_classes=2))


def test_features_in_the_unit_range_are_kept_and_others_scaled_per_column():
    kept = load_user_dataset(b"0,0.0,1.0\n1,0.5,0.25\n", test_fraction=0.0)
    np.testing.assert_array_equal(kept.X_train, [[0.0, 1.0], [0.5, 0.25]])
    scaled = load_user_dataset(b"0,-2,5\n1,2,5\n0,0,5\n", test_fraction=0.0)
    np.testing.assert_allclose(scaled.X_train, [[0.0, 0.0], [1.0, 0.0], [0.5, 0.0]])
    wide = load_user_dataset(b"0,0,1.5\n1,1,3\n", test_fraction=0.0)  # one column over 1
    np.testing.assert_allclose(wide.X_train, [[0.0, 0.0], [1.0, 1.0]])
