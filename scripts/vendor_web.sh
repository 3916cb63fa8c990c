#!/usr/bin/env bash
# Rebuild the third-party browser files of the question page, src/scgraph/server/web/vendor/,
# from the pinned packages of web-build/package-lock.json (npm ci: exact versions, checked
# against their integrity hashes). The files it writes are committed: they are package data,
# served by 'scgraph serve' from /static/vendor/, and nothing is fetched from a CDN at run time.
#
#   bash scripts/vendor_web.sh          # needs node and npm; run from anywhere
#
# What is vendored (minified builds, no source maps), each with its licence:
#   yasqe.min.js, yasqe.min.css   @zazuko/yasqe (YASGUI's SPARQL editor, MIT; it bundles
#                                 CodeMirror 5, lodash-es, query-string, DOMPurify, store.js)
#   countries-110m.json           world-atlas (ISC): Natural Earth 1:110m country outlines, TopoJSON
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/web-build"
out="$root/src/scgraph/server/web/vendor"

cd "$build"
npm ci --ignore-scripts --no-audit --no-fund

mod="$build/node_modules"
version() { node -p "require('$mod/$1/package.json').version"; }

rm -rf "$out"
mkdir -p "$out"

# The editor: drop the source-map comment, so that no browser asks for the absent .map file.
sed -e 's|//# sourceMappingURL=[^ ]*$||' "$mod/@zazuko/yasqe/build/yasqe.min.js" > "$out/yasqe.min.js"
sed -e 's|/\*# sourceMappingURL=[^ ]* \*/||' "$mod/@zazuko/yasqe/build/yasqe.min.css" > "$out/yasqe.min.css"
cp "$mod/world-atlas/countries-110m.json" "$out/countries-110m.json"

# Licences. @zazuko/yasqe declares MIT in its package.json but ships no LICENSE file: the text
# below is the MIT licence of its repository (github.com/zazuko/Yasgui), followed by the
# licences of the packages its build bundles.
{
  echo "@zazuko/yasqe $(version @zazuko/yasqe) (https://github.com/zazuko/Yasgui), MIT licence"
  echo
  cat <<'MIT'
The MIT License (MIT)

Copyright (c) 2015-2019 Triply B.V., Copyright (c) Zazuko GmbH

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
MIT
  for pkg in codemirror lodash-es query-string decode-uri-component filter-obj split-on-first \
             strict-uri-encode dompurify store; do
    file="$(ls "$mod/$pkg" | grep -i '^licen[cs]e$' | head -1 || true)"
    echo
    echo "======================================================================"
    echo "Bundled: $pkg $(version "$pkg")"
    echo "======================================================================"
    [ -n "$file" ] && cat "$mod/$pkg/$file"
  done
} > "$out/yasqe.LICENSE"
{
  echo "world-atlas $(version world-atlas) (https://github.com/topojson/world-atlas), ISC licence;"
  echo "the outlines are Natural Earth's (public domain, https://www.naturalearthdata.com/)."
  echo
  cat "$mod/world-atlas/LICENSE"
} > "$out/countries-110m.LICENSE"

ls -l "$out"
