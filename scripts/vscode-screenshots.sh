#!/usr/bin/env bash
# Regenerate the VS Code screenshots of docs/editors.md: the extension (built from editors/vscode)
# installed in code-server (VS Code in a browser, from npm), the language server of this checkout
# (.venv/bin/decisionlang lsp) on a copy of examples/quickstart, driven in Debian's headless chromium
# by playwright-core. Everything is installed under a cache directory (default
# ~/.cache/decisionlang-screenshots) and code-server listens on 127.0.0.1 only, without auth,
# for the time of the run.
#
#     scripts/vscode-screenshots.sh [OUTPUT_DIR]        (default docs/images)
#
# Needs node 20 and npm, a C++ toolchain and, as root, Debian's libkrb5-dev, libx11-dev,
# libxkbfile-dev, libsecret-1-dev, ripgrep and chromium (installed when missing). code-server's own
# install downloads ripgrep and prebuilt native modules from outside the npm registry; where that
# is not reachable, this script uses Debian's ripgrep and builds the native modules from source
# against the system node's headers.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$(cd "${1:-$ROOT/docs/images}" && pwd)"
CACHE="${DECISIONLANG_SCREENSHOT_CACHE:-$HOME/.cache/decisionlang-screenshots}"
CODE_SERVER_VERSION=4.100.3   # the last line that runs on node 20
PLAYWRIGHT_VERSION=1.49.1
PORT="${PORT:-8377}"
DECISIONLANG="${DECISIONLANG:-$ROOT/.venv/bin/decisionlang}"

missing=()
for package in libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev ripgrep chromium; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

mkdir -p "$CACHE"
cd "$CACHE"
[ -f package.json ] || echo '{"name": "decisionlang-screenshots", "private": true}' > package.json
if [ ! -x node_modules/.bin/code-server ]; then
  npm install --no-audit --no-fund --ignore-scripts "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION"
  npm_config_nodedir=/usr npm rebuild argon2
  (
    cd node_modules/code-server/lib/vscode
    npm install --omit=dev --ignore-scripts --no-audit --no-fund
    mkdir -p node_modules/@vscode/ripgrep/bin && ln -sf /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg
    npm_config_yes=true npm_config_nodedir=/usr npm rebuild
    cd extensions && npm install --omit=dev --no-audit --no-fund
  )
fi

(cd "$ROOT/editors/vscode" && npm ci --no-audit --no-fund --loglevel=error && npm run package)
rm -rf user extensions workspace && mkdir -p user/User workspace
cp -r "$ROOT/examples/quickstart/." workspace/
cat > user/User/settings.json <<SETTINGS
{
  "decisionlang.path": "$DECISIONLANG",
  "workbench.colorTheme": "Default Dark Modern",
  "workbench.startupEditor": "none",
  "security.workspace.trust.enabled": false,
  "telemetry.telemetryLevel": "off",
  "workbench.tips.enabled": false,
  "editor.minimap.enabled": false,
  "window.commandCenter": false,
  "chat.commandCenter.enabled": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none"
}
SETTINGS
SERVER=(node_modules/.bin/code-server --user-data-dir "$CACHE/user" --extensions-dir "$CACHE/extensions")
"${SERVER[@]}" --install-extension "$ROOT/editors/vscode/dist/decisionlang.vsix"
setsid "${SERVER[@]}" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry \
  --disable-update-check --disable-workspace-trust > code-server.log 2>&1 &
server=$!
trap 'kill -- -$server 2>/dev/null || true' EXIT
for _ in $(seq 60); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break
  sleep 1
done
NODE_PATH="$CACHE/node_modules" node "$ROOT/scripts/vscode-screenshots.js" \
  "http://127.0.0.1:$PORT" "$CACHE/workspace" "$OUT"
ls -l "$OUT"/vscode-*.png
