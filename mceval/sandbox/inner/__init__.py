"""The code that runs inside a sandbox: supervisor, zygote and test children (standard library only).

Loaded by launch.py from this folder before isolation; the grader imports `wire` and `codec` too.
"""
