"""The official TFLite runtime anchor (../shared/anchor), shared by
bench_inference.py (speed) and quality.py (masks).

../shared/anchor may be read-only, so it is copied once to a working folder
(BENCH_ANCHOR_DIR, default ${XDG_CACHE_HOME:-~/.cache}/backdrop/anchor) where
`npm ci --no-audit --no-fund` installs its pinned dependencies once; its first
run there fetches and rewrites the models into .work/ (anchor_prep.py).
"""

import os
import shutil
import stat
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"


def source_dir():
    return os.environ.get("BENCH_ANCHOR_SRC") or os.path.join(os.path.dirname(REPO), "shared", "anchor")


def work_dir():
    d = os.environ.get("BENCH_ANCHOR_DIR")
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "backdrop", "anchor")
    return d


def env():
    """Environment for run_official.cjs: its helper needs Debian's python3."""
    return dict(os.environ, PYTHON=PY)


def setup(who, src=None, work=None, log=print):
    """(working folder, None), or (None, why) when the anchor cannot run."""
    src = src or source_dir()
    work = work or work_dir()
    if not shutil.which("node") or not shutil.which("npm"):
        return None, "node/npm not found"
    if not os.path.exists(os.path.join(work, "run_official.cjs")):
        if not os.path.isdir(src):
            return None, "%s absent" % src
        # Plain copies (no read-only modes from the source), writable folders.
        shutil.copytree(src, work, dirs_exist_ok=True, copy_function=shutil.copyfile)
        for d, _, _ in os.walk(work):
            os.chmod(d, os.stat(d).st_mode | stat.S_IWUSR | stat.S_IXUSR | stat.S_IRUSR)
    if not os.path.isdir(os.path.join(work, "node_modules", "@tensorflow", "tfjs-tflite")):
        log("%s: npm ci in %s" % (who, work))
        p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=work, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            return None, "npm ci failed in %s: %s" % (work, p.stderr.strip()[-500:])
    return work, None
