"""Markdown (FAQ articles) is written by staff and read by customers: Reflex's ``rx.markdown`` renders
raw HTML unless ``use_raw=False``, so every use in the app must switch it off (a ``<script>`` or an
``<img onerror>`` in an article stays text)."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "kaktus_app"


def test_every_markdown_component_leaves_raw_html_as_text():
    calls = []
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr == "markdown" and isinstance(func.value, ast.Name) and func.value.id == "rx":
                raw = next((k.value for k in node.keywords if k.arg == "use_raw"), None)
                calls.append((f"{path.relative_to(APP)}:{node.lineno}", isinstance(raw, ast.Constant) and raw.value is False))
    assert calls, "the FAQ pages render Markdown"
    assert [where for where, safe in calls if not safe] == []
