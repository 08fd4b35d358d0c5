#!/usr/bin/env python3
"""Runs the black-box API suite: one line per test (ok / not ok), failure details, a summary.

usage: run.py [--crmd PATH] [--dir DIR] [-k SUBSTRING] [-x SUBSTRING]... [-q] [module ...]
The last line is "api: N passed, N failed"; exit status 0 only if nothing failed.
"""

import argparse
import importlib
import os
import signal
import sys
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def discover_modules(where):
    """Every test_*.py of the directory, in name order: a new file runs without being listed."""
    return sorted(name[:-3] for name in os.listdir(where) if name.startswith("test_") and name.endswith(".py"))


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def short_exc(exc_info, harness):
    """A compact failure description: the message plus where in the tests it happened."""
    etype, ev, tb = exc_info
    if isinstance(ev, harness.HarnessError):
        return "harness: %s" % ev
    frames = [f for f in traceback.extract_tb(tb) if f.filename.startswith(os.path.dirname(HERE))]
    where = ["%s:%d: %s" % (os.path.basename(f.filename), f.lineno, (f.line or "").strip())
             for f in (frames if len(frames) <= 3 else frames[:1] + frames[-2:])]
    if isinstance(ev, AssertionError):
        return "\n".join(where + ["AssertionError: %s" % ev])
    return "\n".join(where + ["".join(traceback.format_exception_only(etype, ev)).rstrip()])


class Runner:
    def __init__(self, harness, quiet=False):
        self.h = harness
        self.n = 0
        self.passed = 0
        self.failed = 0
        self.failures = []
        self.quiet = quiet

    def log_since(self, srv, offset):
        """The server's log lines written since `offset` (the current test's), at most 30."""
        try:
            with open(srv.log_path, "rb") as f:
                f.seek(offset or 0)
                lines = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return []
        return lines[-30:]

    def report(self, name, ok, detail=None, secs=None, server_log=True, log_offset=None):
        self.n += 1
        if ok:
            self.passed += 1
            if not self.quiet:
                print("ok %d - %s%s" % (self.n, name, " (%.1fs)" % secs if secs and secs > 2 else ""))
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            if detail:
                for ln in detail.splitlines():
                    print("#   " + ln)
            srv = self.h.SERVER
            if server_log and srv is not None:
                if log_offset is not None:
                    lines = self.log_since(srv, log_offset)
                    what = "during this test"
                else:
                    lines = srv.log_tail(25).splitlines()
                    what = "last lines"
                print("#   --- server stderr (%s, %s) ---" % (what, srv.log_path))
                for ln in lines:
                    print("#   | " + ln)
            self.failures.append(name)
        sys.stdout.flush()

    def run_module(self, modname, pattern, exclude=()):
        try:
            mod = importlib.import_module(modname)
        except Exception:
            self.report(modname + " (import)", False, traceback.format_exc(), server_log=False)
            return
        backends = getattr(mod, "BACKENDS", ("sqlite", "postgres"))
        if self.h.BACKEND not in backends:
            print("# %s: not for the %s backend (its BACKENDS: %s)" % (modname, self.h.BACKEND, ", ".join(backends)))
            return
        tests = [t for t in iter_tests(unittest.defaultTestLoader.loadTestsFromModule(mod))
                 if (not pattern or pattern in t.id()) and not any(x in t.id() for x in exclude)]
        if not tests:
            if not pattern and not exclude:
                # A test file that defines no test at all is a mistake (a renamed base class,
                # a bad indent), not a pass.
                self.report(modname + " (no tests found)", False, server_log=False)
            return
        setup = getattr(mod, "setUpModule", None)
        if setup:
            try:
                setup()
            except Exception:
                msg = short_exc(sys.exc_info(), self.h)
                first = True
                for t in tests:
                    self.report(self.name(t), False, ("setUpModule failed: " + msg) if first
                                else "setUpModule failed (see above)", server_log=first)
                    first = False
                self._teardown_module(mod)
                return
        try:
            by_class = {}
            for t in tests:
                by_class.setdefault(type(t), []).append(t)
            for cls, ctests in by_class.items():
                try:
                    cls.setUpClass()
                except Exception:
                    msg = short_exc(sys.exc_info(), self.h)
                    for t in ctests:
                        self.report(self.name(t), False, "setUpClass failed: " + msg)
                    continue
                for t in ctests:
                    self.run_test(t)
                try:
                    cls.tearDownClass()
                except Exception:
                    self.report(cls.__name__ + " (tearDownClass)", False, traceback.format_exc())
        finally:
            self._teardown_module(mod)

    def _teardown_module(self, mod):
        td = getattr(mod, "tearDownModule", None)
        if td:
            try:
                td()
            except Exception:
                self.report(mod.__name__ + " (tearDownModule)", False, short_exc(sys.exc_info(), self.h),
                            server_log=False)

    @staticmethod
    def name(t):
        parts = t.id().split(".")
        return ".".join(parts[-3:])

    def run_test(self, t):
        h = self.h

        class Result(unittest.TestResult):
            def __init__(self):
                super().__init__()
                self.problems = []

            def addError(self, test, err):
                super().addError(test, err)
                self.problems.append(short_exc(err, h))

            def addFailure(self, test, err):
                super().addFailure(test, err)
                self.problems.append(short_exc(err, h))

        srv = h.SERVER
        if srv is not None and srv.proc is not None and not srv.alive():
            # It crashed in an earlier test (already reported): restart it on the same database so
            # one crash does not fail the rest of the module.
            print("# the server died (exit status %s); restarting it on the same database"
                  % srv.proc.returncode)
            srv.proc = None
            srv._close_log()
            try:
                srv.start()
            except Exception:
                self.report(self.name(t), False, "not run: the server died and could not be restarted: "
                            + short_exc(sys.exc_info(), h), server_log=False)
                return
        result = Result()
        offset = None
        if h.SERVER is not None:
            try:
                offset = os.path.getsize(h.SERVER.log_path)
            except OSError:
                offset = None
        h.CURRENT_TEST = self.name(t)
        t0 = time.time()
        t.run(result)
        secs = time.time() - t0
        problems = list(result.problems)
        if problems and srv is not None and srv.proc is not None:
            time.sleep(0.3)     # let a crashing server finish dying before asking
        if srv is not None and srv is h.SERVER and srv.proc is not None and not srv.alive():
            problems.append("the server DIED during this test (exit status %s)" % srv.proc.returncode)
        if result.unexpectedSuccesses:
            problems.append("unexpected success")
        if result.skipped and not problems:
            self.report(self.name(t) + " # SKIP " + result.skipped[0][1], True, secs=secs)
        elif problems:
            self.report(self.name(t), False, "\n".join(problems), secs=secs, log_offset=offset)
        else:
            self.report(self.name(t), True, secs=secs)


