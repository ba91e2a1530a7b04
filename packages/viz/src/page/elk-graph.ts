// Turns the visible view into ELK's JSON input: leaves with their measured sizes, open clusters as
// compound nodes (hierarchical layered layout), edges placed in their innermost common cluster.
// Big views get cheaper settings so that 2,000 nodes lay out within the 5 s budget.
import type { ElkExtendedEdge, ElkNode, LayoutOptions } from 'elkjs/lib/elk-api.js';
import type { Description, Measure } from './describe.js';
import { formatShape } from './format.js';
import { type GraphModel, inputName } from './model.js';
import type { ItemId, View, VisibleEdge, VisibleItem } from './view.js';

/** Above this many leaves, route and place with the fast options and skip ELK edge labels. */
export const BIG_VIEW = 400;

export const CLUSTER_HEADER = 40;

const COMMON: LayoutOptions = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
  'elk.json.shapeCoords': 'ROOT',
  'elk.json.edgeCoords': 'ROOT',
  'elk.spacing.nodeNode': '18',
  'elk.layered.spacing.nodeNodeBetweenLayers': '44',
  'elk.spacing.edgeNode': '12',
  'elk.spacing.edgeEdge': '8',
  'elk.spacing.edgeLabel': '2',
  'elk.layered.spacing.edgeNodeBetweenLayers': '14',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.padding': '[top=24,left=24,bottom=24,right=24]',
};

const SMALL: LayoutOptions = {
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
};

// Measured on 2,000-node graphs: these options cut layout time several-fold, at some cost in
// edge crossings; polyline routing is much cheaper than orthogonal for thousands of edges.
const BIG: LayoutOptions = {
  'elk.edgeRouting': 'POLYLINE',
  'elk.layered.thoroughness': '1',
  'elk.layered.nodePlacement.strategy': 'LINEAR_SEGMENTS',
  'elk.layered.compaction.postCompaction.strategy': 'NONE',
};

export interface ElkInput {
  readonly graph: ElkNode;
  readonly big: boolean;
}

export function toElkGraph(view: View, model: GraphModel, describe: (item: VisibleItem) => Description, measure: Measure): ElkInput {
  const big = view.leafCount > BIG_VIEW;
  const compounds = new Map<ItemId | null, ElkNode>();
  const root: ElkNode = { id: 'root', layoutOptions: { ...COMMON, ...(big ? BIG : SMALL) }, children: [], edges: [] };
  compounds.set(null, root);

  const convert = (item: VisibleItem): ElkNode => {
    const d = describe(item);
    if (item.type !== 'open') return { id: item.id, width: d.width, height: d.height };
    const headerWidth = Math.max(measure(d.title, 'title'), measure(d.subtitle, 'sub')) + 60;
    const node: ElkNode = {
      id: item.id,
      layoutOptions: {
        'elk.padding': `[top=${CLUSTER_HEADER + 12},left=16,bottom=16,right=16]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${Math.ceil(headerWidth)},${CLUSTER_HEADER + 20})`,
      },
      children: item.children.map(convert),
      edges: [],
    };
    compounds.set(item.id, node);
    return node;
  };
  root.children = view.roots.map(convert);

  for (const e of view.edges) {
    const container = compounds.get(e.container) ?? root;
    container.edges!.push(toElkEdge(e, model, measure, big));
  }
  return { graph: root, big };
}

function toElkEdge(e: VisibleEdge, model: GraphModel, measure: Measure, big: boolean): ElkExtendedEdge {
  const edge: ElkExtendedEdge = { id: e.id, sources: [e.source], targets: [e.target] };
  if (!big) {
    const text = edgeLabel(e, model);
    edge.labels = [{ text, width: Math.ceil(measure(text, 'badge')) + 6, height: 14 }];
  }
  return edge;
}

/**
 * The shape of the value an edge carries, after the parameter it feeds when the target names its
 * inputs ('Q · 50×50'); '+k' when folding merged several values.
 */
export function edgeLabel(e: VisibleEdge, model: GraphModel): string {
  const valueId = e.values[0]!;
  const first = formatShape(model.values.get(valueId)?.shape);
  const target = e.target.startsWith('n:') ? model.nodes.get(e.target.slice(2)) : undefined;
  const name = target ? inputName(target, target.inputs.indexOf(valueId)) : undefined;
  const text = name ? `${name} · ${first}` : first;
  return e.values.length > 1 ? `${text} +${e.values.length - 1}` : text;
}
