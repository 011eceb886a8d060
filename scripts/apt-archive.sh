#!/bin/sh
# Prints the Debian archive this machine's apt uses for a suite (default: the
# running release's codename) as "URI SIGNED-BY" (SIGNED-BY may be empty).
# Reads /etc/apt/sources.list and sources.list.d/*.list|*.sources, both the
# one-line and the deb822 format, so nothing names a mirror by hand.
# usage: scripts/apt-archive.sh [SUITE]
set -eu
suite=${1:-$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d '"')}
[ -n "$suite" ] || { echo "apt-archive: no VERSION_CODENAME in /etc/os-release" >&2; exit 1; }
found=$(
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [options] URI SUITE COMPONENTS...
		awk -v s="$suite" '
			$1 != "deb" { next }
			{ i = 2; sb = ""
			  if ($2 ~ /^\[/) {
				for (; i <= NF; i++) {
					if ($i ~ /^\[?signed-by=/) { sb = $i; sub(/^\[?signed-by=/, "", sb); sub(/\]$/, "", sb) }
					if ($i ~ /\]$/) { i++; break }
				}
			  }
			  if ($(i + 1) == s) { print $i, sb; exit }
			}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# Paragraphs of "Field: value"; a match needs Types deb and SUITE.
		awk -v s="$suite" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " s " ") && uri != "" && enabled != "no")
					{ print uri, sb; done = 1 }
				types = suites = uri = sb = ""; enabled = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); if (done) exit; next }
			{ k = tolower($1); v = $0; sub(/^[^:]*:[ \t]*/, "", v) }
			k == "types:" { types = v }
			k == "suites:" { suites = v }
			k == "uris:" { split(v, u, " "); uri = u[1] }
			k == "signed-by:" { sb = v }
			k == "enabled:" { enabled = tolower(v) }
			END { if (!done) flush() }' "$f"
	done
)
line=$(printf '%s\n' "$found" | sed -n '/./{p;q;}')
if [ -z "$line" ]; then
	echo "apt-archive: no deb entry for $suite in this machine's apt sources" >&2
	exit 1
fi
echo "$line"
