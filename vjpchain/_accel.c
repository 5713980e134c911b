/* vjpchain._accel: optional C versions of small float64 functions of vjpchain.
 *
 * Each gives the same bits as its pure-Python twin (the readable reference, used when this
 * module is not built): the same libm call, the same test of the result, and the same
 * accurate phase, which stays in Python (mpmath) and is called back for the rare suspect
 * argument. What C saves is the Python frame around a libm call, about 60 ns, which is a
 * quarter of a chain step.
 *
 * sin, cos, tan: glibc reduces the argument to about 2**-94 absolute, so a result next to a
 * zero (an argument next to a multiple of pi/2) can be thousands of ulps off; where
 * |result| < 2**-20 (for sin and tan only past |x| > 3, where such a multiple other than 0
 * exists), or |tan| > 2**20, the slow path registered by set_slow recomputes it. See
 * vjpchain/elementary.py for the reasoning and the pure-Python twin.
 *
 * tanh: the double-double kernel tanh of vjpchain/float64/kern_primal.py (E/(E + 2) with
 * E = expm1(2|x|) from dd_expm1_scaled, _exp_parts and _exp_reduced of dd.py), operation for
 * operation in the same order, so that every rounding is the same: each two_sum, Veltkamp
 * split, the 1.5*2**52 rounding trick, ldexp by the same exponent, the F.where/F.minimum/
 * F.maximum selections as FloatOps makes them (a nan compares false). Its constants (the
 * 2**(j/32) table, 32/ln2, the parts of ln2/32, 1/i!, the splitter ...) are not retyped:
 * set_exp_tables receives the very floats of dd.py at import. Plain literals of the Python
 * code (0.5, 2.0, 15.5, 0.03125, 32.0, 20.0) are exact and written as they are there.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

enum { SIN, COS, TAN, TANH, NFUNC };
static PyObject *slow[NFUNC];

static const double SMALL = 0x1p-20, LARGE = 0x1p20;

/* The Python slow path registered for function ``which``, called with the float x. */
static PyObject *
call_slow(int which, double x)
{
    PyObject *xf = PyFloat_FromDouble(x);
    if (xf == NULL)
        return NULL;
    PyObject *r = PyObject_CallOneArg(slow[which], xf);
    Py_DECREF(xf);
    return r;
}

static PyObject *
trig(PyObject *arg, int which)
{
    double x = PyFloat_AsDouble(arg);
    if (x == -1.0 && PyErr_Occurred())
        return NULL;
    if (isinf(x)) {
        PyErr_SetString(PyExc_ValueError, "math domain error");  /* as math.sin(inf) */
        return NULL;
    }
    double y, ay, ax = fabs(x);
    int suspect;
    switch (which) {
    case SIN:
        y = sin(x);
        ay = fabs(y);
        suspect = ay < SMALL && ax > 3.0;
        break;
    case COS:
        y = cos(x);
        suspect = fabs(y) < SMALL;
        break;
    default:
        y = tan(x);
        ay = fabs(y);
        suspect = (ay < SMALL && ax > 3.0) || ay > LARGE;
        break;
    }
    if (suspect && slow[which] != NULL)
        return call_slow(which, x);
    return PyFloat_FromDouble(y);
}

static PyObject *acc_sin(PyObject *m, PyObject *x) { return trig(x, SIN); }
static PyObject *acc_cos(PyObject *m, PyObject *x) { return trig(x, COS); }
static PyObject *acc_tan(PyObject *m, PyObject *x) { return trig(x, TAN); }

/* ---- the double-double tanh kernel ------------------------------------------------------ */

static int tables_set;
static double INV_LN2_32, LN2_32_C1, LN2_32_NEG_C2, LN2_32_C3, RINT_MAGIC, SPLITTER,
    EXP_XMAX, TANH_TINY;
static double TAB_HI[32], TAB_LO[32], INV_FACT[9];

/* FloatOps.ldexp: math.ldexp(m, int(e)); e holds a small integer here (|e| <= 2**12), where
 * math.ldexp is C's ldexp (overflow to a signed inf, which FloatOps returns too) */
static double
f_ldexp(double m, double e)
{
    return ldexp(m, (int)e);
}

/* FloatOps.maximum / minimum: a if a > b else b, a if a < b else b */
static double f_maximum(double a, double b) { return a > b ? a : b; }
static double f_minimum(double a, double b) { return a < b ? a : b; }

/* dd.py's error-free transformations, operation for operation (two_sum, fast_two_sum,
 * two_prod with Veltkamp's split); each returns the rounded result and stores the error */
static inline double
two_sum(double a, double b, double *err)
{
    double s = a + b;
    double bb = s - a;
    *err = (a - (s - bb)) + (b - bb);
    return s;
}

