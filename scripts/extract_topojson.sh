#!/usr/bin/env bash
# Extract the country outlines that plotly.js bundles into assets/topojson/ (run by developers, once;
# the JSON files are committed). Plotly geo maps fetch <topojsonURL><scope>_<resolution>.json, from a
# CDN by default; the app serves these files itself and passes config={"topojsonURL": "/topojson/"}.
#
# plotly.js 3.7.0 is the version rx.plotly pins. Its npm package has no dist/topojson/*.json, but
# dist/plotly-geo-assets.js holds all 18 topojson files; loaded as a <script> it sets window.Plotly
# (not the PlotlyGeoAssets global geo.js reads), so we require it in node and write each file out.
# Licence: plotly.js is MIT; its topojson is built from Natural Earth (public domain).
#
#   bash scripts/extract_topojson.sh            # world and asia at 50m and 110m
#   bash scripts/extract_topojson.sh africa_110m ...   # other files by name
set -euo pipefail

VERSION=3.7.0
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/assets/topojson"
NAMES=("$@")
if [ ${#NAMES[@]} -eq 0 ]; then
  NAMES=(world_50m world_110m asia_50m asia_110m)
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "plotly.js@$VERSION" >/dev/null)
tar -xzf "$WORK/plotly.js-$VERSION.tgz" -C "$WORK" package/dist/plotly-geo-assets.js
mkdir -p "$DEST"

node - "$WORK/package/dist/plotly-geo-assets.js" "$DEST" "${NAMES[@]}" <<'EOF'
const fs = require("fs");
const path = require("path");
const [bundle, dest, ...names] = process.argv.slice(2);
global.window = {};
const assets = require(bundle);
const topojson = assets.topojson || (window.Plotly && window.Plotly.topojson);
if (!topojson) throw new Error("no topojson in " + bundle);
for (const name of names) {
  const data = topojson[name];
  if (!data || !data.objects || !data.objects.countries) throw new Error("no countries in " + name + " (have: " + Object.keys(topojson).join(", ") + ")");
  const file = path.join(dest, name + ".json");
  fs.writeFileSync(file, JSON.stringify(data));
  console.log("wrote assets/topojson/" + name + ".json (" + fs.statSync(file).size.toLocaleString("en") + " bytes)");
}
EOF
