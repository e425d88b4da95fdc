/**
 * `deno task build:npm`: writes the npm package into `npm/` (git-ignored). The TypeScript compiler
 * from npm emits ES modules and `.d.ts` files from the same sources Deno runs, rewriting the `.ts`
 * import specifiers to `.js` (`rewriteRelativeImportExtensions`). Then it proves the module graphs
 * are what the `exports` map promises: nothing reachable from the Node entry names `Deno`, nothing
 * reachable from the browser entry imports `node:` modules, and every relative import resolves to
 * a file in the package.
 *
 * Types are checked by `deno check` (the same sources, with Node's and Deno's types); this build
 * only emits (`noCheck`), because npm's compiler here has neither set of runtime types. The emitted
 * declarations are type-checked from a consumer's side by `scripts/check_npm_package.sh`.
 *
 * @module
 */

import ts from "typescript";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const OUT = `${ROOT}/npm`;
const ESM = `${OUT}/esm`;

/** The package's entry points: source file → the export-map key and condition it serves. */
const ENTRIES = {
  node: "src/node.ts",
  browser: "browser.ts",
  testingNode: "src/testing/node.ts",
  testing: "src/testing/mod.ts",
  cli: "src/cli/node.ts",
} as const;

const COMPILER_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: [
    "lib.es2022.d.ts",
    "lib.dom.d.ts",
    "lib.dom.iterable.d.ts",
    "lib.dom.asynciterable.d.ts",
    "lib.esnext.disposable.d.ts",
  ],
  types: [],
  strict: true,
  declaration: true,
  // Declarations tagged `@internal` (what the async client hands its subscriptions) stay out of the
  // package's types: users cannot reach them anyway.
  stripInternal: true,
  allowImportingTsExtensions: true,
  rewriteRelativeImportExtensions: true,
  isolatedModules: true,
  noCheck: true,
  skipLibCheck: true,
  newLine: ts.NewLineKind.LineFeed,
  rootDir: ROOT,
  outDir: ESM,
};

const out = (source: string, ext: ".js" | ".d.ts") => `./esm/${source.replace(/\.ts$/, ext)}`;
const target = (source: string) => ({ types: out(source, ".d.ts"), default: out(source, ".js") });

function packageJson(version: string): Record<string, unknown> {
  return {
    name: "stompest",
    version,
    description: "STOMP 1.0/1.1/1.2 client for Node, browsers and Deno: TCP, TLS, WebSocket, failover, " +
      "async-iterable subscriptions and a sync-style client. No dependencies.",
    license: "MIT",
    keywords: ["stomp", "activemq", "rabbitmq", "artemis", "messaging", "websocket", "failover"],
    type: "module",
    // AbortSignal.any (used by the async client) arrived in Node 20.3.
    engines: { node: ">=20.3.0" },
    // Only the Node entry does something on import: it registers the node:net/node:tls connector.
    sideEffects: [out(ENTRIES.node, ".js")],
    exports: {
      ".": {
        browser: target(ENTRIES.browser),
        node: target(ENTRIES.node),
        default: target(ENTRIES.browser),
      },
      "./testing": {
        browser: target(ENTRIES.testing),
        node: target(ENTRIES.testingNode),
        default: target(ENTRIES.testing),
      },
      "./package.json": "./package.json",
    },
    // `npx stompest ...`: the CLI under Node (the shebang is kept by the compiler).
    bin: { stompest: out(ENTRIES.cli, ".js") },
    main: out(ENTRIES.node, ".js"),
    types: out(ENTRIES.node, ".d.ts"),
    files: ["esm/", "README.md", "LICENSE"],
  };
}

/** Compiles the entries (and everything they import) into `npm/esm`; throws listing any diagnostic. */
function emit(): string[] {
  const roots = Object.values(ENTRIES).map((source) => `${ROOT}/${source}`);
  const program = ts.createProgram(roots, COMPILER_OPTIONS);
  const written: string[] = [];
  const result = program.emit(
    undefined,
    (file, text) => {
      Deno.mkdirSync(file.slice(0, file.lastIndexOf("/")), { recursive: true });
      Deno.writeTextFileSync(file, text);
      written.push(file);
    },
    undefined,
    false,
    { afterDeclarations: [rewriteDeclarationSpecifiers] },
  );
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(),
    ...result.diagnostics,
  ];
  if (diagnostics.length > 0 || result.emitSkipped) {
    const host: ts.FormatDiagnosticsHost = {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => "\n",
    };
    throw new Error(`tsc failed:\n${ts.formatDiagnostics(diagnostics, host)}`);
  }
  return written;
}