def main():
    # SIGTERM/SIGHUP end the run like Ctrl-C, so the harness's atexit hook stops the servers.
    def interrupted(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, interrupted)
    ap = argparse.ArgumentParser()
    ap.add_argument("--crmd", help="path to the crmd binary (default build/crmd)")
    ap.add_argument("-k", dest="pattern", help="only tests whose id contains this")
    ap.add_argument("-x", dest="exclude", action="append", default=[],
                    help="skip tests whose id contains this (repeatable)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only failures")
    ap.add_argument("--label", default="api", help="the name on the summary line (api)")
    ap.add_argument("--dir", default=HERE, help="the directory of the test modules (tests/api)")
    ap.add_argument("modules", nargs="*")
    a = ap.parse_args()
    if a.crmd:
        os.environ["CRMD"] = os.path.abspath(a.crmd)
    import harness  # after CRMD is set
    if a.crmd:
        harness.CRMD = os.path.abspath(a.crmd)
    if not os.path.isfile(harness.CRMD):
        print("# WARNING: crmd binary not found at %s; every test will fail" % harness.CRMD)
    where = os.path.abspath(a.dir)
    sys.path.insert(0, where)
    mods = [m[:-3] if m.endswith(".py") else m for m in (a.modules or discover_modules(where))]
    mods = [os.path.basename(m) for m in mods]
    r = Runner(harness, quiet=a.quiet)
    t0 = time.time()
    try:
        for m in mods:
            r.run_module(m, a.pattern, a.exclude)
    except KeyboardInterrupt:
        print("# interrupted")
        print("%s: %d passed, %d failed" % (a.label, r.passed, r.failed + 1))
        sys.exit(130)
    if r.failures:
        print("# failed tests:")
        for f in r.failures:
            print("#   " + f)
    print("# %.1fs" % (time.time() - t0))
    print("%s: %d passed, %d failed" % (a.label, r.passed, r.failed))
    sys.exit(0 if r.failed == 0 and r.passed > 0 else 1)


if __name__ == "__main__":
    main()
