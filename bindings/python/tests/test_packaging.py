"""`pip install ./bindings/python` offline, into a fresh virtual environment:
the package imports without PYTHONPATH, finds the library copied next to it
(GATEHOUSE_LIB at install time), through GATEHOUSE_LIB (a file or a folder) at
import, or says how to get one."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(HERE)
PROBE = ("import gatehouse, gatehouse.wsgi, gatehouse.asgi, os; "
         "gw = gatehouse.Gateway({'gatehouse': 1, 'upstreams': {'a': {'targets': ['http://127.0.0.1:9']}}, "
         "'routes': [{'method': 'GET', 'path': '/x', 'upstream': 'a'}]}); d = gw.decide('GET', '/x'); "
         "print(d.verdict, gatehouse._native._lib._name, os.path.exists(os.path.join(os.path.dirname(gatehouse.__file__), 'py.typed')))")


def library():
    lib = os.environ.get("GATEHOUSE_LIB") or os.path.join(PACKAGE, "..", "..", "build", "libgatehouse.so")
    return os.path.abspath(lib)


class Packaging(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.venv = os.path.join(cls.tmp.name, "venv")
        subprocess.run([sys.executable, "-m", "venv", cls.venv], check=True)
        cls.python = os.path.join(cls.venv, "bin", "python")
        cls.env = {k: v for k, v in os.environ.items() if k not in ("GATEHOUSE_LIB", "PYTHONPATH")}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def pip_install(self, **env):
        r = subprocess.run([self.python, "-m", "pip", "install", "--no-index", "--force-reinstall", "-q", PACKAGE],
                           env=dict(self.env, **env), cwd=self.tmp.name, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)

    def probe(self, **env):
        return subprocess.run([self.python, "-c", PROBE], env=dict(self.env, **env), cwd=self.tmp.name,
                              capture_output=True, text=True)

    def test_library_bundled_at_install(self):
        self.pip_install(GATEHOUSE_LIB=library())
        r = self.probe()
        self.assertEqual(r.returncode, 0, r.stderr)
        verdict, path, typed = r.stdout.split()
        self.assertEqual(verdict, "forward")
        self.assertTrue(path.startswith(self.venv) and path.endswith("gatehouse/libgatehouse.so"), path)
        self.assertEqual(typed, "True")

    def test_library_named_at_import(self):
        self.pip_install()
        r = self.probe()
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Set GATEHOUSE_LIB", r.stderr)  # the error says the way out
        for named in (library(), os.path.dirname(library())):  # the file, or its folder
            r = self.probe(GATEHOUSE_LIB=named)
            self.assertEqual(r.returncode, 0, r.stderr)
            loaded = r.stdout.split()[1]
            self.assertEqual(os.path.realpath(loaded), os.path.realpath(library()))


if __name__ == "__main__":
    unittest.main()
