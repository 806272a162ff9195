"""Tests of ssl_keras.datasets.sources: every dataset of the registry is complete and consistent."""

from __future__ import annotations

import dataclasses
import re

import pytest

from ssl_keras.datasets import sources

ALL = [*sources.SOURCES.values(), sources.CIFAR]


@pytest.mark.parametrize("source", ALL, ids=lambda source: source.name)
def test_source_fields_are_filled(source):
    assert source.folder and source.layout.strip() and source.license
    assert source.homepage.startswith("https://")
    assert source.archives


@pytest.mark.parametrize("source", ALL, ids=lambda source: source.name)
def test_archives_have_url_filename_checksums_and_members(source):
    for archive in source.archives:
        assert re.fullmatch(r"https?://\S+", archive.url)
        assert archive.filename and "/" not in archive.filename
        assert archive.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", archive.sha256)
        assert archive.md5 is None or re.fullmatch(r"[0-9a-f]{32}", archive.md5)
        assert archive.members and all(len(pair) == 2 for pair in archive.members)


def test_registry_keys_are_source_names_and_cifar_stands_apart():
    assert all(key == source.name for key, source in sources.SOURCES.items())
    assert sources.CIFAR.name not in sources.SOURCES
    filenames = [archive.filename for source in ALL for archive in source.archives]
    assert len(filenames) == len(set(filenames))


def test_only_mvtec_routes_by_category():
    routed = {
        source.name
        for source in ALL
        for archive in source.archives
        for prefix, folder in archive.members
        if "{category}" in prefix + folder
    }
    assert routed == {"mvtec_ad"}
    assert len(sources.MVTEC_CATEGORIES) == 15
    assert list(sources.MVTEC_CATEGORIES) == sorted(set(sources.MVTEC_CATEGORIES))


def test_archive_defaults_and_frozen_records():
    archive = sources.Archive("https://example.org/a.zip", "a.zip")
    assert archive.sha256 is None and archive.md5 is None and archive.members == (("", ""),)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sources.CIFAR.folder = "elsewhere"
