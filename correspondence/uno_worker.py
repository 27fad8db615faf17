"""UNO worker: runs under the *system* Python that has ``uno`` (python3-uno), never in-process.

``correspondence.converter.Converter`` starts this script with the interpreter it found
(``NASKAH_UNO_PYTHON``, ``/usr/bin/python3``, LibreOffice's bundled ``python``) and talks to it
with JSON lines:

* on start it connects to the office's pipe (retrying until ``--connect-timeout``) and writes
  ``{"ready": true}`` (or ``{"ready": false, "error": ...}`` and exits 3);
* then, for each request line on stdin:

  - ``{"in": "/x/job.docx", "out": "/x/job.pdf"}`` -> converts DOCX to PDF/A-2b, bookmarks as
    named destinations, and replies ``{"ok": true}`` or ``{"ok": false, "error": "...",
    "fatal": bool}``. ``fatal`` means the connection to the office is gone (crash, kill); the
    worker exits right after such a reply;
  - ``{"cmd": "ping"}`` -> ``{"ok": true}``;
  - ``{"cmd": "quit"}`` -> asks the office to terminate, replies and exits.

The protocol goes to the original stdout only; anything else that writes to fd 1 (native code,
stray prints) is sent to stderr, so that it cannot corrupt a reply.

This file must stay importable by any Python >= 3.7 and must not import Naskah modules.
"""

import argparse
import json
import os
import sys
import time
import traceback


def _set_pdeathsig():
    """Die with our parent (belt and braces: the converter also sets it before exec)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:  # pragma: no cover - best effort only
        pass


def _protocol_stream():
    """Return a text stream on the original stdout; point fd 1 at stderr from now on."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def _reply(out, **message):
    out.write(json.dumps(message) + "\n")
    out.flush()


def _prop(uno, name, value):
    from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def _connect(uno, pipe, deadline):
    from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]

    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    url = "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe
    last = None
    while True:
        try:
            ctx = resolver.resolve(url)
            smgr = ctx.ServiceManager
            desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            if desktop is not None:
                return desktop
            last = "no Desktop service"
        except NoConnectException as exc:
            last = exc.Message or "no connection"
        except Exception as exc:  # office still starting up
            last = "%s: %s" % (type(exc).__name__, getattr(exc, "Message", exc))
        if time.monotonic() > deadline:
            raise RuntimeError("could not connect to LibreOffice on pipe %r: %s" % (pipe, last))
        time.sleep(0.05)


def _pdf_filter_data(uno):
    data = [
        ("SelectPdfVersion", 2),  # PDF/A-2b
        ("ExportBookmarksToPDFDestination", True),  # Word bookmarks -> named destinations
        ("ExportBookmarks", True),  # headings -> PDF outline
        ("UseTaggedPDF", True),  # structure tree: accessibility, reading order
        ("ExportFormFields", False),  # Naskah adds its own fields later
        ("ExportNotes", False),
        ("EmbedStandardFonts", True),
        ("IsSkipEmptyPages", False),
        ("ReduceImageResolution", False),
        ("UseLosslessCompression", True),
    ]
    props = tuple(_prop(uno, k, v) for k, v in data)
    return uno.Any("[]com.sun.star.beans.PropertyValue", props)


class DocumentError(Exception):
    """The document itself cannot be converted (the office is fine)."""


def _message(exc):
    msg = getattr(exc, "Message", None) or str(exc) or type(exc).__name__
    return "%s: %s" % (type(exc).__name__, msg.strip())


def _properties(uno):
    """(load, store) properties, the same for every conversion: made once."""
    load_props = (
        _prop(uno, "Hidden", True),
        _prop(uno, "ReadOnly", True),
        _prop(uno, "FilterName", "MS Word 2007 XML"),
        _prop(uno, "MacroExecutionMode", 0),  # NEVER_EXECUTE
        _prop(uno, "UpdateDocMode", 0),  # NO_UPDATE: no links, no external content
        _prop(uno, "RepairPackage", False),
    )
    store_props = (
        _prop(uno, "FilterName", "writer_pdf_Export"),
        _prop(uno, "FilterData", _pdf_filter_data(uno)),
    )
    return load_props, store_props


