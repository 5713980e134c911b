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
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

enum { SIN, COS, TAN, NFUNC };
static PyObject *slow[NFUNC];

static const double SMALL = 0x1p-20, LARGE = 0x1p20;

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
    if (suspect && slow[which] != NULL) {
        PyObject *xf = PyFloat_FromDouble(x);
        if (xf == NULL)
            return NULL;
        PyObject *r = PyObject_CallOneArg(slow[which], xf);
        Py_DECREF(xf);
        return r;
    }
    return PyFloat_FromDouble(y);
}

static PyObject *acc_sin(PyObject *m, PyObject *x) { return trig(x, SIN); }
static PyObject *acc_cos(PyObject *m, PyObject *x) { return trig(x, COS); }
static PyObject *acc_tan(PyObject *m, PyObject *x) { return trig(x, TAN); }

static PyObject *
set_slow(PyObject *m, PyObject *args)
{
    const char *name;
    PyObject *f;
    if (!PyArg_ParseTuple(args, "sO", &name, &f))
        return NULL;
    static const char *names[NFUNC] = {"sin", "cos", "tan"};
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
