// The decisionlang extension's client: starts `decisionlang lsp` (stdio) for .policy files and the
// project's state YAML, and runs the code lenses' "explain on subject…" and "run tests".
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as vscode from "vscode";
import {
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

export const EXPLAIN = "decisionlang.explainSubject";
export const RUN_TESTS = "decisionlang.runTests";
export const RESTART = "decisionlang.restartServer";
const RESULT_SCHEME = "decisionlang-result";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
const results = new Map<string, string>();
const resultChanged = new vscode.EventEmitter<vscode.Uri>();
const registered = new Set<string>();

/** The command to run (`decisionlang.path`; left at its default, the workspace's own
 * `.venv/bin/decisionlang` when there is one) and the server's arguments (`decisionlang.serverArgs`). */
export function serverCommand(configuration: vscode.WorkspaceConfiguration): { command: string; args: string[] } {
  let command = (configuration.get<string>("path") || "decisionlang").trim() || "decisionlang";
  const root = workspaceRoot();
  if (command === "decisionlang" && root) {
    const local = path.join(root, ".venv", process.platform === "win32" ? "Scripts" : "bin", "decisionlang");
    if (fs.existsSync(local) || fs.existsSync(`${local}.exe`)) command = local;
  }
  const extra = configuration.get<string[]>("serverArgs") || [];
  return { command, args: ["lsp", ...extra.map(String)] };
}

function workspaceRoot(uri?: vscode.Uri): string | undefined {
  const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) || vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.fsPath;
}

/** The id of the server's command for `kind` ("explain" or "test"), from its capabilities. */
function serverCommandId(kind: "explain" | "test"): string | undefined {
  const commands = client?.initializeResult?.capabilities.executeCommandProvider?.commands || [];
  return commands.find((id) => id.toLowerCase().includes(kind));
}

function textOf(result: unknown): string {
  if (typeof result === "string") return result;
  if (result && typeof result === "object" && typeof (result as { text?: unknown }).text === "string") {
    return (result as { text: string }).text;
  }
  return JSON.stringify(result, null, 2);
}

/** Shows `text` in a read-only editor tab titled `title` (reused when the same title comes again). */
async function showResult(title: string, text: string): Promise<void> {
  const uri = vscode.Uri.from({ scheme: RESULT_SCHEME, path: `/${title.replace(/[\\/]/g, "_")}.txt` });
  results.set(uri.toString(), text);
  resultChanged.fire(uri);
  const document = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(document, { preview: true, viewColumn: vscode.ViewColumn.Beside });
}

/** The subject to explain: given, chosen among those the code lens offers, or typed. */
async function askSubject(argument: Record<string, unknown>): Promise<string | undefined> {
  if (typeof argument.subject === "string" && argument.subject) return argument.subject;
  const subjects = Array.isArray(argument.subjects) ? argument.subjects.map(String) : [];
  if (subjects.length > 0) {
    return vscode.window.showQuickPick(subjects, { placeHolder: "Explain the decision on which subject?" });
  }
  return vscode.window.showInputBox({ prompt: "Explain the decision on which subject?", placeHolder: "payments-api" });
}

function firstArgument(args: unknown[]): Record<string, unknown> {
  const first = args[0];
  if (first && typeof first === "object" && !Array.isArray(first)) return { ...(first as Record<string, unknown>) };
  if (typeof first === "string") return { uri: first };
  return {};
}

/** Runs the CLI itself (for a server that offers no such command). */
function runCli(args: string[], cwd: string | undefined): Promise<string> {
  const { command } = serverCommand(vscode.workspace.getConfiguration("decisionlang"));
  return new Promise((resolve) => {
    execFile(command, [...args, "--no-color"], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const text = `${stdout}${stderr}`;
      resolve(error && !text ? `${command} ${args.join(" ")}: ${error.message}` : text);
    });
  });
}

