"""The anchors in ../shared, copied to a working folder where their pinned
npm dependencies are installed once:

- anchor: the official TFLite runtime (../shared/anchor), shared by
  bench_inference.py (speed) and quality.py (masks); working folder
  BENCH_ANCHOR_DIR, default ${XDG_CACHE_HOME:-~/.cache}/backdrop/anchor; its
  first run there fetches and rewrites the models into .work/
  (anchor_prep.py);
- anchor-rvm: Robust Video Matting on TensorFlow.js WASM
  (../shared/anchor-rvm), for bench_rvm.py; working folder
  BENCH_RVM_ANCHOR_DIR, default ${XDG_CACHE_HOME:-~/.cache}/backdrop/anchor-rvm.

../shared may be read-only, hence the copy; `npm ci --no-audit --no-fund`
runs there once.
"""

import os
import shutil
import stat
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"


# name: (folder in ../shared, working-folder variable, script, an installed module)
ANCHORS = {
    "anchor": ("anchor", "BENCH_ANCHOR_DIR", "run_official.cjs", "@tensorflow/tfjs-tflite"),
    "anchor-rvm": ("anchor-rvm", "BENCH_RVM_ANCHOR_DIR", "run_rvm.cjs", "@tensorflow/tfjs-backend-wasm"),
}


def source_dir(name="anchor"):
    if name == "anchor" and os.environ.get("BENCH_ANCHOR_SRC"):
        return os.environ["BENCH_ANCHOR_SRC"]
    return os.path.join(os.path.dirname(REPO), "shared", ANCHORS[name][0])


def work_dir(name="anchor"):
    d = os.environ.get(ANCHORS[name][1])
    if not d:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        d = os.path.join(base, "backdrop", name)
    return d


def env():
    """Environment for run_official.cjs: its helper needs Debian's python3."""
    return dict(os.environ, PYTHON=PY)


def setup_or_skip(who, enabled, knob, label, log=print, name="anchor"):
    """setup() for a speed benchmark: the working folder, or None after a line
    saying why the anchor (called label) is left out: knob=0, or setup failed."""
    if not enabled:
        log("%s: %s skipped (%s=0)" % (who, label, knob))
        return None
    work, why = setup(who, log=log, name=name)
    if work is None:
        log("%s: %s skipped: %s" % (who, label, why))
    return work


def setup(who, src=None, work=None, log=print, name="anchor"):
    """(working folder, None), or (None, why) when the anchor cannot run."""
    _, _, script, module = ANCHORS[name]
    src = src or source_dir(name)
    work = work or work_dir(name)
    if not shutil.which("node") or not shutil.which("npm"):
        return None, "node/npm not found"
    if not os.path.exists(os.path.join(work, script)):
        if not os.path.isdir(src):
            return None, "%s absent" % src
        # Plain copies (no read-only modes from the source), writable folders.
        shutil.copytree(src, work, dirs_exist_ok=True, copy_function=shutil.copyfile)
        for d, _, _ in os.walk(work):
            os.chmod(d, os.stat(d).st_mode | stat.S_IWUSR | stat.S_IXUSR | stat.S_IRUSR)
    if not os.path.isdir(os.path.join(work, "node_modules", *module.split("/"))):
        log("%s: npm ci in %s" % (who, work))
        p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=work, capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        if p.returncode != 0:
            return None, "npm ci failed in %s: %s" % (work, p.stderr.strip()[-500:])
    return work, None
