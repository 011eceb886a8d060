-- memcached module from Lua (KEMI), loaded by kemi.cfg.
--
-- An OPTIONS request answers 200 OK with X-Mcd-* headers. The first one
-- for sip:alice@... against an empty memcached gives X-Mcd-Hits: 1,
-- X-Mcd-Credit: 0, X-Mcd-Lock: 1, X-Mcd-Last: <its Call-ID>,
-- X-Mcd-Missing: nil, X-Mcd-List: a,b,c, X-Mcd-Codes: 1 -1 1 -1 -3.

local function reply_header(name, value)
	KSR.hdr.append_to_reply(name .. ": " .. tostring(value) .. "\r\n")
end

function ksr_request_route()
	if not KSR.is_OPTIONS() then
		KSR.sl.sl_send_reply(405, "Method Not Allowed")
		return
	end
	local user = KSR.pv.get("$rU") or "anonymous"

	-- atomic counter, one round trip; created on first use
	local hits = KSR.memcached.incr("hits:" .. user, 1)
	reply_header("X-Mcd-Hits", hits)

	-- memcached stops at 0; a missing counter is created with 0
	local credit = KSR.memcached.decr("credit:" .. user, 1)
	reply_header("X-Mcd-Credit", credit)

	-- a lock for 30 s: 1 for the first request, -1 while it is held
	local lock = KSR.memcached.add("lock:" .. user, KSR.pv.get("$ci"), 30)
	reply_header("X-Mcd-Lock", lock)

	-- store with the default expiry, or with an explicit one; read back
	KSR.memcached.set("last:" .. user, KSR.pv.get("$ci"))
	KSR.memcached.setex("seen:" .. user, "yes", 600)
	reply_header("X-Mcd-Last", KSR.memcached.get("last:" .. user))

	-- a missing key reads as nil
	reply_header("X-Mcd-Missing", KSR.memcached.get("missing:" .. user))

	-- append and prepend to an existing value
	KSR.memcached.set("list:" .. user, "b")
	KSR.memcached.append("list:" .. user, ",c")
	KSR.memcached.prepend("list:" .. user, "a,")
	reply_header("X-Mcd-List", KSR.memcached.get("list:" .. user))

	-- return codes: 1 done, -1 condition failed, -3 bad argument
	local codes = {
		KSR.memcached.touch("list:" .. user, 60),
		KSR.memcached.replace("missing:" .. user, "x", 60),
		KSR.memcached.delete("list:" .. user),
		KSR.memcached.delete("list:" .. user),
		KSR.memcached.touch("", 60),
	}
	reply_header("X-Mcd-Codes", table.concat(codes, " "))

	KSR.sl.sl_send_reply(200, "OK")
end
