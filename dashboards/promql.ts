// Metric names in a PromQL expression, from the Prometheus project's own
// grammar (lezer-promql), so typos in panel queries can be caught without a
// server. promtool stays the judge of validity; this only reads names.
import { parser } from '@prometheus-io/lezer-promql';

/** Metric names selected by the expression, sorted. Throws where the grammar finds an error. */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  const tree = parser.parse(expr);
  const errors: number[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
      if (node.name !== 'VectorSelector') return;
      const ident = node.node.getChild('Identifier');
      if (ident) {
        names.add(expr.slice(ident.from, ident.to));
        return;
      }
      // {__name__="x"} selects by name too.
      const m = /__name__\s*=\s*"([^"]+)"/.exec(expr.slice(node.from, node.to));
      if (m?.[1]) names.add(m[1]);
    },
  });
  if (errors.length > 0) throw new Error(`PromQL syntax error at offset ${errors[0]} in: ${expr}`);
  return [...names].sort();
}