class _Frame(object):
    """One hidden frame that every document is loaded into, kept from one conversion to the next.

    ``loadComponentFromURL(..., "_blank")``, like ``soffice --convert-to``, builds a frame with its
    window, view and controllers for each document and tears them down again after it; loading
    into the same frame (target ``"_self"``) skips that. Measured on the shipped letter: 50-52 ms
    of office CPU per letter against 52-56 ms with a frame each, the PDFs the same page for page.

    A document loaded into the frame replaces the one there, which is then closed: closing it
    while it still had the frame would close the frame too. The last letter stays loaded until
    the next one comes (or the worker quits). Any doubt about the frame (it was disposed, or the
    load did not give a new document) drops it, and the document is loaded into a new one.
    """

    def __init__(self, desktop):
        self._desktop = desktop
        self._frame = None
        self._held = None

    def load(self, url, props):
        """The document at ``url`` (None if LibreOffice could not load it); the office's
        IllegalArgumentException/IOException come through unchanged."""
        from com.sun.star.uno import RuntimeException  # type: ignore[import-not-found]

        if self._frame is not None:
            try:
                doc = self._frame.loadComponentFromURL(url, "_self", 0, props)
            except RuntimeException:  # the frame is gone (or the office: then the next call fails too)
                self._forget()
            else:
                if doc is None:
                    return None  # the frame keeps the document it had
                if doc != self._held:
                    self._replace(doc)
                    return doc
                self.close()  # not a new document: start again with a new frame
        doc = self._desktop.loadComponentFromURL(url, "_blank", 0, props)
        if doc is not None:
            controller = doc.getCurrentController()
            self._frame = controller.getFrame() if controller is not None else None
            self._held = doc
        return doc

    def _replace(self, doc):
        old, self._held = self._held, doc
        if old is not None:
            _close(old)

    def _forget(self):
        self._frame = self._held = None

    def close(self):
        """Close the document held (and with it the frame)."""
        if self._held is not None:
            _close(self._held)
        self._forget()


def _close(doc):
    try:
        doc.close(True)
    except Exception:
        try:
            doc.dispose()
        except Exception:
            pass


def _convert(uno, frame, src, dst, properties):
    from com.sun.star.io import IOException  # type: ignore[import-not-found]
    from com.sun.star.lang import IllegalArgumentException  # type: ignore[import-not-found]
    from com.sun.star.uno import RuntimeException  # type: ignore[import-not-found]

    load_props, store_props = properties
    try:
        doc = frame.load(uno.systemPathToFileUrl(src), load_props)
    except (IllegalArgumentException, IOException) as exc:
        raise DocumentError("LibreOffice could not open the DOCX (%s)" % _message(exc))
    except RuntimeException:
        raise
    if doc is None:
        raise DocumentError("LibreOffice could not open the DOCX (is it a valid Word document?)")
    try:
        doc.storeToURL(uno.systemPathToFileUrl(dst), store_props)
    except (IllegalArgumentException, IOException) as exc:
        raise DocumentError("LibreOffice could not export the PDF (%s)" % _message(exc))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipe", required=True)
    parser.add_argument("--connect-timeout", type=float, default=30.0)
    args = parser.parse_args(argv)

    _set_pdeathsig()
    out = _protocol_stream()
    try:
        import uno  # type: ignore[import-not-found]
        from com.sun.star.uno import RuntimeException  # type: ignore[import-not-found]
    except Exception as exc:
        _reply(out, ready=False, error="cannot import uno: %s" % exc)
        return 3
    try:
        desktop = _connect(uno, args.pipe, time.monotonic() + args.connect_timeout)
    except Exception as exc:
        _reply(out, ready=False, error=str(exc))
        return 3
    properties = _properties(uno)
    frame = _Frame(desktop)
    _reply(out, ready=True, pid=os.getpid())

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            job = json.loads(line)
        except ValueError:
            _reply(out, ok=False, fatal=False, error="bad request line")
            continue
        cmd = job.get("cmd")
        if cmd == "ping":
            _reply(out, ok=True)
            continue
        if cmd == "quit":
            try:
                frame.close()
                desktop.terminate()
            except Exception:
                pass
            _reply(out, ok=True)
            return 0
        try:
            _convert(uno, frame, job["in"], job["out"], properties)
        except DocumentError as exc:
            _reply(out, ok=False, fatal=False, error=str(exc))
        except RuntimeException as exc:
            # DisposedException and friends: the bridge to the office is gone.
            _reply(out, ok=False, fatal=True, error=_message(exc))
            return 2
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            _reply(out, ok=False, fatal=True, error=_message(exc))
            return 2
        else:
            _reply(out, ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
