/** Part 2: learning a polytope's constraints (G, h) of a QP layer from projections onto it. */
import * as Plot from '@observablehq/plot';
import { slice, trace, type Tensor } from '@argmin/autodiff';
import { COLORS, lineChart, plotSvg } from '../lib/plot.js';
import { meanSquaredError, polygonVertices, project, runConstraintLearning, type Halfspaces } from '../lib/optnet-constraints.js';
import type { DemoPart } from './part.js';

const sizes = (quick: boolean) =>
  quick ? { steps: 100, trainPoints: 256, testPoints: 500 } : { steps: 200, trainPoints: 512, testPoints: 1000 };

function polygonFigure(
  shapes: { name: string; c: Halfspaces; color: string; dashed?: boolean }[],
  samples: { x: Tensor; y: Tensor },
): string {
  const marks: Plot.Markish[] = [];
  const n = samples.x.shape[0]!;
  const pairs = Array.from({ length: n }, (_, i) => ({
    x1: samples.x.data[2 * i]!,
    y1: samples.x.data[2 * i + 1]!,
    x2: samples.y.data[2 * i]!,
    y2: samples.y.data[2 * i + 1]!,
  }));
  marks.push(Plot.link(pairs, { x1: 'x1', y1: 'y1', x2: 'x2', y2: 'y2', stroke: '#c9ced8', strokeWidth: 1, clip: true }));
  marks.push(Plot.dot(pairs, { x: 'x1', y: 'y1', r: 1.8, fill: '#9aa3b2', clip: true }));
  // Drawn in order, each thinner than the last, so coinciding outlines stay visible.
  shapes.forEach((s, i) => {
    const v = polygonVertices(s.c);
    const ring = [...v, v[0]!].map(([x, y]) => ({ x, y }));
    marks.push(
      Plot.line(ring, {
        x: 'x',
        y: 'y',
        stroke: s.color,
        strokeWidth: s.dashed ? 1.5 : 6 - 3.5 * i,
        strokeOpacity: i === 0 ? 0.35 : 1,
        ...(s.dashed ? { strokeDasharray: '4,4' } : {}),
      }),
    );
  });
  marks.push(Plot.dot(pairs, { x: 'x2', y: 'y2', r: 2.2, fill: COLORS[1]! }));
  const legend = shapes.map((s, i) => ({ x: -2.9, y: 2.7 - 0.32 * i, name: s.name, color: s.color }));
  marks.push(Plot.text(legend, { x: 'x', y: 'y', text: 'name', fill: 'color', textAnchor: 'start', fontSize: 11, fontWeight: 600 }));
  return plotSvg({
    width: 420,
    height: 420,
    marginLeft: 40,
    style: { fontSize: '11px', background: 'white' },
    x: { domain: [-3, 3], label: null, grid: true },
    y: { domain: [-3, 3], label: null, grid: true },
    marks,
  } as Plot.PlotOptions);
}

export const optnetPart: DemoPart = {
  id: 'optnet-constraints',
  title: 'OptNet: learning hard constraints of a QP layer',
  reference: 'Amos & Kolter, OptNet: Differentiable Optimization as a Layer in Neural Networks (ICML 2017)',
  units: (quick) => sizes(quick).steps / 40,
  async run({ quick, progress }) {
    const r = await runConstraintLearning({ ...sizes(quick), onStep: () => progress(1 / 40) });
    const steps = r.curve.map((c) => c.step);
    const loss = lineChart({
      series: [
        { name: 'QP layer (learned G, h)', x: steps, y: r.curve.map((c) => c.optnet), color: COLORS[1] },
        { name: 'MLP (same data, steps)', x: steps, y: r.curve.map((c) => c.mlp), color: COLORS[0] },
      ],
      rules: [{ y: r.test.identity, label: 'identity (no constraints)' }],
      logY: true,
      xLabel: 'Adam step',
      yLabel: 'held-out squared error',
    });
    const shapes = polygonFigure(
      [
        { name: 'unknown polygon', c: r.truth, color: '#222' },
        { name: 'learned constraints', c: r.learned, color: COLORS[1]! },
        { name: 'initial guess', c: r.initial, color: '#8a93a3', dashed: true },
      ],
      r.samples,
    );
    const x8 = slice(r.samples.x, [0, 0], [8, 2]);
    const y8 = slice(r.samples.y, [0, 0], [8, 2]);
    const graph = trace((c: Halfspaces, x: Tensor, y: Tensor) => meanSquaredError(project(c, x), y), [r.learned, x8, y8], {
      name: 'OptNet constraint-learning loss',
      argNames: ['constraints', 'points', 'projections'],
      parameters: [0],
    });
    const fmt = (v: number) => v.toExponential(1);
    return {
      summary: `held-out squared error: learned-constraint QP ${fmt(r.test.optnet)} vs MLP ${fmt(r.test.mlp)} vs identity ${fmt(r.test.identity)} (initial constraints ${fmt(r.test.initial)})`,
      description:
        `Targets are projections of random points onto an unknown ${r.config.sides}-sided polygon. The layer ŷ = argmin ½‖z − x‖² s.t. Gz ≤ h ` +
        `starts from a regular ${r.config.learnedSides}-gon and learns G and h by backpropagating through the QP's KKT conditions; once it has found ` +
        `the polygon it is exact everywhere. A residual MLP trained on the same ${r.config.trainPoints} points for the same ${r.config.steps} steps only approximates the projection.`,
      graph,
      figures: [
        { name: 'loss', title: 'Held-out error during training (log scale)', svg: loss },
        { name: 'polygon', title: 'Unknown polygon, initial and learned constraints; points → their projections', svg: shapes },
      ],
      metrics: {
        optnetTestError: r.test.optnet,
        mlpTestError: r.test.mlp,
        identityTestError: r.test.identity,
        initialTestError: r.test.initial,
      },
    };
  },
};