/**
 * `rewriteRelativeImportExtensions` rewrites the JavaScript only; declarations would keep
 * `./core.ts`, which a consumer's compiler (without `allowImportingTsExtensions`) rejects.
 */
function rewriteDeclarationSpecifiers(
  context: ts.TransformationContext,
): (node: ts.SourceFile | ts.Bundle) => ts.SourceFile | ts.Bundle {
  const f = context.factory;
  const js = (specifier: ts.Expression): ts.Expression =>
    ts.isStringLiteral(specifier) && /^\.\.?\//.test(specifier.text) && specifier.text.endsWith(".ts")
      ? f.createStringLiteral(specifier.text.replace(/\.ts$/, ".js"))
      : specifier;
  const visit = (node: ts.Node): ts.Node => {
    if (ts.isImportDeclaration(node)) {
      return f.updateImportDeclaration(
        node,
        node.modifiers,
        node.importClause,
        js(node.moduleSpecifier),
        node.attributes,
      );
    }
    if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      return f.updateExportDeclaration(
        node,
        node.modifiers,
        node.isTypeOnly,
        node.exportClause,
        js(node.moduleSpecifier),
        node.attributes,
      );
    }
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = js(node.argument.literal as ts.Expression) as ts.StringLiteral;
      return f.updateImportTypeNode(
        node,
        f.updateLiteralTypeNode(node.argument, literal),
        node.attributes,
        node.qualifier,
        node.typeArguments ? [...node.typeArguments] : undefined,
        node.isTypeOf,
      );
    }
    return ts.visitEachChild(node, visit, context);
  };
  return (node) => ts.isSourceFile(node) ? ts.visitEachChild(node, visit, context) : node;
}

interface ModuleFacts {
  /** Import/export specifiers (static) and `import()` ones (dynamic). */
  readonly imports: { readonly specifier: string; readonly dynamic: boolean }[];
  /** Whether an identifier `Deno` appears (comments and strings do not count). */
  readonly namesDeno: boolean;
}

function facts(file: string): ModuleFacts {
  const text = Deno.readTextFileSync(file);
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const imports: { specifier: string; dynamic: boolean }[] = [];
  let namesDeno = false;
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      imports.push({ specifier: node.moduleSpecifier.text, dynamic: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) imports.push({ specifier: literal.text, dynamic: false });
    } else if (
      ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] && ts.isStringLiteral(node.arguments[0])
    ) {
      imports.push({ specifier: node.arguments[0].text, dynamic: true });
    } else if (ts.isIdentifier(node) && node.text === "Deno") {
      namesDeno = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, namesDeno };
}

function exists(file: string): boolean {
  try {
    return Deno.statSync(file).isFile;
  } catch {
    return false;
  }
}

/**
 * Walks the module graph from `entry` (following dynamic imports unless `staticOnly`) and returns
 * every file reached and every bare (non-relative) specifier imported. Throws on a relative
 * specifier that does not end in `.js` or names no file.
 */
function graph(entry: string, staticOnly = false): { files: Map<string, ModuleFacts>; bare: Set<string> } {
  const files = new Map<string, ModuleFacts>();
  const bare = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    const f = facts(file);
    files.set(file, f);
    for (const { specifier, dynamic } of f.imports) {
      if (!specifier.startsWith(".")) {
        bare.add(specifier);
        continue;
      }
      const dir = file.slice(0, file.lastIndexOf("/"));
      const resolved = new URL(specifier, `file://${dir}/`).pathname;
      const js = file.endsWith(".d.ts") ? resolved.replace(/\.js$/, ".d.ts") : resolved;
      if (!specifier.endsWith(".js") || !exists(js)) {
        throw new Error(`${file}: import "${specifier}" does not resolve to a .js file of the package`);
      }
      if (!(staticOnly && dynamic)) pending.push(js);
    }
  }
  return { files, bare };
}

