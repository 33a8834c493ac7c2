"""What newsdesk checks about its environment before a run starts."""

import importlib.util

import pytest

from flows import configuration, localstate

DASK_SOURCES = """
settings:
  dask: {workers: 2}
sources:
  - {name: herald, url: "https://herald.example/feed.xml"}
"""


def dask_config(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(DASK_SOURCES, encoding="utf-8")
    return configuration.load(path)


def test_settings_dask_without_the_extra_says_how_to_install_it(tmp_path, monkeypatch):
    real = importlib.util.find_spec

    def without_prefect_dask(name, *args):
        return None if name == "prefect_dask" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_prefect_dask)
    with pytest.raises(configuration.ConfigError, match=r"needs the Dask extra: pip install 'newsdesk\[dask\]'"):
        localstate.check_dask(dask_config(tmp_path))


def test_settings_dask_without_a_prefect_server_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with pytest.raises(configuration.ConfigError, match="needs a Prefect server the Dask workers can reach"):
        localstate.check_dask(dask_config(tmp_path))


def test_without_settings_dask_nothing_is_required(tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    path = tmp_path / "sources.yaml"
    path.write_text('sources:\n  - {name: herald, url: "https://herald.example/feed.xml"}\n', encoding="utf-8")
    localstate.check_dask(configuration.load(path))
