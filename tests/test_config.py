from pathlib import Path

import pytest

from flows import configuration


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
settings:
  warehouse: data/news.duckdb
  per_host_concurrency: 3
sources:
  - name: herald
    url: https://herald.example/feed.xml
    language: en
    max_entries: 20
  - name: courier
    url: http://courier.example/rss
    enabled: false
"""


def test_valid_file_gives_sources_with_defaults_applied(tmp_path):
    loaded = configuration.load(write(tmp_path, GOOD))
    assert [s.name for s in loaded.sources] == ["herald", "courier"]
    assert [s.name for s in loaded.enabled_sources] == ["herald"]
    assert loaded.sources[0].max_entries == 20
    assert loaded.sources[1].max_entries == 200
    assert loaded.settings.per_host_concurrency == 3
    assert loaded.settings.warehouse == tmp_path / "data" / "news.duckdb"


def test_db_flag_then_environment_override_the_warehouse(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD)
    monkeypatch.setenv(configuration.DB_ENV, str(tmp_path / "env.duckdb"))
    assert configuration.load(path).settings.warehouse == tmp_path / "env.duckdb"
    assert configuration.load(path, tmp_path / "flag.duckdb").settings.warehouse == tmp_path / "flag.duckdb"


def test_sources_path_from_flag_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(configuration.SOURCES_ENV, str(tmp_path / "env.yaml"))
    assert configuration.resolve_sources_path(None) == tmp_path / "env.yaml"
    assert configuration.resolve_sources_path(Path("x.yaml")) == Path("x.yaml")


@pytest.mark.parametrize(
    "bad, expected",
    [
        (
            "  - name: herald\n    url: ftp://herald.example/feed\n",
            "source 'herald' (sources[0]): field 'url': Value error, not an http(s) URL",
        ),
        (
            "  - name: herald\n    url: https://h.example/f\n    langauge: en\n",
            "source 'herald' (sources[0]): field 'langauge': unknown key",
        ),
        (
            "  - name: herald\n    url: https://h.example/f\n  - name: herald\n    url: https://i.example/f\n",
            "source 'herald' (sources[1]): field 'name': duplicate of sources[0]",
        ),
        ("  - url: https://h.example/f\n", "sources[0]: field 'name': Field required"),
        (
            "  - name: herald\n    url: https://h.example/f\n    max_entries: none\n",
            "source 'herald' (sources[0]): field 'max_entries'",
        ),
    ],
)
def test_bad_source_names_file_source_and_field(tmp_path, bad, expected):
    path = write(tmp_path, "sources:\n" + bad)
    with pytest.raises(configuration.ConfigError) as error:
        configuration.load(path)
    assert str(error.value).startswith(str(path))
    assert expected in str(error.value)


def test_unknown_setting_is_rejected(tmp_path):
    with pytest.raises(configuration.ConfigError, match=r"field 'settings.concurency': unknown key"):
        configuration.load(write(tmp_path, "settings:\n  concurency: 4\nsources: []\n"))


def test_missing_file_and_broken_yaml_are_clear(tmp_path):
    with pytest.raises(configuration.ConfigError, match="cannot read sources file"):
        configuration.load(tmp_path / "absent.yaml")
    with pytest.raises(configuration.ConfigError, match="not valid YAML"):
        configuration.load(write(tmp_path, "sources: [\n"))


def test_shipped_sources_file_is_valid():
    shipped = configuration.load(Path(__file__).resolve().parents[1] / "sources.yaml")
    assert len(shipped.sources) >= 5
    assert len({s.language for s in shipped.sources}) >= 3
