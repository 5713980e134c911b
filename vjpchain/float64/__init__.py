"""The float64 layer: double-double arithmetic and the accurate derivative kernels.

``dd`` holds the double-double operations, ``ops`` the small namespace (scalar or NumPy)
that every kernel is written against, and ``kern_*`` the kernels by family: algebraic and
trigonometric (``kern_alg``), exponential (``kern_exp``), special functions
(``kern_special``) and the partials of two-input primitives (``kern_binary``).
"""
