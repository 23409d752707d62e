#!/usr/bin/env python3
"""What a window manager does to a window, for the end-to-end test on a bare Xvfb display.

    x11-window.py state TITLE   prints "mapped", "unmapped" or "missing" for the top-level
                                window(s) named TITLE
    x11-window.py close TITLE   asks them to close, as a window's close button does
                                (WM_PROTOCOLS / WM_DELETE_WINDOW client message)

Only libX11 through ctypes, so nothing beyond Debian's python3 and libx11-6 is needed.
"""

import ctypes
import ctypes.util
import sys

x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
Window = ctypes.c_ulong
Atom = ctypes.c_ulong


class ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", Window),
        ("message_type", Atom),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class XEvent(ctypes.Union):
    _fields_ = [("xclient", ClientMessage), ("pad", ctypes.c_long * 24)]


class Attributes(ctypes.Structure):
    # XWindowAttributes up to map_state; the rest is padding.
    _fields_ = [
        ("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
        ("border_width", ctypes.c_int), ("depth", ctypes.c_int), ("visual", ctypes.c_void_p),
        ("root", Window), ("class_", ctypes.c_int), ("bit_gravity", ctypes.c_int),
        ("win_gravity", ctypes.c_int), ("backing_store", ctypes.c_int),
        ("backing_planes", ctypes.c_ulong), ("backing_pixel", ctypes.c_ulong),
        ("save_under", ctypes.c_int), ("colormap", ctypes.c_ulong), ("map_installed", ctypes.c_int),
        ("map_state", ctypes.c_int), ("pad", ctypes.c_long * 16),
    ]


x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
x11.XDefaultRootWindow.restype = Window
x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x11.XInternAtom.restype = Atom
x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x11.XQueryTree.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(Window), ctypes.POINTER(Window),
                           ctypes.POINTER(ctypes.POINTER(Window)), ctypes.POINTER(ctypes.c_uint)]
x11.XFetchName.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(ctypes.c_char_p)]
x11.XGetWindowAttributes.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(Attributes)]
x11.XSendEvent.argtypes = [ctypes.c_void_p, Window, ctypes.c_int, ctypes.c_long, ctypes.POINTER(XEvent)]
x11.XFlush.argtypes = [ctypes.c_void_p]
x11.XFree.argtypes = [ctypes.c_void_p]
IS_UNMAPPED, CLIENT_MESSAGE = 0, 33


def top_level_named(display, title):
    root, parent = Window(), Window()
    children, count = ctypes.POINTER(Window)(), ctypes.c_uint()
    x11.XQueryTree(display, x11.XDefaultRootWindow(display), ctypes.byref(root), ctypes.byref(parent),
                   ctypes.byref(children), ctypes.byref(count))
    found = []
    for i in range(count.value):
        name = ctypes.c_char_p()
        if x11.XFetchName(display, children[i], ctypes.byref(name)) and name.value:
            if name.value.decode("utf-8", "replace") == title:
                found.append(children[i])
            x11.XFree(name)
    if children:
        x11.XFree(children)
    return found


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("state", "close"):
        sys.exit(__doc__)
    display = x11.XOpenDisplay(None)
    if not display:
        sys.exit("cannot open the X display")
    windows = top_level_named(display, sys.argv[2])
    if sys.argv[1] == "state":
        if not windows:
            print("missing")
            return
        mapped = False
        for w in windows:
            attrs = Attributes()
            x11.XGetWindowAttributes(display, w, ctypes.byref(attrs))
            mapped = mapped or attrs.map_state != IS_UNMAPPED
        print("mapped" if mapped else "unmapped")
        return
    if not windows:
        sys.exit(f"no window named {sys.argv[2]!r}")
    protocols = x11.XInternAtom(display, b"WM_PROTOCOLS", 0)
    delete = x11.XInternAtom(display, b"WM_DELETE_WINDOW", 0)
    for w in windows:
        event = XEvent()
        event.xclient.type = CLIENT_MESSAGE
        event.xclient.window = w
        event.xclient.message_type = protocols
        event.xclient.format = 32
        event.xclient.data[0] = delete
        x11.XSendEvent(display, w, 0, 0, ctypes.byref(event))
    x11.XFlush(display)
    print(f"asked {len(windows)} window(s) to close")


main()
