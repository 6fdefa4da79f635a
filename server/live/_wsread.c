/* Client frames split and unmasked in one call, for the lean intake (server/live/lean.py).
 *
 * websockets' sans-I/O parser reads a frame through a stack of generators (the frame's, then
 * one per read of its header, length, mask and payload), builds a Frame, checks it again
 * and queues an event that uvicorn's protocol dispatches: about a tenth of the event loop
 * in `burst`, where nearly every frame is a small, whole, masked text frame.
 *
 *   frames, used, need = split(buf, max_size[, start[, max_frames]])
 *
 * `frames` lists (opcode, payload, end) for each such frame from `buf[start:]` on, in order:
 * FIN set, no RSV bit, text (1) or binary (2), masked, at most `max_size` bytes; `payload`
 * is unmasked and `end` is the offset in `buf` just past the frame. `used` is the end of the
 * last one (`start` if none). The split stops after `max_frames` frames (a socket whose
 * frames wait to be handled keeps the rest as bytes: server/live/lean.py), or at the first
 * frame that is not such a frame, or is not all in `buf` yet, and `need` says which:
 *   - -1: a frame is there whose first bytes show it is anything else (a control frame, a
 *     fragment, an unmasked frame, a frame over `max_size`, a reserved bit). The caller
 *     hands `buf[used:]` to websockets' own parser, which knows what to do with it.
 *   - 0: nothing is left (`used` is the length of `buf`).
 *   - 1: `max_frames` were taken and more bytes follow: split again from `used` (no frame
 *     needs a single byte to tell more, as any frame's header takes 2).
 *   - more: `buf[used:]` is the start of a frame still arriving, and a split can tell more
 *     only once it holds `need` bytes (the whole frame, or where its header is not all
 *     there, the header). A peer that sends a large frame a byte at a time is then not
 *     split again for each byte.
 * No byte of `buf` is ever read past its length, and nothing is validated beyond the frame's
 * shape: a text payload's UTF-8 is the caller's to check, as websockets leaves it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

static PyObject *unmasked(const unsigned char *data, Py_ssize_t size, const unsigned char *key) {
    PyObject *out = PyBytes_FromStringAndSize(NULL, size);
    if (out == NULL) return NULL;
    unsigned char *to = (unsigned char *)PyBytes_AS_STRING(out);
    Py_ssize_t i = 0;
    if (size >= 8) {
        uint64_t key8;
        unsigned char wide[8];
        for (int k = 0; k < 8; k++) wide[k] = key[k & 3];
        memcpy(&key8, wide, 8);
        for (; i + 8 <= size; i += 8) {
            uint64_t word;
            memcpy(&word, data + i, 8);
            word ^= key8;
            memcpy(to + i, &word, 8);
        }
    }
    for (; i < size; i++) to[i] = data[i] ^ key[i & 3];
    return out;
}

/* A whole, simple frame: never a count of bytes needed, as any frame's header takes 2. */
#define WHOLE 1

/* How a frame at `at` reads: WHOLE (its payload and size set), -1 anything else, or else
 * the bytes from `at` it takes to tell more (0 for none left). */
static Py_ssize_t frame_at(const unsigned char *buf, Py_ssize_t len, Py_ssize_t at,
                           unsigned long long max_size, Py_ssize_t *payload_at,
                           Py_ssize_t *payload_len) {
    Py_ssize_t left = len - at;
    if (left < 1) return 0;
    unsigned char first = buf[at];
    unsigned char opcode = first & 0x0F;
    if ((first & 0xF0) != 0x80 || (opcode != 1 && opcode != 2)) return -1;
    if (left < 2) return 2;
    unsigned char second = buf[at + 1];
    if (!(second & 0x80)) return -1; /* a client's frame must be masked */
    unsigned long long size = second & 0x7F;
    Py_ssize_t header = 2;
    if (size == 126) {
        if (left < 4) return 4;
        size = ((unsigned long long)buf[at + 2] << 8) | buf[at + 3];
        header = 4;
    } else if (size == 127) {
        if (left < 10) return 10;
        size = 0;
        for (int k = 0; k < 8; k++) size = (size << 8) | buf[at + 2 + k];
        header = 10;
    }
    if (size > max_size) return -1;
    header += 4; /* the mask */
    /* size <= max_size, which the caller keeps far below PY_SSIZE_T_MAX */
    Py_ssize_t whole = header + (Py_ssize_t)size;
    if (left < whole) return whole;
    *payload_at = at + header;
    *payload_len = (Py_ssize_t)size;
    return WHOLE;
}

static PyObject *split(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer view;
    unsigned long long max_size;
    Py_ssize_t start = 0;
    Py_ssize_t max_frames = PY_SSIZE_T_MAX;
    if (!PyArg_ParseTuple(args, "y*K|nn", &view, &max_size, &start, &max_frames)) return NULL;
    if (max_size > (unsigned long long)(PY_SSIZE_T_MAX / 2)) max_size = PY_SSIZE_T_MAX / 2;
    const unsigned char *buf = view.buf;
    Py_ssize_t len = view.len;
    if (start < 0 || start > len || max_frames < 1) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "start must lie in buf, and max_frames be positive");
        return NULL;
    }
    PyObject *frames = PyList_New(0);
    if (frames == NULL) {
        PyBuffer_Release(&view);
        return NULL;
    }
    Py_ssize_t at = start;
    Py_ssize_t state;
    Py_ssize_t taken = 0;
    for (;;) {
        if (taken == max_frames) {
            state = at < len ? WHOLE : 0; /* WHOLE is 1: split again from `at` */
            break;
        }
        Py_ssize_t payload_at = 0;
        Py_ssize_t size = 0;
        state = frame_at(buf, len, at, max_size, &payload_at, &size);
        if (state != WHOLE) break;
        PyObject *payload = unmasked(buf + payload_at, size, buf + payload_at - 4);
        Py_ssize_t end = payload_at + size;
        PyObject *item =
            payload == NULL ? NULL : Py_BuildValue("(iNn)", buf[at] & 0x0F, payload, end);
        if (item == NULL || PyList_Append(frames, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(frames);
            PyBuffer_Release(&view);
            return NULL;
        }
        Py_DECREF(item);
        at = end;
        taken++;
    }
    PyBuffer_Release(&view);
    return Py_BuildValue("(Nnn)", frames, at, state);
}

static PyMethodDef methods[] = {
    {"split", split, METH_VARARGS,
     "split(buf, max_size, start=0, max_frames=unlimited) -> (frames, used, need): the whole, "
     "simple client frames from buf[start:] on, unmasked."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_wsread", NULL, -1, methods,
                                    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__wsread(void) { return PyModule_Create(&module); }
