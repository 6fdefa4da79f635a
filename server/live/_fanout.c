/* The tick's shared frame to many sockets, with the GIL released (server/live/thread_fanout.py).
 *
 * Writing one small frame to a loopback socket costs about 9 us, nearly all of it in the
 * kernel; a Python loop doing it holds the GIL, and with it the event loop, for the whole
 * fan-out (45 ms at 5,000 sockets). Here the sends run in a worker thread without the GIL,
 * so the event loop takes votes, commits and acks on the other core meanwhile.
 *
 *   hold(fds, dups)                 # on the event loop, GIL held: a dup of each socket
 *   missed = send_all(dups, frame)  # in the worker, GIL released; closes every dup
 *
 * The dups keep each socket open until its send is done: the event loop may close a socket
 * meanwhile, and a new connection could otherwise be given its number and receive this
 * room's frame. `missed` lists (index, result) for every socket not written in full:
 * result is the bytes written (a part), or minus errno (nothing: EAGAIN when its kernel
 * queue held unsent bytes or the frame is large, EPIPE when the peer went, EMFILE when no dup
 * could be made); the caller writes what is left, in order, before anything else goes to
 * that socket.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/sockios.h>
#endif

/* A frame goes only to a socket with nothing unsent in its kernel queue (SIOCOUTQNSD; bytes
 * sent and not yet acknowledged do not count), and only up to this size: with no unsent
 * buffer to top up, TCP takes such a frame into one new buffer (GSO sizes them up to 64 KiB)
 * or refuses it whole, never in part. A part would let a frame the loop writes meanwhile
 * (the protocol's answer to a ping) land inside this one. Anything else is given back to
 * the loop, whose transport keeps the order. */
#define WHOLE_SEND_MAX 16384

static int int_array(PyObject *obj, Py_buffer *view, int writable) {
    int flags = PyBUF_FORMAT | PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0) return -1;
    if (view->itemsize != (Py_ssize_t)sizeof(int) || view->format == NULL ||
        view->format[0] != 'i' || view->format[1] != '\0') {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_TypeError, "expected an array('i')");
        return -1;
    }
    return 0;
}

/* hold(fds: array('i'), dups: array('i')) -> None: dups[i] = a close-on-exec dup of fds[i],
 * or minus errno where none could be made (a negative fd gives -EBADF). */
static PyObject *hold(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *fds_obj, *dups_obj;
    Py_buffer fds, dups;
    if (!PyArg_ParseTuple(args, "OO", &fds_obj, &dups_obj)) return NULL;
    if (int_array(fds_obj, &fds, 0) < 0) return NULL;
    if (int_array(dups_obj, &dups, 1) < 0) {
        PyBuffer_Release(&fds);
        return NULL;
    }
    Py_ssize_t n = fds.len / (Py_ssize_t)sizeof(int);
    if (dups.len / (Py_ssize_t)sizeof(int) < n) {
        PyBuffer_Release(&fds);
        PyBuffer_Release(&dups);
        PyErr_SetString(PyExc_ValueError, "dups is shorter than fds");
        return NULL;
    }
    const int *in = fds.buf;
    int *out = dups.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (in[i] < 0) {
            out[i] = -EBADF;
            continue;
        }
        int fd = fcntl(in[i], F_DUPFD_CLOEXEC, 0);
        out[i] = fd < 0 ? -errno : fd;
    }
    PyBuffer_Release(&fds);
    PyBuffer_Release(&dups);
    Py_RETURN_NONE;
}

/* send_all(dups: array('i'), frame: bytes) -> list[tuple[int, int]]: the frame to each dup
 * that `hold` made, without blocking and without SIGPIPE, then the dup closed. */
static PyObject *send_all(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *dups_obj;
    Py_buffer dups, frame;
    if (!PyArg_ParseTuple(args, "Oy*", &dups_obj, &frame)) return NULL;
    if (int_array(dups_obj, &dups, 0) < 0) {
        PyBuffer_Release(&frame);
        return NULL;
    }
    Py_ssize_t n = dups.len / (Py_ssize_t)sizeof(int);
    const int *fds = dups.buf;
    /* Results of the sockets not written in full: at most n, usually none. */
    Py_ssize_t *missed_at = PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof(Py_ssize_t));
    long *missed_result = PyMem_RawMalloc((size_t)(n ? n : 1) * sizeof(long));
    if (missed_at == NULL || missed_result == NULL) {
        PyMem_RawFree(missed_at);
        PyMem_RawFree(missed_result);
        PyBuffer_Release(&dups);
        PyBuffer_Release(&frame);
        return PyErr_NoMemory();
    }
    Py_ssize_t missed = 0;
    const char *bytes = frame.buf;
    size_t len = (size_t)frame.len;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        int fd = fds[i];
        if (fd < 0) {
            missed_at[missed] = i;
            missed_result[missed++] = fd;
            continue;
        }
        int unsent = 0;
#ifdef SIOCOUTQNSD
        if (ioctl(fd, SIOCOUTQNSD, &unsent) < 0) unsent = 1;
#endif
        if (len > WHOLE_SEND_MAX || unsent > 0) {
            missed_at[missed] = i;
            missed_result[missed++] = -EAGAIN;
            close(fd);
            continue;
        }
        ssize_t sent;
        do {
            sent = send(fd, bytes, len, MSG_DONTWAIT | MSG_NOSIGNAL);
        } while (sent < 0 && errno == EINTR);
        if (sent < 0 || (size_t)sent < len) {
            missed_at[missed] = i;
            missed_result[missed++] = sent < 0 ? -(long)errno : (long)sent;
        }
        close(fd);
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&dups);
    PyBuffer_Release(&frame);
    PyObject *out = PyList_New(missed);
    for (Py_ssize_t k = 0; out != NULL && k < missed; k++) {
        PyObject *item = Py_BuildValue("(nl)", missed_at[k], missed_result[k]);
        if (item == NULL) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, k, item);
    }
    PyMem_RawFree(missed_at);
    PyMem_RawFree(missed_result);
    return out;
}

static PyMethodDef methods[] = {
    {"hold", hold, METH_VARARGS, "A close-on-exec dup of each fd (minus errno where none)."},
    {"send_all", send_all, METH_VARARGS,
     "The frame to each dup without blocking, the GIL released; closes the dups; returns "
     "(index, bytes written or minus errno) for each not written in full."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "server.live._fanout",
    .m_doc = "The tick's shared frame to many sockets with the GIL released.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__fanout(void) { return PyModule_Create(&module); }
