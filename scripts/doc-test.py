#!/usr/bin/env python3
"""Runs the code blocks of the README, docs/ and examples/*/README.md against
the built tree, so that a doc that drifts from the code fails `make test`.

  usage: scripts/doc-test.py BUILD_DIR [MARKDOWN_FILE...]

What runs, by the block's language:
  (a block without its tool here, go, counts as skipped)
  sh      run with bash -e in a fresh scratch directory holding `build`,
          `examples` and `tests` (links into the tree), build/bin on PATH.
          A block written as a transcript (`$ command` lines, each followed by
          its output; a command may go on over lines ending in a backslash)
          has each output compared exactly.
  c       a whole program (has main) is compiled, linked and run; a fragment
          is compiled with -Wall -Werror into a function and linked against
          the library (so a renamed function or a changed argument list fails),
          and run too when marked `run`.
  python  run with the binding on PYTHONPATH and GATEHOUSE_LIB set.
  go      a main package, run with `go run` in a module that points at
          bindings/go, linked against the build (cgo).
  json    parsed.
An HTML comment on the line before the fence configures the block:
  <!-- doc-test: skip: REASON -->     not run here (REASON says what runs it)
  <!-- doc-test: setup: SHELL -->     run first, in the same shell (sh) or the
                                      same scratch directory (c, python)
  <!-- doc-test: vars: TEXT -->       C declarations at file scope, or Python
                                      lines, put before the fragment
  <!-- doc-test: run -->              run a C fragment, not just link it
Several may be given in one comment, separated by ' ;; '.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FENCE = re.compile(r"^```(\w*)\s*$")
NOTE = re.compile(r"^<!--\s*doc-test:\s*(.*?)\s*-->\s*$")
RUNNABLE = ("sh", "c", "python", "go", "json")


def blocks(path):
    """(line number, language, code, options) for each fenced block of a runnable language."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, lang = i, m.group(1)
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            i += 1
        if lang in RUNNABLE:
            opts = {}
            note = NOTE.match(lines[start - 1]) if start else None
            for part in (note.group(1).split(" ;; ") if note else []):
                key, _, value = part.partition(":")
                opts[key.strip()] = value.strip()
            yield start + 1, lang, "\n".join(lines[start + 1 : i]), opts
        i += 1


def scratch(build):
    d = tempfile.mkdtemp(prefix="doc-test-")
    os.symlink(os.path.abspath(build), os.path.join(d, "build"))
    for name in ("examples", "tests"):
        os.symlink(os.path.join(ROOT, name), os.path.join(d, name))
    return d


def environment(build):
    env = dict(os.environ)
    bindir = os.path.join(os.path.abspath(build), "bin")
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = os.path.join(ROOT, "bindings", "python")
    env["GATEHOUSE_LIB"] = os.path.join(os.path.abspath(build), "libgatehouse.so")
    return env


