# KSR.memcached.* driven by the request: X-Op names the call, X-Key,
# X-Val, X-Exp, X-Delta are its arguments; the reply carries the result
# (X-Rc) and its type (X-Type, as Lua names it: number, string, nil).
import KSR as KSR


def mod_init():
    return kamailio()


def hdr(name):
    return KSR.pv.get("$hdr(" + name + ")")


def kind(r):
    if r is None:
        return "nil"
    if isinstance(r, int):
        return "number"
    return "string"


def text(r):
    return "nil" if r is None else str(r)


def run(op, k, v, e, d):
    mc = KSR.memcached
    calls = {
        "get": lambda: mc.get(k),
        "set": lambda: mc.set(k, v),
        "setex": lambda: mc.setex(k, v, e),
        "add": lambda: mc.add(k, v, e),
        "replace": lambda: mc.replace(k, v, e),
        "append": lambda: mc.append(k, v),
        "prepend": lambda: mc.prepend(k, v),
        "delete": lambda: mc.delete(k),
        "incr": lambda: mc.incr(k, d),
        "decr": lambda: mc.decr(k, d),
        "touch": lambda: mc.touch(k, e),
    }
    if op == "e2e":
        r = [mc.set(k, "v1"), mc.get(k), mc.add(k + ":lock", "me", 30),
             mc.add(k + ":lock", "me", 30), mc.incr(k + ":cnt", 2),
             mc.incr(k + ":cnt", 3), mc.get(k + ":cnt"),
             mc.get(k + ":none")]
        return ",".join(text(x) for x in r)
    if op in calls:
        return calls[op]()
    return "unknown-op"


class kamailio:
    def __init__(self):
        pass

    def child_init(self, rank):
        return 0

    def ksr_request_route(self, msg):
        r = run(hdr("X-Op") or "", hdr("X-Key") or "", hdr("X-Val") or "",
                int(hdr("X-Exp") or "0"), int(hdr("X-Delta") or "0"))
        KSR.hdr.append_to_reply("X-Rc: " + text(r) + "\r\nX-Type: "
                                + kind(r) + "\r\n")
        KSR.sl.sl_send_reply(200, "OK")
        return 1