/** The promises the export map makes, checked on the emitted files. */
function verify(): string[] {
  const notes: string[] = [];
  const at = (source: string, ext: ".js" | ".d.ts") => `${OUT}/${out(source, ext).slice(2)}`;
  const rel = (file: string) => file.slice(OUT.length + 1);

  const node = graph(at(ENTRIES.node, ".js"));
  const deno = [...node.files].filter(([, f]) => f.namesDeno).map(([file]) => rel(file));
  if (deno.length > 0) throw new Error(`the Node entry reaches Deno globals in ${deno.join(", ")}`);
  notes.push(`node entry: ${node.files.size} modules, no Deno; imports ${[...node.bare].sort().join(", ")}`);

  const cli = graph(at(ENTRIES.cli, ".js"));
  const cliDeno = [...cli.files].filter(([, f]) => f.namesDeno).map(([file]) => rel(file));
  if (cliDeno.length > 0) throw new Error(`the Node CLI reaches Deno globals in ${cliDeno.join(", ")}`);
  const cliBare = [...cli.bare].filter((s) => !s.startsWith("node:"));
  if (cliBare.length > 0) throw new Error(`the Node CLI imports ${cliBare.join(", ")}`);
  if (!Deno.readTextFileSync(at(ENTRIES.cli, ".js")).startsWith("#!/usr/bin/env node\n")) {
    throw new Error(`${ENTRIES.cli}: the bin lost its shebang`);
  }
  notes.push(`cli (bin): ${cli.files.size} modules, no Deno, a #!/usr/bin/env node line`);

  for (const source of [ENTRIES.browser, ENTRIES.testing]) {
    const browser = graph(at(source, ".js"));
    const builtins = [...browser.bare].filter((s) => s.startsWith("node:"));
    const bareOther = [...browser.bare].filter((s) => !s.startsWith("node:"));
    if (builtins.length > 0 || bareOther.length > 0) {
      throw new Error(
        `${source} imports ${[...browser.bare].join(", ")}: the browser graph must import nothing`,
      );
    }
    notes.push(`${rel(at(source, ".js"))}: ${browser.files.size} modules, no node: imports`);
  }

  // The Node testing entry always hands the broker a node:net listener, so the Deno one behind
  // broker.listen()'s dynamic import is never loaded there; its static graph must be clean.
  const testing = graph(at(ENTRIES.testingNode, ".js"), true);
  const testingDeno = [...testing.files].filter(([, f]) => f.namesDeno).map(([file]) => rel(file));
  if (testingDeno.length > 0) {
    throw new Error(`the Node testing entry reaches Deno in ${testingDeno.join(", ")}`);
  }
  notes.push(`node testing entry: ${testing.files.size} modules statically, no Deno`);

  for (const source of Object.values(ENTRIES)) {
    const types = graph(at(source, ".d.ts"));
    const bare = [...types.bare].filter((s) => !s.startsWith("node:"));
    if (bare.length > 0) throw new Error(`${source}: declarations import ${bare.join(", ")}`);
    // What the client hands its subscriptions is tagged @internal and stripped: none may be left.
    const leaked = [...types.files.keys()].filter((file) =>
      Deno.readTextFileSync(file).includes("@internal")
    );
    if (leaked.length > 0) throw new Error(`@internal declarations left in ${leaked.map(rel).join(", ")}`);
  }
  notes.push("declarations: every relative import resolves to a .d.ts in the package; no @internal one");
  return notes;
}

async function build(): Promise<void> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`)) as { version: string };
  await Deno.remove(OUT, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.mkdir(OUT, { recursive: true });
  const written = emit();
  await Deno.writeTextFile(
    `${OUT}/package.json`,
    JSON.stringify(packageJson(config.version), null, 2) + "\n",
  );
  await Deno.copyFile(`${ROOT}/README.md`, `${OUT}/README.md`);
  await Deno.copyFile(`${ROOT}/LICENSE`, `${OUT}/LICENSE`);
  console.log(`npm/: stompest@${config.version}, ${written.length} files emitted`);
  for (const note of verify()) console.log(`  ${note}`);
}

if (import.meta.main) await build();
