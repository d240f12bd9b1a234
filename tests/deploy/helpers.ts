// Shared by the deploy/ checks: YAML documents with their line numbers, and a check that a
// container's arguments are a `maker` command line the CLI accepts (command, flags, values).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, Option } from 'commander';
import { LineCounter, parseAllDocuments } from 'yaml';
import { buildProgram } from '../../src/cli/main.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const DEPLOY = join(ROOT, 'deploy');

export interface YamlDoc {
  readonly file: string;
  readonly line: number;
  readonly value: Record<string, unknown>;
}

/** Every document of a YAML file; a syntax error names the file and line. */
export function yamlDocs(file: string): YamlDoc[] {
  const text = readFileSync(file, 'utf8');
  const lc = new LineCounter();
  const out: YamlDoc[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter: lc, prettyErrors: true, merge: true })) {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${file}: a document is not a mapping`);
    out.push({ file, line: lc.linePos(doc.range[0]).line, value: value as Record<string, unknown> });
  }
  return out;
}

/** Commands a parallel branch adds (issue 14's queue backend): checked once they are in the CLI. */
export const PENDING_COMMANDS: ReadonlySet<string> = new Set(['worker']);

export type ArgsCheck = { readonly ok: true; readonly command: string; readonly options: ReadonlyMap<string, string | true>; readonly all: readonly (readonly [string, string | true])[] } | { readonly ok: false; readonly pending: string };

let program: Command | undefined;

/** The CLI's commands, as `maker --help` lists them. */
export function makerCommands(): Command[] {
  program ??= buildProgram();
  return program.commands as Command[];
}

/**
 * Checks `args` (what follows `maker`) against the CLI: the command exists, every `--flag` is one
 * of its options, a flag that takes a value has one. Throws with `where` and the reason; a command
 * of PENDING_COMMANDS not in this build yet is reported as pending (the caller skips).
 */
export function checkMakerArgs(args: readonly string[], where: string): ArgsCheck {
  const [name, ...rest] = args;
  const cmd = makerCommands().find((c) => c.name() === name);
  if (cmd === undefined) {
    if (name !== undefined && PENDING_COMMANDS.has(name)) return { ok: false, pending: `maker ${name} is not in this build yet (issue 14, queue backend): its flags are checked once it is` };
    throw new Error(`${where}: "maker ${name ?? ''}" is not a maker command (maker --help lists ${makerCommands().map((c) => c.name()).join(', ')})`);
  }
  const options = new Map<string, string | true>();
  const all: [string, string | true][] = [];
  const known = new Map<string, Option>();
  for (const o of cmd.options as Option[]) if (o.long) known.set(o.long, o);
  let positionals = 0;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--help' || a === '-h') {
      options.set('--help', true);
      continue;
    }
    if (!a.startsWith('-')) {
      positionals++;
      if (positionals > cmd.registeredArguments.length && !cmd.registeredArguments.at(-1)?.variadic) throw new Error(`${where}: maker ${name} takes no argument "${a}"`);
      continue;
    }
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const o = known.get(flag);
    if (o === undefined) throw new Error(`${where}: maker ${name} has no option ${flag} (maker ${name} --help)`);
    if (o.required || o.optional) {
      const v = inline ?? rest[i + 1];
      if (inline === undefined) i++;
      if (o.required && (v === undefined || v.startsWith('--'))) throw new Error(`${where}: maker ${name} ${flag} needs a value`);
      options.set(flag, v ?? true);
      all.push([flag, v ?? true]);
    } else {
      if (inline !== undefined) throw new Error(`${where}: maker ${name} ${flag} takes no value`);
      options.set(flag, true);
      all.push([flag, true]);
    }
  }
  for (const o of cmd.options as Option[]) if (o.mandatory && o.long && !options.has(o.long) && !options.has('--help')) throw new Error(`${where}: maker ${name} needs ${o.long}`);
  return { ok: true, command: name, options, all };
}
