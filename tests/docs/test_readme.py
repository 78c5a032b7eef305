"""The README is a short task index: its set-up commands are CI's, its contents and links hold."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")
MAX_LINES = 400
_LINK = re.compile(r"\]\((?!https?://|mailto:)([^)\s]*)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(markdown: str) -> set[str]:
    body = re.sub(r"^```.*?^```$", "", markdown, flags=re.MULTILINE | re.DOTALL)
    return {_slug(h) for h in re.findall(r"^#{1,6} (.+)$", body, re.MULTILINE)}


def test_the_readme_is_short() -> None:
    assert len(TEXT.splitlines()) <= MAX_LINES


def test_its_first_block_is_the_two_commands_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    commands = [ci[i + 1] for i, line in enumerate(ci) if line.startswith("# README command ")]
    assert len(commands) == 2
    first_block = re.search(r"```bash\n(.*?)```", TEXT, re.DOTALL)
    assert first_block and TEXT.index("```bash") < TEXT.index("\n## ")
    assert first_block[1].splitlines() == commands


def test_the_contents_list_every_section() -> None:
    contents = TEXT.split("## Contents", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"\]\(#([^)]+)\)", contents))
    sections = {_slug(h) for h in re.findall(r"^## (.+)$", TEXT, re.MULTILINE)} - {"contents"}
    assert listed == sections


def test_every_relative_link_and_anchor_resolves() -> None:
    for target in _LINK.findall(TEXT):
        path, _, anchor = target.partition("#")
        page = (ROOT / path) if path else README
        assert page.is_file(), f"README links to a missing file: {target}"
        if anchor:
            assert page.suffix == ".md", target
            assert anchor in _anchors(page.read_text(encoding="utf-8")), f"no anchor #{anchor} in {path}"


def test_it_says_what_the_command_line_is_built_on() -> None:
    assert "argparse" not in TEXT
    assert "[click]" in TEXT and "[rich]" in TEXT
