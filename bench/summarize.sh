#!/usr/bin/env bash
# summarize.sh OUTDIR -- Markdown tables from a bench/run.sh result folder:
# medians per client and layout from OUTDIR/results.tsv, the idle lines of
# OUTDIR/idle.log and the ceiling lines of OUTDIR/ceiling.log.
set -u -o pipefail
out=${1:?usage: summarize.sh OUTDIR}

[[ -f $out/machine.txt ]] && { echo '```'; cat "$out/machine.txt"; echo '```'; echo; }

if [[ -s $out/results.tsv ]]; then
  # columns: date client layout MiB seeders run MiB/s wall cpu peakRSS peakAnon seedcpu bg status pin
  awk -F'\t' '
    function med(s,   a, n, i, j, t) {
      n = split(s, a, " ")
      for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
      if (n == 0) return "-"
      return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function lo(s,   a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 < m) m = a[i] + 0; return m }
    function hi(s,   a, n, i, m) { n = split(s, a, " "); m = a[1] + 0; for (i = 2; i <= n; i++) if (a[i] + 0 > m) m = a[i] + 0; return m }
    {
      c = ($2 == "candidate") ? "**cloud-torrent**" : ($2 == "candidate-before") ? "cloud-torrent (before)" : $2
      k = $3 SUBSEP c
      if (!(k in seen)) { seen[k] = 1; order[++no] = k; if (!($3 in lay)) { lay[$3] = 1; lays[++nl] = $3 } }
      runs[k]++
      size[$3] = $4
      if ($14 != "ok") { fail[k]++; next }
      ok[k]++
      sp[k] = sp[k] " " $7; wa[k] = wa[k] " " $8; cp[k] = cp[k] " " $9
      cg[k] = cg[k] " " ($9 / ($4 / 1024)); rs[k] = rs[k] " " $10; bg[k] = bg[k] " " $13
    }
    END {
      for (l = 1; l <= nl; l++) {
        L = lays[l]
        printf "### %s, %d MiB\n\n", (L == "single" ? "Single file" : "Multi-file (200 files of 5 MiB unless MULTI_* were changed)"), size[L]
        print "| client | ok/runs | MiB/s median (min-max) | wall s | CPU s | CPU s per GiB | peak RSS MiB | bg max |"
        print "| --- | --- | --- | --- | --- | --- | --- | --- |"
        for (i = 1; i <= no; i++) {
          split(order[i], kk, SUBSEP); if (kk[1] != L) continue
          k = order[i]
          if (!ok[k]) { printf "| %s | 0/%d | failed | | | | | |\n", kk[2], runs[k]; continue }
          printf "| %s | %d/%d | %.0f (%.0f-%.0f) | %.2f | %.2f | %.2f | %.1f | %.2f |\n", kk[2], ok[k], runs[k],
            med(sp[k]), lo(sp[k]), hi(sp[k]), med(wa[k]), med(cp[k]), med(cg[k]), med(rs[k]), hi(bg[k])
        }
        print ""
      }
    }' "$out/results.tsv"
fi

if [[ -s $out/idle.log ]]; then
  echo "### Idle (60 s window after 15 s settling)"
  echo
  echo "| client | torrents | RSS MiB | anon MiB | peak RSS MiB | CPU s / 60 s | % of a core | note |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  awk '/^[a-z][a-z0-9-]* +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+/ {
         c = ($1 == "cloud-torrent") ? "**cloud-torrent**" : $1
         note = ""; for (i = 8; i <= NF; i++) note = note (i > 8 ? " " : "") $i
         gsub(/[()]/, "", note)
         printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", c, $2, $3, $4, $5, $6, $7, note }
       / FAILED/ { printf "| %s | %s | failed | | | | | |\n", $1, $2 }' "$out/idle.log"
  echo
fi

if [[ -s $out/ceiling.log ]]; then
  echo "### Machine ceiling"
  echo
  echo '```'
  grep -E 'MiB/s' "$out/ceiling.log"
  echo '```'
fi
