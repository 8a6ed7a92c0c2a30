"""`explain` and `run` on real tracebacks: real torch in real subprocesses, both languages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "real_errors"
ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}


def tutor(*args: str, stdin: str = "", lang: str = "en", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tutor", "--lang", lang, *args], input=stdin, capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=ENV)


def corpus_text(slug: str) -> str:
    """A case of the real-world corpus, without its header."""
    [path] = CORPUS.glob(f"*-{slug}.txt")
    return path.read_text(encoding="utf-8").partition("\n---\n")[2]


@pytest.fixture(scope="module")
def own_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A learner's project of two files: train.py calls model.py, whose embedding gets a token id too large."""
    folder = tmp_path_factory.mktemp("project")
    (folder / "model.py").write_text(textwrap.dedent("""\
        import torch

        class Tiny(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.tok = torch.nn.Embedding(10, 4)

            def forward(self, ids):
                return self.tok(ids)
        """))
    (folder / "train.py").write_text(textwrap.dedent("""\
        import torch
        from model import Tiny

        print("epoch 1")
        Tiny()(torch.tensor([3, 12]))
        """))
    return folder


@pytest.fixture(scope="module")
def own_traceback(own_project: Path) -> str:
    done = subprocess.run([sys.executable, "train.py"], cwd=own_project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "IndexError: index out of range in self" in done.stderr
    return done.stdout + done.stderr


def test_explain_a_file_in_english(tmp_path: Path) -> None:
    saved = tmp_path / "error.txt"
    saved.write_text(corpus_text("dtype-found-dtype-learner-frame"))
    done = tutor("explain", str(saved))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "a tensor has the wrong dtype for this operation" in out
    assert "main.py, line 245, in <module>" in out  # the learner's frame, not torch's functional.py
    assert "functional.py, line 2527" not in out
    assert "Print the dtype of each tensor" in out
    assert "float-token-ids" in out and "minigpt-tutor --lesson float-token-ids" in out


def test_explain_a_file_in_spanish(tmp_path: Path) -> None:
    saved = tmp_path / "error.txt"
    saved.write_text(corpus_text("device-assert-windows-learner-frame"))
    done = tutor("explain", str(saved), lang="es")
    assert done.returncode == 0, done.stderr
    assert "Falló una aserción dentro de un kernel de la GPU" in done.stdout
    assert "main.py, línea 214, en train_one_epoch" in done.stdout
    assert "CUDA_LAUNCH_BLOCKING=1" in done.stdout
    assert "Ninguna lección del curso enseña este tipo de error." in done.stdout


def test_explain_reads_standard_input_as_json() -> None:
    done = tutor("explain", "-", "--json", stdin=corpus_text("dataloader-stack-learner-collate"))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["diagnosis"]["kind"] == "shape_mismatch"
    assert answer["diagnosis"]["message"].startswith("stack expects each tensor to be equal size")
    assert answer["frame"] == {"path": "/home/uzma/TR-MISR/src/utils.py", "line": 114, "function": "collateFunction"}
    assert answer["forward_frame"] is None
    # starters that raise it first, then lessons where a wrong fix does
    assert answer["lessons"] == ["scores-without-transpose", "cross-entropy-unflattened", "view-after-transpose",
                                 "broadcast-token-loss"]


def test_explain_a_real_traceback_from_the_learners_own_files(own_project: Path, own_traceback: str) -> None:
    for lang, words in (("en", "line 9, in forward"), ("es", "línea 9, en forward")):
        done = tutor("explain", stdin=own_traceback, lang=lang)  # FILE left out: standard input
        assert done.returncode == 0, done.stderr
        assert f"{own_project / 'model.py'}, {words}" in done.stdout  # model.py called torch, not train.py
        assert "return self.tok(ids)" in done.stdout  # the learner's own code line
        assert "generate-past-block-size" in done.stdout
    answer = json.loads(tutor("explain", "--json", stdin=own_traceback).stdout)
    assert answer["diagnosis"]["kind"] == "index_error" and answer["frame"]["line"] == 9


def test_a_pipe_from_the_learners_script_into_explain(own_project: Path) -> None:
    shell = f"{sys.executable} train.py 2>&1 | {sys.executable} -m tutor explain - --json"
    done = subprocess.run(shell, shell=True, cwd=own_project, capture_output=True, text=True, timeout=120, env=ENV)
    assert json.loads(done.stdout)["frame"]["path"].endswith("model.py")


def test_explain_text_without_an_error() -> None:
    done = tutor("explain", stdin="epoch 1: loss 2.31\nepoch 2: loss 2.10\n")
    assert done.returncode == 1
    assert "There is no error in this text" in done.stdout


def test_explain_a_missing_file() -> None:
    done = tutor("explain", "/nonexistent/error")
    assert done.returncode == 2 and "no such file" in done.stderr


INPLACE_SCRIPT = """\
import sys
print("args:", sys.argv[1:], flush=True)
import torch
x = torch.randn(4, requires_grad=True)
y = x.exp()
y.add_(1)
y.sum().backward()
"""


@pytest.fixture
def inplace_script(tmp_path: Path) -> Path:
    script = tmp_path / "train.py"
    script.write_text(INPLACE_SCRIPT)
    return script


def test_run_reruns_with_anomaly_and_names_the_forward_line(inplace_script: Path) -> None:
    done = tutor("run", "--rerun", "train.py", "--lr", "3", cwd=inplace_script.parent)
    assert done.returncode == 1  # the script's own exit status
    assert done.stdout.count("args: ['--lr', '3']") == 2  # its output as it came, twice: both runs
    err = done.stderr
    first, _, rerun = err.partition("Running the script again with anomaly detection on...")
    assert rerun, err
    assert "is at version 1; expected version 0" in first and "a tensor saved for backward was modified in place" in first
    assert "Error detected in ExpBackward0" in rerun  # torch's own anomaly warning, streamed
    assert "The forward line that made the saved tensor" in rerun
    assert f"{inplace_script}, line 5, in <module>" in rerun and "y = x.exp()" in rerun


def test_run_without_a_terminal_only_says_how_to_rerun(inplace_script: Path) -> None:
    done = tutor("run", "train.py", cwd=inplace_script.parent, lang="es")
    assert done.returncode == 1
    assert "Error detected in" not in done.stderr  # not run again: nobody was there to say yes
    assert "ejecútalo otra vez con la detección de anomalías: minigpt-tutor run --anomaly train.py" in done.stderr


def test_run_with_anomaly_from_the_start(inplace_script: Path) -> None:
    done = tutor("run", "--anomaly", "train.py", cwd=inplace_script.parent)
    assert done.returncode == 1
    assert done.stderr.count("Traceback (most recent call last):") == 1
    assert "The forward line that made the saved tensor" in done.stderr and "y = x.exp()" in done.stderr


def test_run_keeps_the_scripts_exit_status_folder_and_interpreter(tmp_path: Path) -> None:
    script = tmp_path / "ok.py"
    script.write_text("import os, sys\nprint(os.getcwd())\nprint(sys.executable)\nsys.exit(int(sys.argv[1]))\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = tutor("run", str(script), "0", cwd=elsewhere)
    assert done.returncode == 0 and done.stdout.split() == [str(elsewhere), sys.executable]
    assert done.stderr == ""
    assert tutor("run", str(script), "3", cwd=elsewhere).returncode == 3


def test_run_never_imports_torch_in_the_tutor(inplace_script: Path) -> None:
    code = ("import sys; from tutor.cli import main; status = main(['run', '--rerun', 'train.py']); "
            "assert 'torch' not in sys.modules, 'torch in the tutor'; sys.exit(status)")
    done = subprocess.run([sys.executable, "-c", code], cwd=inplace_script.parent, capture_output=True, text=True,
                          timeout=120, env=ENV)
    assert done.returncode == 1 and "torch in the tutor" not in done.stderr
    assert "y = x.exp()" in done.stderr


def test_run_a_missing_script(tmp_path: Path) -> None:
    done = tutor("run", "nope.py", cwd=tmp_path)
    assert done.returncode == 2 and "nope.py: no such file" in done.stderr


def test_run_at_a_terminal_asks_before_running_again(inplace_script: Path) -> None:
    """With a terminal on stdin and stderr the learner is asked; 'y' runs the script again in anomaly mode."""
    import pty
    import select

    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "tutor", "--lang", "en", "run", "train.py"],
                               cwd=inplace_script.parent, stdin=terminal, stdout=subprocess.PIPE, stderr=terminal,
                               env=ENV)
    os.close(terminal)
    seen, answered = b"", False
    try:
        while True:
            ready, _, _ = select.select([controller], [], [], 60)
            assert ready, f"no output for 60 s: {seen[-500:]!r}"
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed: the tutor exited
                break
            if not chunk:
                break
            seen += chunk
            if not answered and b"[y/N]" in seen:
                os.write(controller, b"y\n")
                answered = True
    finally:
        os.close(controller)
        status = process.wait(timeout=60)
    text = seen.decode("utf-8", "replace")
    assert answered and status == 1
    assert "Running the script again with anomaly detection on" in text
    assert "y = x.exp()" in text.split("Running the script again")[1]
