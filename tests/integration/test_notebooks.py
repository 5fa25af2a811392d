"""The notebooks run, top to bottom, against the package (they define no logic)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["arena_report.ipynb", "quickstart.ipynb"])
def test_notebook_executes(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARENA_HOME", str(tmp_path))
    monkeypatch.setenv("ARENA_TASKS", "12")
    monkeypatch.setenv("QUICKSTART_HOME", str(tmp_path / "quickstart"))
    notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs)
    if name == "arena_report.ipynb":
        assert (tmp_path / "arena-runs" / "seed-1" / "report" / "report.html").exists()
    else:
        assert (tmp_path / "quickstart" / "standing.png").exists()
