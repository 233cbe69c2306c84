"""Plain host names are split without importing tldextract (issue #15: start-up), exactly
as tldextract splits them: every rule of its bundled public suffix list, and generated
hosts and URLs, give the same (registrable domain, name) both ways."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing import normalize
from routing.normalize import _PSL_PRIVATE, _PSL_SUFFIX, _split_plain

tldextract = pytest.importorskip("tldextract")
EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def reference(host: str) -> tuple[str, str]:
    ext = EXTRACT(host)
    if not ext.domain or not ext.suffix:
        return "", ext.domain.casefold()
    return f"{ext.domain}.{ext.suffix}".casefold(), ext.domain.casefold()


def _snapshot() -> str:
    spec = importlib.util.find_spec("tldextract")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).with_name(".tld_set_snapshot").read_text(encoding="utf-8")


def test_the_fast_path_is_taken() -> None:
    assert normalize._public_suffixes() is not None
    assert _split_plain("mail.corp.co.uk") == ("corp.co.uk", "corp")
    assert _split_plain("https://www.Example.COM/path?q") == ("example.com", "example")
    for odd in ("10.0.0.1", "user@x.com", "x.com:8080", "xn--p1ai.ru", "ftp://x.com", " x.com"):
        assert _split_plain(odd) is None


def test_every_rule_of_the_list_public_and_private() -> None:
    text = _snapshot()
    assert _PSL_PRIVATE in text
    rules = [m.group("suffix") for m in _PSL_SUFFIX.finditer(text)]
    checked = 0
    for rule in rules:
        suffix = rule.lstrip("!").replace("*", "wild")
        if not suffix.isascii():
            continue
        for host in (suffix, f"acme.{suffix}", f"www.acme.{suffix}", f"a.b.c.{suffix}",
                     f"https://shop.{suffix}/x", f"WWW.ACME.{suffix.upper()}"):  # fmt: skip
            fast = _split_plain(host)
            if fast is not None:
                checked += 1
                assert fast == reference(host), host
    assert checked > 20_000


LABELS = st.sampled_from(
    ["com", "co", "uk", "jp", "ck", "www", "kawasaki", "city", "github", "io", "appspot",
     "blogspot", "acme", "a-b", "x1", "123", "COM", "Uk", "bd", "mm", "er", "kobe", "nom",
     "br", "au", "gov", "s3", "amazonaws", "us-east-1", "compute", "k12", "ma", "us"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(
    st.lists(LABELS, min_size=1, max_size=5),
    st.sampled_from(["", "http://", "https://", "HTTPS://"]),
    st.sampled_from(["", "/", "/path", "?q=1", "#x", "/a//b"]),
)
def test_generated_hosts_and_urls(labels: list[str], scheme: str, tail: str) -> None:
    host = scheme + ".".join(labels) + tail
    fast = _split_plain(host)
    if fast is not None:
        assert fast == reference(host)
    normalize._split_host.cache_clear()
    assert normalize._split_host(host) == reference(host)
