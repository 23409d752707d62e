#!/usr/bin/python3
"""A desktop notification server for the end-to-end test, on the session bus it inherits.

    fake-notifications.py LOG

Owns org.freedesktop.Notifications (the interface notify-rust talks to), writes one JSON line
per notification (and one per CloseNotification call) to LOG and prints "ready" once it owns
the name. The test clicks a
notification as a person would, which makes the server emit ActionInvoked:

    dbus-send --session --type=method_call --print-reply --dest=org.freedesktop.Notifications \
        /org/freedesktop/Notifications \
        org.nextauth.Test.Invoke uint32:ID string:default

Debian's python3 with python3-dbus and python3-gi (scripts/install-app-deps.sh).
"""

import json
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


class Server(dbus.service.Object):
    def __init__(self, bus, log):
        super().__init__(bus, PATH)
        self.log = log
        self.last_id = 0

    @dbus.service.method(NAME, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        if replaces:
            nid = int(replaces)
        else:
            self.last_id += 1
            nid = self.last_id
        record = {
            "id": nid, "app": str(app), "summary": str(summary), "body": str(body),
            "actions": [str(a) for a in actions], "timeout": int(timeout),
        }
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return dbus.UInt32(nid)

    @dbus.service.method(NAME, out_signature="as")
    def GetCapabilities(self):
        return ["actions", "body"]

    @dbus.service.method(NAME, out_signature="ssss")
    def GetServerInformation(self):
        return ("nextauth-test", "nextauth-rs", "1", "1.2")

    @dbus.service.method(NAME, in_signature="u")
    def CloseNotification(self, nid):
        """The app withdraws a notification: recorded as {"closed": ID}."""
        with open(self.log, "a", encoding="utf-8") as f:
            f.write(json.dumps({"closed": int(nid)}) + "\n")
        self.NotificationClosed(nid, 3)

    @dbus.service.signal(NAME, signature="us")
    def ActionInvoked(self, nid, action):
        pass

    @dbus.service.signal(NAME, signature="uu")
    def NotificationClosed(self, nid, reason):
        pass

    @dbus.service.method("org.nextauth.Test", in_signature="us")
    def Invoke(self, nid, action):
        """What a click does: the action, then the notification closes (reason 2: dismissed)."""
        self.ActionInvoked(nid, action)
        self.NotificationClosed(nid, 2)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    Server(bus, sys.argv[1])
    owned = bus.request_name(NAME, dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
    if owned != dbus.bus.REQUEST_NAME_REPLY_PRIMARY_OWNER:
        sys.exit(f"cannot own {NAME}: another notification server runs on this bus")
    print("ready", flush=True)
    GLib.MainLoop().run()


main()
