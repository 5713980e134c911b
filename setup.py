"""The optional C accelerator, vjpchain._accel (same bits as the pure-Python code it speeds
up). ``optional=True``: where it cannot be compiled (no compiler, no Python headers) the
install goes on without it and vjpchain runs its pure-Python twins."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "vjpchain._accel",
            ["vjpchain/_accel.c"],
            # no fused multiply-adds: every operation rounds as in Python
            extra_compile_args=["-O2", "-ffp-contract=off", "-fno-fast-math"],
            libraries=["m"],
            optional=True,
        )
    ]
)
