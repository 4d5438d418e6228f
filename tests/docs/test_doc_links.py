"""Every relative link in README, CHANGELOG and docs/ leads somewhere: the file exists, and a
`#anchor` names a heading of the page it points to (GitHub's heading ids)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.commands import ROOT, doc_files

_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*(\S+)", re.M)
_FENCE = re.compile(r"^\s*(```|~~~).*?^\s*\1", re.M | re.S)
_CODE = re.compile(r"`[^`\n]*`")


def heading_ids(text: str) -> set[str]:
    """The ids GitHub gives a page's headings: lower case, punctuation dropped, spaces as `-`,
    a repeated heading with `-1`, `-2`, …"""
    seen: dict[str, int] = {}
    ids = set()
    for match in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", _FENCE.sub("", text), re.M):
        title = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1)).replace("`", "")
        slug = re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        ids.add(slug if count == 0 else f"{slug}-{count}")
    return ids


def links(text: str) -> list[str]:
    prose = _CODE.sub("", _FENCE.sub("", text))
    return _LINK.findall(prose) + _REFERENCE.findall(prose)


def broken_links(path: Path, root: Path = ROOT) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found = []
    for target in links(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):   # https:, mailto:, file: …: not ours to check
            continue
        file_part, _, anchor = target.partition("#")
        destination = (path.parent / file_part).resolve() if file_part else path
        if not destination.exists():
            found.append(f"{path.relative_to(root)}: {target}: no such file")
            continue
        headings = heading_ids(destination.read_text(encoding="utf-8")) if destination.suffix == ".md" else None
        if anchor and headings is not None and anchor not in headings:
            found.append(f"{path.relative_to(root)}: {target}: no heading #{anchor} in {destination.relative_to(root)}")
    return found


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    assert not broken_links(path)


def test_the_readme_links_every_guide():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(readme)}
    missing = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "docs").glob("*.md")) if p.resolve() not in linked]
    assert not missing, f"guides README does not link: {missing}"


def test_the_link_checker_sees_a_broken_link_and_a_wrong_anchor(tmp_path):
    (tmp_path / "a.md").write_text("# Title\n\n## Two words\n")
    page = tmp_path / "b.md"
    page.write_text("[ok](a.md#two-words) [gone](missing.md) [bad](a.md#nothing) `[code](x.md)` "
                    "[web](https://example.com/x)\n```\n[fenced](y.md)\n```\n")
    found = broken_links(page, tmp_path)
    assert found == ["b.md: missing.md: no such file", "b.md: a.md#nothing: no heading #nothing in a.md"]
