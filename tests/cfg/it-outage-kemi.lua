-- Outages from KEMI: X-Op set (X-Key = X-Val) or get (X-Key); the reply
-- carries $mcd(rc) (X-Rc), $mcd(err) (X-Err), the value read (X-Val, or
-- <nil>) and $mcd(server) outside an event (X-Srv, <nil> expected).

local function hdr(name)
	return KSR.pv.get("$hdr(" .. name .. ")") or ""
end

function ksr_request_route()
	local op, k, v = hdr("X-Op"), hdr("X-Key"), "<none>"
	if op == "set" then
		KSR.memcached.set(k, hdr("X-Val"))
	elseif op == "get" then
		v = KSR.memcached.get(k) or "<nil>"
	end
	KSR.hdr.append_to_reply("X-Rc: " .. tostring(KSR.pv.get("$mcd(rc)"))
		.. "\r\nX-Err: " .. tostring(KSR.pv.get("$mcd(err)"))
		.. "\r\nX-Val: " .. tostring(v)
		.. "\r\nX-Srv: " .. tostring(KSR.pv.get("$mcd(server)") or "<nil>")
		.. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
	return 1
end

-- event_callback: evname is "memcached:server-down" or "memcached:server-up"
function mcd_event(evname)
	KSR.log("notice", "MCD-KEMI-EVENT " .. evname .. " server="
		.. tostring(KSR.pv.get("$mcd(server)")) .. "\n")
	return 1
end
