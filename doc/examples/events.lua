-- memcached module: outages from KEMI, with doc/examples/events.cfg
-- started with -A WITH_KEMI -A 'KEMI_LUA="doc/examples/events.lua"'.

-- OPTIONS: a block list in memcached; a miss and an outage told apart
function ksr_request_route()
	if KSR.pv.get("$rm") ~= "OPTIONS" then
		KSR.sl.sl_send_reply(405, "Method Not Allowed")
		return 1
	end
	KSR.memcached.get("block:" .. (KSR.pv.get("$fU") or ""))
	local rc = KSR.pv.get("$mcd(rc)")
	if rc == 1 then
		KSR.sl.sl_send_reply(403, "Blocked")
		return 1
	elseif rc == -2 then
		KSR.dbg("block list not available: " .. KSR.pv.get("$mcd(err)") .. "\n")
	end
	KSR.hdr.append_to_reply("X-Mcd-Rc: " .. tostring(rc) .. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
	return 1
end

-- named by modparam("memcached", "event_callback", ...): evname is
-- "memcached:server-down" or "memcached:server-up"
function ksr_memcached_event(evname)
	local server = KSR.pv.get("$mcd(server)")
	if evname == "memcached:server-down" then
		KSR.crit("ALARM: memcached server " .. server .. " is down\n")
	else
		KSR.notice("memcached server " .. server .. " is back\n")
	end
	return 1
end
