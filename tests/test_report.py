"""Result tables and the results each notebook records."""

import pytest

from ssl_keras import report


def test_format_table_and_results(tmp_path, monkeypatch, capsys):
    table = report.format_table(
        [{"method": "median", "psnr": 28.456}, {"method": "tv", "psnr": 1.0}]
    )
    assert table.splitlines()[0].split() == ["method", "psnr"]
    assert "28.46" in table
    with pytest.raises(ValueError):
        report.format_table([])
    monkeypatch.setenv("SSL_KERAS_HOME", str(tmp_path))
    report.record_results("nb", {"psnr_db": 30.12345})
    assert "psnr_db = 30.123" in capsys.readouterr().out
    assert (tmp_path / "artifacts" / "results" / "nb.json").is_file()
