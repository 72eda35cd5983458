"""Every public name documents its parameters, returns, raises (where it raises) and an example,
and every example in a docstring runs (doctest on the installed package)."""

import doctest
import importlib
import inspect
import pkgutil

import onlinesgd
import pytest

PUBLIC = [getattr(onlinesgd, name) for name in onlinesgd.__all__ if not name.isupper() and name != "__version__"]
SECTIONS = ("Examples",)


def modules():
    for info in pkgutil.iter_modules(onlinesgd.__path__):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"onlinesgd.{info.name}")


@pytest.mark.parametrize("obj", PUBLIC, ids=lambda o: getattr(o, "__name__", str(o)))
def test_public_names_have_full_docstrings(obj):
    doc = inspect.getdoc(obj) or ""
    for section in SECTIONS:
        assert f"\n{section}\n" in doc, f"{obj.__name__}: no {section} section"
    if inspect.isfunction(obj) and inspect.signature(obj).parameters:
        assert "\nParameters\n" in doc, f"{obj.__name__}: no Parameters section"
    if inspect.isfunction(obj) and inspect.signature(obj).return_annotation not in (None, "None"):
        assert "\nReturns\n" in doc, f"{obj.__name__}: no Returns section"


@pytest.mark.parametrize("module", list(modules()), ids=lambda m: m.__name__)
def test_docstring_examples_run(module, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
