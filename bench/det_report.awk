# The deterministic table of bench/run.sh and the targets, from
#   syscalls.tsv      module scenario requests commands syscalls waits list
#   instructions.tsv  module scenario function calls instructions
#   faults.tsv        fault module sent n200 n503 lost p50 p99 max recover_s
# awk -F'\t' -v near=0|1 -f det_report.awk syscalls.tsv instructions.tsv faults.tsv
# (near=1: the module has the near_cache parameter)

function num(x) { return x + 0 }
function fmt(x) { return x == "" ? "-" : sprintf("%.2f", x) }
function mark(ok) { return ok ? "PASS" : "MISS" }

FNR == 1 { file++; next }

file == 1 {
	m = $1; if ($2 == "sht_read") m = "htable"
	k = $2 SUBSEP m
	q = num($3) > 0 ? num($3) : 1
	req[k] = $3; cmd[k] = num($4) / q; sys[k] = num($5) / q; wt[k] = num($6) / q
	lst[k] = $7; has_sys[k] = 1
	if ($2 == "ceiling") ceil[$1] = sys[k]
	inst[k] = $1  # the Kamailio instance the row ran on (its ceiling)
	next
}
file == 2 {
	k = $2 SUBSEP $1
	fn[k] = $3; calls[k] = num($4)
	ir[k] = num($4) > 0 ? num($5) / num($4) : -1
	has_ir[k] = 1
	next
}
file == 3 { flt[$1, $2] = $0; next }

END {
	ns = split("ceiling sht_read mct_read mct_write mcinc mctex mix near_hot", S, " ")
	nm = split("ours shipped htable", M, " ")
	printf "%-10s %-8s %9s %8s %9s %10s  %-18s %9s  %s\n", "scenario", "module", "cmds/req",
		"sys/req", "+sys/req", "waits/req", "function", "Ir/call", "system calls added per request"
	for (a = 1; a <= ns; a++) {
		if (S[a] == "near_hot" && !near) {
			printf "%-10s %-8s n/a: this build has no near_cache parameter\n", "near_hot", "ours"
			continue
		}
		for (b = 1; b <= nm; b++) {
			k = S[a] SUBSEP M[b]
			if (!has_sys[k] && !has_ir[k]) continue
			c = ""; sy = ""; plus = ""; w = ""; added = ""
			if (has_sys[k]) {
				c = cmd[k]; sy = sys[k]; w = wt[k]
				base = ceil[inst[k]]
				plus = sy - base
				added = added_calls(lst[k], lst[S[1] SUBSEP inst[k]], req[k], req[S[1] SUBSEP inst[k]])
			}
			printf "%-10s %-8s %9s %8s %9s %10s  %-18s %9s  %s\n", S[a], M[b], fmt(c), fmt(sy),
				fmt(plus), fmt(w), has_ir[k] ? fn[k] : "-",
				has_ir[k] ? sprintf("%.0f", ir[k]) : "-", added == "" ? "-" : added
		}
	}

	print ""
	print "Targets (measured above and in the fault table; not tuned for)"
	if (near) {
		k = "near_hot" SUBSEP "ours"; h = "sht_read" SUBSEP "htable"
		if (has_sys[k]) {
			printf "  %-66s %s (%s)\n", "near-cache hit: no memcached command", mark(cmd[k] == 0), fmt(cmd[k]) " per read"
			printf "  %-66s %s (%s)\n", "near-cache hit: no system call beyond the SIP message's own",
				mark(sys[k] - ceil["ours"] <= 0), "+" fmt(sys[k] - ceil["ours"]) " per request"
		}
		if (has_ir[k] && has_ir[h])
			printf "  %-66s %s (%.0f vs %.0f instructions, %.2fx)\n", "near-cache hit: own instructions within 2x htable's getter",
				mark(ir[k] <= 2 * ir[h]), ir[k], ir[h], (ir[h] > 0 ? ir[k] / ir[h] : 0)
	} else
		printf "  %-66s n/a (no near_cache parameter in this build)\n", "near-cache hit: no command, no system call, within 2x htable"
	k = "mct_read" SUBSEP "ours"; h = "mct_read" SUBSEP "shipped"
	if (has_ir[k] && has_ir[h])
		printf "  %-66s %s (%.0f vs %.0f instructions, %.2fx)\n", "network read ($mct): own instructions <= the shipped module's",
			mark(ir[k] <= ir[h]), ir[k], ir[h], (ir[h] > 0 ? ir[k] / ir[h] : 0)
	kinds["freeze"] = "after SIGCONT (retry_timeout=30)"; kinds["kill"] = "after a restart (retry_timeout=30)"
	split("freeze kill", K, " ")
	for (i = 1; i <= 2; i++) {
		if (!((K[i], "ours") in flt)) continue
		split(flt[K[i], "ours"], f, "\t")
		r = f[10]
		ok = r !~ /^>/ && r != "n/a" && num(r) < 1
		printf "  %-66s %s (%s s)\n", "recovery " kinds[K[i]] ": under 1 s", mark(ok), r
	}
	if (("two-live", "ours") in flt) {
		split(flt["two-live", "ours"], f, "\t")
		printf "  %-66s %s (%d answered 503 of %d)\n", "2 servers, 1 frozen: the module fails no key of the live server",
			mark(num(f[5]) == 0 && num(f[3]) > 0), num(f[5]), num(f[3])
		printf "  %-66s %s (%d lost of %d)\n", "2 servers, 1 frozen: no request for a live-server key is lost",
			mark(num(f[6]) == 0 && num(f[3]) > 0), num(f[6]), num(f[3])
	}
}

# "name:n,..." of a scenario minus its ceiling's, per request: "sendto +1.00"
function added_calls(l, base, n, nb,    x, y, i, nx, kv, cnt, out, name) {
	for (name in cnt) delete cnt[name]
	nx = split(l, x, ",")
	for (i = 1; i <= nx; i++) if (split(x[i], kv, ":") == 2) cnt[kv[1]] += kv[2] / (n > 0 ? n : 1)
	nx = split(base, x, ",")
	for (i = 1; i <= nx; i++) if (split(x[i], kv, ":") == 2) cnt[kv[1]] -= kv[2] / (nb > 0 ? nb : 1)
	nx = 0
	for (name in cnt) if (cnt[name] > 0.005 || cnt[name] < -0.005) x[++nx] = name
	for (i = 2; i <= nx; i++) for (y = i; y > 1 && x[y - 1] > x[y]; y--) { name = x[y]; x[y] = x[y - 1]; x[y - 1] = name }
	out = ""
	for (i = 1; i <= nx; i++) out = out sprintf("%s%s %+.2f", out == "" ? "" : ", ", x[i], cnt[x[i]])
	return out
}
