"""Tests of ssl_keras.image_files.listing: folders by name or content, and inference inputs."""

import pytest

from ssl_keras import image_files


def test_lists_images_and_ignores_other_extensions(image_folder):
    names = [p.rsplit("/", 1)[-1] for p in image_files.list_image_files(image_folder)]
    assert "notes.txt" not in names
    assert len(names) == 10
    assert names == sorted(names)


def test_missing_and_empty_folders(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        image_files.list_image_files(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No image files"):
        image_files.list_image_files(tmp_path / "empty")


def test_corrupt_file_raises_or_is_skipped(image_folder):
    bad = image_folder / "broken.jpg"
    bad.write_bytes(b"this is not a jpeg at all")
    with pytest.raises(ValueError, match="broken.jpg"):
        image_files.list_image_files(image_folder)
    with pytest.warns(UserWarning, match="broken.jpg"):
        paths = image_files.list_image_files(image_folder, on_error="warn")
    assert str(bad) not in paths


def test_input_image_files_names_a_bad_input(image_folder):
    single = image_folder / "plain.jpg"
    assert image_files.input_image_files(single) == [str(single)]
    listed = image_files.list_image_files(image_folder)
    assert image_files.input_image_files(image_folder) == listed
    bad = image_folder / "broken.jpg"
    bad.write_bytes(b"this is not a jpeg at all")
    for path, prefix in ((bad, ""), (image_folder, "input ")):
        with pytest.raises(ValueError) as raised:
            image_files.input_image_files(path, prefix=prefix)
        message = str(raised.value)
        assert message.startswith(f"{prefix}{str(bad)!r} is not a readable image (not an image")
        assert message.endswith(". Delete or re-save it, or move it out of the input folder.")
        assert not isinstance(raised.value, image_files.NotAnImageError)


def test_find_image_files_matches_names_only(tmp_path):
    for name in ("b.PNG", "a.jpg", "notes.txt", ".hidden.png", "sub/c.png", ".cache/d.png"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    names = [p.relative_to(tmp_path).as_posix() for p in image_files.find_image_files(tmp_path)]
    assert names == [".hidden.png", "a.jpg", "b.PNG"]
    deep = image_files.find_image_files(tmp_path, recursive=True, skip_hidden=True)
    assert [p.relative_to(tmp_path).as_posix() for p in deep] == ["a.jpg", "b.PNG", "sub/c.png"]
    assert image_files.find_image_files(tmp_path, extensions=(".JPG",)) == [tmp_path / "a.jpg"]
