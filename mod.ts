export * from "./src/errors.ts";
export * from "./src/spec.ts";
export * from "./src/frame.ts";
export * from "./src/parser.ts";
