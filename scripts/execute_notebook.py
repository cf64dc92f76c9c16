"""Execute a notebook headlessly in this Python (nbclient + ipykernel) and save its outputs.

    python scripts/execute_notebook.py examples/optimization_with_ipython.ipynb        # in place
    python scripts/execute_notebook.py examples/optimization_with_ipython.ipynb --out run.ipynb

The kernel is this interpreter (a kernel spec made for the run), so the notebook sees the
rbmperf of the current environment, whatever other "python3" kernels are installed. The
notebook runs in its own folder. tests/test_notebook.py runs it this way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def execute(path: Path, out: Path, timeout: int = 300) -> float:
    """Run every cell of `path` and write the notebook with its outputs to `out`; return
    the seconds it took. Raises nbclient's CellExecutionError if a cell fails."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as jupyter_path:
        spec = Path(jupyter_path) / "kernels" / "rbmperf-python"
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(
            json.dumps(
                {
                    "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    "display_name": "Python 3",
                    "language": "python",
                }
            )
        )
        previous = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [jupyter_path, previous]))
        try:
            client = NotebookClient(
                notebook,
                timeout=timeout,
                kernel_name="rbmperf-python",
                resources={"metadata": {"path": str(path.parent.resolve())}},
                record_timing=False,
            )
            began = time.perf_counter()
            client.execute()
            seconds = time.perf_counter() - began
        finally:
            if previous is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = previous
    # Keep the committed kernel name, so that the notebook opens with a user's python3.
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    nbformat.write(notebook, out)
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--out", type=Path, help="where to write (default: in place)")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell")
    args = parser.parse_args()
    seconds = execute(args.notebook, args.out or args.notebook, args.timeout)
    print(f"executed {args.notebook} in {seconds:.1f} s -> {args.out or args.notebook}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
