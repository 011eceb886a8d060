-- KSR.memcached.* driven by the request: X-Op names the call, X-Key,
-- X-Val, X-Exp, X-Delta are its arguments; the reply carries the result
-- (X-Rc) and its Lua type (X-Type).

local function hdr(name)
	return KSR.pv.get("$hdr(" .. name .. ")")
end

local function run(op, k, v, e, d)
	local mc = KSR.memcached
	if op == "get" then return mc.get(k)
	elseif op == "set" then return mc.set(k, v)
	elseif op == "setex" then return mc.setex(k, v, e)
	elseif op == "add" then return mc.add(k, v, e)
	elseif op == "replace" then return mc.replace(k, v, e)
	elseif op == "append" then return mc.append(k, v)
	elseif op == "prepend" then return mc.prepend(k, v)
	elseif op == "delete" then return mc.delete(k)
	elseif op == "incr" then return mc.incr(k, d)
	elseif op == "decr" then return mc.decr(k, d)
	elseif op == "touch" then return mc.touch(k, e)
	elseif op == "e2e" then
		-- set, get, add twice (a lock), incr twice, in one request
		local r = {}
		r[#r + 1] = mc.set(k, "v1")
		r[#r + 1] = mc.get(k)
		r[#r + 1] = mc.add(k .. ":lock", "me", 30)
		r[#r + 1] = mc.add(k .. ":lock", "me", 30)
		r[#r + 1] = mc.incr(k .. ":cnt", 2)
		r[#r + 1] = mc.incr(k .. ":cnt", 3)
		r[#r + 1] = mc.get(k .. ":cnt")
		r[#r + 1] = tostring(mc.get(k .. ":none"))
		return table.concat(r, ",")
	end
	return "unknown-op"
end

function ksr_request_route()
	local r = run(hdr("X-Op") or "", hdr("X-Key") or "", hdr("X-Val") or "",
		tonumber(hdr("X-Exp") or "0"), tonumber(hdr("X-Delta") or "0"))
	KSR.hdr.append_to_reply("X-Rc: " .. tostring(r) .. "\r\nX-Type: "
		.. type(r) .. "\r\n")
	KSR.sl.sl_send_reply(200, "OK")
	return 1
end
