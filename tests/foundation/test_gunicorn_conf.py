"""gunicorn.conf.py: each worker freezes what it loaded at start-up out of the collector's way."""

from __future__ import annotations

import gc
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_freezes_its_start_up_objects():
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    loaded = ["something the worker loaded before serving"]
    gc.unfreeze()
    assert any(obj is loaded for obj in gc.get_objects())
    try:
        conf.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
        assert not any(obj is loaded for obj in gc.get_objects())  # out of the collector's sight
    finally:
        gc.unfreeze()


def test_gunicorn_reads_threaded_workers_from_the_file():
    from gunicorn.app.base import Application

    class Probe(Application):  # gunicorn's own loading of a config file
        def load_config(self):
            self.load_config_from_file(str(ROOT / "gunicorn.conf.py"))

        def load(self):
            return None

    config = Probe().cfg
    assert config.worker_class_str == "gthread"
    assert config.threads == 2


def test_gunicorn_bounds_the_request_line_and_headers():
    from gunicorn.app.base import Application

    class Probe(Application):
        def load_config(self):
            self.load_config_from_file(str(ROOT / "gunicorn.conf.py"))

        def load(self):
            return None

    config = Probe().cfg
    assert config.limit_request_line == 4094
    assert config.limit_request_fields == 50
    assert config.limit_request_field_size == 8190
