"""The README's command examples run, in order, against a fresh sample build; every command has help."""
from __future__ import annotations

import re
import shlex

import pytest
from typer.testing import CliRunner

from conftest import ROOT
from kg.cli import app

runner = CliRunner()


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Commands", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.startswith("kg ")]


def test_readme_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    commands = readme_commands()
    assert commands[0].startswith("kg build") and len(commands) >= 10
    for command in commands:
        args = shlex.split(command)[1:]
        if args[:1] == ["build"]:
            args += ["--workers", "1"]
        r = runner.invoke(app, args)
        assert r.exit_code == 0, f"{command}\n{r.output}"
        assert r.output.strip(), command
    assert (tmp_path / "out" / "graph.ttl").exists()
    assert (tmp_path / "out" / "as-of-2019" / "site" / "index.html").exists()
    assert (tmp_path / "reviews.jsonl").read_text().count("\n") == 2


@pytest.mark.parametrize("command", [[], ["build"], ["findings"], ["trace"], ["review"], ["review", "status"], ["eval"],
                                     ["queries"], ["query", "sparql"], ["query", "cypher"], ["serve", "sparql"],
                                     ["push", "sparql"], ["push", "neo4j"], ["export"], ["site"], ["analyse"]])
def test_every_command_has_help(command):
    r = runner.invoke(app, [*command, "--help"])
    assert r.exit_code == 0 and "Usage" in r.output
    assert len(r.output.splitlines()) > 4