static inline double
fast_two_sum(double a, double b, double *err)
{
    double s = a + b;
    *err = b - (s - a);
    return s;
}

static inline double
two_prod(double a, double b, double *err)
{
    double p = a * b;
    double c = SPLITTER * a;
    double ah = c - (c - a), al = a - ah;
    c = SPLITTER * b;
    double bh = c - (c - b), bl = b - bh;
    *err = (((ah * bh - p) + ah * bl) + al * bh) + al * bl;
    return p;
}

static double
tanh_kernel(double x)
{
    /* kern_primal.tanh */
    double a = f_minimum(fabs(x), 20.0);
    /* dd_expm1_scaled(2.0 * a, 0.0) -> _exp_parts */
    double xh = 2.0 * a, xl0 = 0.0;
    double xr = xh == xh ? xh : 0.0;
    xr = f_minimum(f_maximum(xr, -EXP_XMAX), EXP_XMAX);
    double xl = fabs(xh) <= EXP_XMAX ? xl0 : 0.0;
    /* _exp_reduced(xr, xl) */
    double n = (xr * INV_LN2_32 + RINT_MAGIC) - RINT_MAGIC;
    double k = ((n - 15.5) * 0.03125 + RINT_MAGIC) - RINT_MAGIC;
    double ra = xr - n * LN2_32_C1;
    double rb = n * LN2_32_NEG_C2;
    double s = ra + rb;
    double bb = s - ra;
    double t = (ra - (s - bb)) + (rb - bb);
    rb = t + (xl - n * LN2_32_C3);
    double rh = s + rb;
    bb = rh - s;
    double rl = (s - (rh - bb)) + (rb - bb);
    double c = SPLITTER * rh;
    double hh = c - (c - rh);
    double hl = rh - hh;
    double ph = rh * rh;
    double pl = ((hh * hh - ph) + 2.0 * (hh * hl)) + hl * hl;
    const double *f = INV_FACT;
    double tail = (ph * rh) * (f[3] + rh * (f[4] + rh * (f[5] + rh * (f[6] + rh * (f[7]
                                                                           + rh * f[8])))));
    double q = 0.5 * ph;
    s = rh + q;
    double e = q - (s - rh);
    double low = e + (rl + (rh * rl + (0.5 * pl + tail)));
    double eh = s + low;
    double el = low - (eh - s);
    int j = (int)(n - 32.0 * k);
    double th = TAB_HI[j], tl = TAB_LO[j];
    /* back in dd_expm1_scaled */
    double k1 = f_maximum(k, 0.0);
    double k2 = k - k1;
    double ah = f_ldexp(th, k2), al = f_ldexp(tl, k2);
    /* dd_mul(ah, al, eh, el) */
    double pe, bl;
    double p = two_prod(ah, eh, &pe);
    double bh = fast_two_sum(p, pe + (ah * el + al * eh), &bl);
    /* two_sum(ah, -ldexp(1.0, -k1)) */
    double sl;
    double sh = two_sum(ah, -f_ldexp(1.0, -k1), &sl);
    /* dd_add(sh, sl + al, bh, bl) */
    double e1, t1, f1, il;
    double s1 = two_sum(sh, bh, &e1);
    t1 = two_sum(sl + al, bl, &f1);
    e1 = e1 + t1;
    double s2 = fast_two_sum(s1, e1, &e1);
    e1 = e1 + f1;
    double ih = fast_two_sum(s2, e1, &il);
    /* back in tanh: two_sum(ih, ldexp(2.0, -k1)) */
    double dl;
    double dh = two_sum(ih, f_ldexp(2.0, -k1), &dl);
    int regular = a >= TANH_TINY;
    /* dd_div(ih, il, dh, dl + il)[0]: the high part of fast_two_sum(q, r / dh) */
    double dbl = dl + il;
    double pq;
    double qq = ih / dh;
    double pp = two_prod(qq, dh, &pq);
    double r = (((ih - pp) - pq) + il) - qq * dbl;
    double y = qq + r / dh;
    /* _keep_nan(x, copysign(where(regular, q, a), x)) */
    y = copysign(regular ? y : a, x);
    return x == x ? y : x;
}

static PyObject *
acc_tanh(PyObject *m, PyObject *arg)
{
    double x;
    if (PyFloat_CheckExact(arg)) {
        x = PyFloat_AS_DOUBLE(arg);
    }
    else {  /* float(arg), as real_kernel does (a float subclass's own __float__ too) */
        PyObject *xf = PyNumber_Float(arg);
        if (xf == NULL)
            return NULL;
        x = PyFloat_AS_DOUBLE(xf);
        Py_DECREF(xf);
    }
    if (!tables_set) {
        PyErr_SetString(PyExc_RuntimeError, "vjpchain._accel.tanh: set_exp_tables not called");
        return NULL;
    }
    double y = tanh_kernel(x);
    if (y != y && x == x && slow[TANH] != NULL)
        /* a nan made from a number (never, for tanh): the Python path raises as it does */
        return call_slow(TANH, x);
    return PyFloat_FromDouble(y);
}

