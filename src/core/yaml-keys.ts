/**
 * Where a key of a parsed YAML document is, so that a config error can name its file and line
 * (`scenarios/x.yaml:12: key "strategy.gammaPerTick": …`). Shared by the scenario loader and the
 * local exchange's accounts file and fault plans. Pure: the caller reads the file.
 */
import { isMap, isScalar, visit, type Document, type LineCounter, type Node as YamlNode, type YAMLError } from 'yaml';

/** The 1-based line of the key at `path` (map keys by name, list items by index), or of its nearest existing parent. */
export function yamlKeyLine(doc: Document, lines: LineCounter, path: readonly (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const parent = n === 0 ? doc.contents : (doc.getIn(path.slice(0, n - 1), true) as YamlNode | undefined);
    if (n === 0) return parent?.range ? lines.linePos(parent.range[0]).line : undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(path[n - 1]));
      const node = (pair?.key ?? undefined) as YamlNode | undefined;
      if (node?.range) return lines.linePos(node.range[0]).line;
    } else {
      const node = doc.getIn(path.slice(0, n), true) as YamlNode | undefined;
      if (node?.range) return lines.linePos(node.range[0]).line;
    }
  }
  return undefined;
}

/**
 * The first alias without an anchor before it (`*name`): the loaders' message and its line, or
 * undefined. Such a document parses without an error; only converting it (`toJS`) throws, as a
 * ReferenceError without a line, so each loader asks this first and reports the line.
 */
export function unresolvedAlias(doc: Document, lines: LineCounter): { message: string; line: number } | undefined {
  let found: { message: string; line: number } | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) !== undefined) return undefined;
      found = { message: `not valid YAML: the alias *${node.source} has no anchor &${node.source} before it`, line: node.range ? lines.linePos(node.range[0]).line : 1 };
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * The loaders' message for a YAML syntax error (reported at the line of `e.pos[0]`). A second
 * document (`---` after the first) gets its own words: the library's message names one of its
 * functions, which says nothing to a user.
 */
export function yamlErrorMessage(e: YAMLError): string {
  if (e.code === 'MULTIPLE_DOCS') return 'one YAML document expected, but a second one starts on this line (---): keep one document in the file';
  return `not valid YAML: ${e.message.split('\n')[0]}`;
}