async function explain(...args: unknown[]): Promise<void> {
  const argument = firstArgument(args);
  const documentUri = vscode.window.activeTextEditor?.document.uri;
  if (!argument.uri && documentUri) argument.uri = documentUri.toString();
  const subject = await askSubject(argument);
  if (!subject) return;
  argument.subject = subject;
  const id = serverCommandId("explain");
  const text = id
    ? textOf(await client!.sendRequest(ExecuteCommandRequest.type, { command: id, arguments: [argument] }))
    : await runCli(["explain", subject, "."], workspaceRoot(documentUri));
  await showResult(`explain ${subject}`, text);
}

async function runTests(...args: unknown[]): Promise<void> {
  const argument = firstArgument(args);
  const documentUri = vscode.window.activeTextEditor?.document.uri;
  if (!argument.uri && documentUri) argument.uri = documentUri.toString();
  const id = serverCommandId("test");
  const text = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "decisionlang: running the policy tests" },
    async () =>
      id
        ? textOf(await client!.sendRequest(ExecuteCommandRequest.type, { command: id, arguments: [argument] }))
        : runCli(["test", "."], workspaceRoot(documentUri)),
  );
  await showResult("policy tests", text);
}

function clientOptions(): LanguageClientOptions {
  return {
    documentSelector: [
      { scheme: "file", language: "decisionlang" },
      { scheme: "untitled", language: "decisionlang" },
      { scheme: "file", language: "yaml", pattern: "**/{services,initiatives}/**/*.{yaml,yml}" },
      { scheme: "file", language: "yaml", pattern: "**/*.test.{yaml,yml}" },
    ],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{*.policy,*.yaml,*.yml,*.json}"),
    },
    outputChannel: output,
    middleware: {
      // The code lenses' commands, when the server registers them itself: ask for the subject
      // first, then show what the server answers instead of dropping it.
      executeCommand: async (command, args, next) => {
        const lower = command.toLowerCase();
        const argument = firstArgument(args);
        const active = vscode.window.activeTextEditor?.document.uri;
        if (!argument.uri && active) argument.uri = active.toString(); // run from the palette
        if (lower.includes("explain")) {
          const subject = await askSubject(argument);
          if (!subject) return undefined;
          argument.subject = subject;
          const result = await next(command, [argument, ...args.slice(1)]);
          await showResult(`explain ${subject}`, textOf(result));
          return result;
        }
        const result = await next(command, [argument, ...args.slice(1)]);
        if (lower.includes("test")) await showResult("policy tests", textOf(result));
        return result;
      },
    },
  };
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const { command, args } = serverCommand(vscode.workspace.getConfiguration("decisionlang"));
  const server: ServerOptions = {
    command,
    args,
    transport: TransportKind.stdio,
    options: { cwd: workspaceRoot() },
  };
  client = new LanguageClient("decisionlang", "decisionlang language server", server, clientOptions());
  try {
    await client.start();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const choice = await vscode.window.showErrorMessage(
      `decisionlang: could not start \`${command} ${args.join(" ")}\` (${message}). ` +
        "Install the language server with `pip install 'decisionlang[lsp]'` or set `decisionlang.path`.",
      "Open settings",
    );
    if (choice) await vscode.commands.executeCommand("workbench.action.openSettings", "decisionlang.path");
    return;
  }
  // The palette's commands: registered here unless the server registers the same ids itself.
  const provided = new Set(client.initializeResult?.capabilities.executeCommandProvider?.commands || []);
  for (const [id, handler] of [
    [EXPLAIN, explain],
    [RUN_TESTS, runTests],
  ] as const) {
    if (!provided.has(id) && !registered.has(id)) {
      registered.add(id);
      context.subscriptions.push(vscode.commands.registerCommand(id, handler));
    }
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("decisionlang");
  context.subscriptions.push(
    output,
    vscode.workspace.registerTextDocumentContentProvider(RESULT_SCHEME, {
      onDidChange: resultChanged.event,
      provideTextDocumentContent: (uri) => results.get(uri.toString()) ?? "",
    }),
    vscode.commands.registerCommand(RESTART, async () => {
      if (client && client.state === State.Running) await client.restart();
      else await startClient(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("decisionlang.path") || event.affectsConfiguration("decisionlang.serverArgs")) {
        await client?.stop();
        client = undefined;
        await startClient(context);
      }
    }),
  );
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

