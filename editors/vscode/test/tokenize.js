#!/usr/bin/env node
// Tokenises files with the extension's TextMate grammar, as VS Code does (vscode-textmate and
// the Oniguruma regular expressions), and prints one JSON object: for every file, its lines'
// tokens as [line, start, end, scopes] (line from 1, start/end in UTF-16 code units).
// Usage: node test/tokenize.js FILE...   (the test suite compares this with the parser's tokens)
"use strict";
const fs = require("fs");
const path = require("path");
const oniguruma = require("vscode-oniguruma");
const textmate = require("vscode-textmate");

const root = path.join(__dirname, "..");
const grammarPath = path.join(root, "syntaxes", "decisionlang.tmLanguage.json");

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === "source.decisionlang"
        ? textmate.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath)
        : null,
  });
  return registry.loadGrammar("source.decisionlang");
}

function tokenize(grammar, text) {
  const out = [];
  let stack = textmate.INITIAL;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const result = grammar.tokenizeLine(line, stack);
    for (const token of result.tokens) {
      const end = Math.min(token.endIndex, line.length);
      if (end > token.startIndex) out.push([index + 1, token.startIndex, end, token.scopes]);
    }
    stack = result.ruleStack;
  });
  return out;
}

async function main() {
  const grammar = await loadGrammar();
  const result = {};
  for (const file of process.argv.slice(2)) result[file] = tokenize(grammar, fs.readFileSync(file, "utf8"));
  process.stdout.write(JSON.stringify(result));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(2);
});
