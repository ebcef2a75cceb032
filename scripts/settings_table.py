"""Prints the README's settings table from the settings object, so the two stay in step."""

from __future__ import annotations

from pathlib import Path

from wastream.settings import Settings


def table() -> str:
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if name == "cache_dir":
            default = "~/.cache/wastream"
        shown = f"`{default}`" if default != "" else "(empty)"
        rows.append(f"| `WASTREAM_{name.upper()}` | {shown} | {field.description} |")
    return "\n".join(rows)


def main() -> None:
    readme = Path("README.md")
    text = readme.read_text()
    start, end = "<!-- settings-table -->\n", "<!-- /settings-table -->"
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    readme.write_text(head + start + table() + "\n" + end + tail)


if __name__ == "__main__":
    main()