def run(cmd, cwd, env, stdin=None):
    p = subprocess.run(cmd, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def transcript(code):
    """[(command, expected output)] when the block is a `$ command` transcript, else None."""
    if not code.lstrip().startswith("$ "):
        return None
    steps = []
    continued = False
    for line in code.split("\n"):
        if continued:  # a command's line ending in a backslash goes on
            steps[-1][0] += "\n" + line
        elif line.startswith("$ "):
            steps.append([line[2:], []])
        else:
            steps[-1][1].append(line)
        continued = (continued or line.startswith("$ ")) and line.endswith("\\")
    return [(c, "\n".join(out).rstrip("\n") + "\n" if out else "") for c, out in steps]


def check_sh(code, opts, cwd, env):
    setup = opts.get("setup", "")
    steps = transcript(code)
    if steps is None:
        rc, out, err = run(["bash", "-e", "-o", "pipefail", "-c", setup + "\n" + code], cwd, env)
        return None if rc == 0 else f"exit {rc}\n{out}{err}"
    if setup:
        rc, out, err = run(["bash", "-e", "-c", setup], cwd, env)
        if rc:
            return f"setup: exit {rc}\n{err}"
    for cmd, want in steps:
        rc, out, err = run(["bash", "-o", "pipefail", "-c", cmd], cwd, env)
        if out != want:
            return f"`{cmd}` printed:\n{out}{err}\nthe doc shows:\n{want}"
    return None


def check_c(code, opts, cwd, env, build):
    includes = "\n".join(l for l in code.split("\n") if l.startswith("#include"))
    body = "\n".join(l for l in code.split("\n") if not l.startswith("#include"))
    whole = re.search(r"\bint\s+main\s*\(", code) is not None
    prelude = "#include <gatehouse.h>\n#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
    if whole:
        source = prelude + includes + "\n" + body
    else:
        call = "doc_fragment();" if "run" in opts else "(void)doc_fragment;"
        source = (prelude + includes + "\n" + opts.get("vars", "") + "\nstatic void doc_fragment(void) {\n" + body +
                  "\n}\nint main(void) {\n  " + call + "\n  return 0;\n}\n")
    with open(os.path.join(cwd, "doc.c"), "w") as f:
        f.write(source)
    lib = os.path.abspath(build)
    cmd = ["cc", "-std=c11", "-D_POSIX_C_SOURCE=200809L", "-Wall", "-Werror", "-Wno-unused-variable",
           "-Wno-unused-but-set-variable", "-Wno-unused-function", "-I" + os.path.join(ROOT, "include"), "doc.c",
           "-o", "doc", "-L" + lib, "-lgatehouse", "-Wl,-rpath," + lib]
    rc, out, err = run(cmd, cwd, env)
    if rc:
        return f"does not compile:\n{err}\n--- as compiled:\n{source}"
    if opts.get("setup"):
        rc, out, err = run(["bash", "-e", "-c", opts["setup"]], cwd, env)
        if rc:
            return f"setup: exit {rc}\n{err}"
    if whole or "run" in opts:
        rc, out, err = run(["./doc"], cwd, env)
        if rc:
            return f"exit {rc}\n{out}{err}"
    return None


def check_python(code, opts, cwd, env):
    if opts.get("setup"):
        rc, out, err = run(["bash", "-e", "-c", opts["setup"]], cwd, env)
        if rc:
            return f"setup: exit {rc}\n{err}"
    source = opts.get("vars", "").replace(" ;; ", "\n") + "\n" + code
    rc, out, err = run([sys.executable, "-c", source], cwd, env)
    return None if rc == 0 else f"exit {rc}\n{out}{err}"


def check_go(code, opts, cwd, env, build):
    if opts.get("setup"):
        rc, out, err = run(["bash", "-e", "-c", opts["setup"]], cwd, env)
        if rc:
            return f"setup: exit {rc}\n{err}"
    lib = os.path.abspath(build)
    with open(os.path.join(cwd, "go.mod"), "w") as f:
        f.write("module doc\n\ngo 1.19\n\nrequire gatehouse v0.0.0\n\nreplace gatehouse => %s\n"
                % os.path.join(ROOT, "bindings", "go"))
    with open(os.path.join(cwd, "main.go"), "w") as f:
        f.write(code + "\n")
    go_env = dict(env, PKG_CONFIG_PATH=os.path.join(lib, "pkgconfig-build"), GOCACHE=os.path.join(lib, "go-cache"), GOFLAGS="-mod=mod", GOTOOLCHAIN="local")
    rc, out, err = run(["go", "run", "."], cwd, go_env)
    return None if rc == 0 else f"exit {rc}\n{out}{err}"


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if len(sys.argv) > 1 else 2
    build = sys.argv[1]
    files = sys.argv[2:] or (["README.md"] + sorted("docs/" + f for f in os.listdir(os.path.join(ROOT, "docs"))
                                                     if f.endswith(".md")) +
                             sorted(f"examples/{d}/README.md" for d in os.listdir(os.path.join(ROOT, "examples"))
                                    if os.path.exists(os.path.join(ROOT, "examples", d, "README.md"))))
    env = environment(build)
    passed = skipped = 0
    failures = []
    for rel in files:
        for line, lang, code, opts in blocks(os.path.join(ROOT, rel)):
            where = f"{rel}:{line} ({lang})"
            if "skip" in opts:
                if not opts["skip"]:
                    failures.append(f"{where}: a skip must say why and what runs it instead")
                skipped += 1
                continue
            cwd = scratch(build)
            try:
                if lang == "sh":
                    why = check_sh(code, opts, cwd, env)
                elif lang == "c":
                    why = check_c(code, opts, cwd, env, build)
                elif lang == "python":
                    why = check_python(code, opts, cwd, env)
                elif lang == "go":
                    why = check_go(code, opts, cwd, env, build) if shutil.which("go") else None
                    if why is None and not shutil.which("go"):
                        skipped += 1
                        continue
                else:
                    try:
                        json.loads(code)
                        why = None
                    except ValueError as e:
                        why = f"not JSON: {e}"
            finally:
                subprocess.run(["rm", "-rf", cwd])
            if why:
                failures.append(f"{where}: {why}")
            else:
                passed += 1
    for f in failures:
        print("FAIL: " + f, file=sys.stderr)
    print(f"docs: {passed} blocks passed, {len(failures)} failed, {skipped} skipped (each names what runs it)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