static int
read_doubles(PyObject *seq, double *out, Py_ssize_t n, const char *what)
{
    PyObject *fast = PySequence_Fast(seq, what);
    if (fast == NULL)
        return -1;
    if (PySequence_Fast_GET_SIZE(fast) != n) {
        PyErr_Format(PyExc_ValueError, "%s: %zd values expected", what, n);
        Py_DECREF(fast);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *v = PySequence_Fast_GET_ITEM(fast, i);
        if (!PyFloat_CheckExact(v)) {
            PyErr_Format(PyExc_TypeError, "%s: floats expected", what);
            Py_DECREF(fast);
            return -1;
        }
        out[i] = PyFloat_AS_DOUBLE(v);
    }
    Py_DECREF(fast);
    return 0;
}

static PyObject *
set_exp_tables(PyObject *m, PyObject *args)
{
    PyObject *hi, *lo, *fact;
    double v[8];
    if (!PyArg_ParseTuple(args, "ddddddddOOO", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                          &v[6], &v[7], &hi, &lo, &fact))
        return NULL;
    double h[32], l[32], fc[9];
    if (read_doubles(hi, h, 32, "table of 2**(j/32), high parts") < 0
        || read_doubles(lo, l, 32, "table of 2**(j/32), low parts") < 0
        || read_doubles(fact, fc, 9, "1/i!") < 0)
        return NULL;
    INV_LN2_32 = v[0];
    LN2_32_C1 = v[1];
    LN2_32_NEG_C2 = v[2];
    LN2_32_C3 = v[3];
    RINT_MAGIC = v[4];
    SPLITTER = v[5];
    EXP_XMAX = v[6];
    TANH_TINY = v[7];
    memcpy(TAB_HI, h, sizeof h);
    memcpy(TAB_LO, l, sizeof l);
    memcpy(INV_FACT, fc, sizeof fc);
    tables_set = 1;
    Py_RETURN_NONE;
}

static PyObject *
list_of(const double *v, Py_ssize_t n)
{
    PyObject *list = PyList_New(n);
    if (list == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *f = PyFloat_FromDouble(v[i]);
        if (f == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, f);
    }
    return list;
}

static PyObject *
get_exp_tables(PyObject *m, PyObject *unused)
{
    if (!tables_set)
        Py_RETURN_NONE;
    return Py_BuildValue("ddddddddNNN", INV_LN2_32, LN2_32_C1, LN2_32_NEG_C2, LN2_32_C3,
                         RINT_MAGIC, SPLITTER, EXP_XMAX, TANH_TINY, list_of(TAB_HI, 32),
                         list_of(TAB_LO, 32), list_of(INV_FACT, 9));
}

static PyObject *
set_slow(PyObject *m, PyObject *args)
{
    const char *name;
    PyObject *f;
    if (!PyArg_ParseTuple(args, "sO", &name, &f))
        return NULL;
    static const char *names[NFUNC] = {"sin", "cos", "tan", "tanh"};
    for (int i = 0; i < NFUNC; i++) {
        if (strcmp(name, names[i]) == 0) {
            Py_INCREF(f);
            Py_XSETREF(slow[i], f);
            Py_RETURN_NONE;
        }
    }
    PyErr_Format(PyExc_KeyError, "no accelerated function %s", name);
    return NULL;
}

static PyMethodDef methods[] = {
    {"sin", acc_sin, METH_O, "sin(x), libm's value rechecked next to its zeros"},
    {"cos", acc_cos, METH_O, "cos(x), libm's value rechecked next to its zeros"},
    {"tan", acc_tan, METH_O, "tan(x), libm's value rechecked next to its zeros and poles"},
    {"tanh", acc_tanh, METH_O, "tanh(x), the double-double kernel of kern_primal.tanh"},
    {"set_exp_tables", set_exp_tables, METH_VARARGS,
     "set_exp_tables(32/ln2, c1, -c2, c3, 1.5*2**52, 2**27 + 1, 2800, 2**-27, hi, lo, 1/i!)"},
    {"get_exp_tables", get_exp_tables, METH_NOARGS, "the constants given to set_exp_tables"},
    {"set_slow", set_slow, METH_VARARGS, "set_slow(name, f): the accurate phase of function name"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "vjpchain._accel",
    "Optional C versions of small float64 functions (same bits as the Python ones).",
    -1, methods,
};

PyMODINIT_FUNC
PyInit__accel(void)
{
    return PyModule_Create(&module);
}
