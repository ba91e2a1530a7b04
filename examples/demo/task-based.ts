/** Part 1: task-based end-to-end learning of a load forecaster through a scheduling QP. */
import { trace } from '@argmin/autodiff';
import { COLORS, lineChart } from '../lib/plot.js';
import { rowsOf, runTaskBased, SCHEDULING, taskLoss, HOURS, type Model } from '../lib/task-based.js';
import type { DemoPart } from './part.js';

const sizes = (quick: boolean) =>
  quick
    ? { trainDays: 120, testDays: 60, mleSteps: 250, taskSteps: 12, batch: 16, evalEvery: 3 }
    : { trainDays: 240, testDays: 120, mleSteps: 400, taskSteps: 40, batch: 24, evalEvery: 5 };

// A task-based step costs about as much as 60 likelihood steps.
const MLE_UNIT = 1 / 60;

export const taskBasedPart: DemoPart = {
  id: 'task-based',
  title: 'Task-based learning: scheduling generators through a QP',
  reference: 'Donti, Amos & Kolter, Task-based End-to-end Model Learning in Stochastic Optimization (NeurIPS 2017)',
  units: (quick) => sizes(quick).mleSteps * MLE_UNIT + sizes(quick).taskSteps,
  async run({ quick, progress }) {
    const r = await runTaskBased({ ...sizes(quick), onStep: (phase) => progress(phase === 'mle' ? MLE_UNIT : 1) });
    const gain = 1 - r.task.testTaskLoss / r.mle.testTaskLoss;
    const task = r.curve.filter((c) => c.phase === 'task');
    const start = r.curve.filter((c) => c.phase === 'mle').at(-1)!;
    const steps = [0, ...task.map((c) => c.step - r.config.mleSteps)];
    const loss = lineChart({
      series: [
        { name: 'task-based, held out', x: steps, y: [start.testTaskLoss, ...task.map((c) => c.testTaskLoss)], color: COLORS[1] },
        {
          name: 'task-based, training days',
          x: steps,
          y: [start.trainTaskLoss, ...task.map((c) => c.trainTaskLoss)],
          color: COLORS[1],
          dashed: true,
        },
      ],
      rules: [
        { y: r.mle.testTaskLoss, label: 'MLE model, held out', color: COLORS[0] },
        { y: start.trainTaskLoss, label: 'MLE model, training days', color: '#9db0e6' },
      ],
      xLabel: `fine-tuning step (after ${r.config.mleSteps} MLE steps)`,
      yLabel: 'scheduling cost per day',
    });
    const hours = Array.from({ length: HOURS }, (_, h) => h);
    const day = [
      { name: 'load (observed)', y: r.example.y, color: '#222', dashed: false },
      { name: 'schedule, MLE model', y: r.example.zMle, color: COLORS[0], dashed: false },
      { name: 'schedule, task-based', y: r.example.zTask, color: COLORS[1], dashed: false },
    ];
    const schedule = lineChart({ series: day.map((d) => ({ ...d, x: hours })), xLabel: 'hour', yLabel: 'load / generation' });
    // One loss evaluation on four training days, traced for the viewer.
    const x4 = rowsOf(r.data.train.x, [0, 1, 2, 3]);
    const y4 = rowsOf(r.data.train.y, [0, 1, 2, 3]);
    const graph = trace((m: Model, x, y) => taskLoss(m, x, y), [r.models.task, x4, y4], {
      name: 'task-based scheduling loss',
      argNames: ['model', 'features', 'load'],
      parameters: [0],
    });
    return {
      summary: `test scheduling cost per day: task-based ${r.task.testTaskLoss.toFixed(2)} vs MLE ${r.mle.testTaskLoss.toFixed(2)} (${(100 * gain).toFixed(0)}% lower); test NLL ${r.task.testNll.toFixed(2)} vs ${r.mle.testNll.toFixed(2)}`,
      description:
        `A linear model predicts a Gaussian (μ, σ) for each hour of a day's load from temperature-like covariates; generation z is scheduled by ` +
        `minimizing the expected cost γ_s[y−z]₊ + γ_e[z−y]₊ + ½(z−y)² (γ_s = ${SCHEDULING.gammaShort}, γ_e = ${SCHEDULING.gammaExcess}) under ramp limits |zᵢ − zᵢ₊₁| ≤ ${SCHEDULING.ramp}, ` +
        `by sequential quadratic programming with the qp node. Maximum likelihood fits the (skewed) noise's variance; fine-tuning on the realized cost, ` +
        `with gradients through the last QP's implicit VJP, learns where the decision needs the upper tail. ${r.config.trainDays} training and ${r.config.testDays} held-out synthetic days.`,
      graph,
      figures: [
        { name: 'loss', title: 'Scheduling cost while fine-tuning through the QP (MLE model for reference)', svg: loss },
        { name: 'schedule', title: 'One held-out day: load and the two schedules', svg: schedule },
      ],
      metrics: {
        taskTestCost: r.task.testTaskLoss,
        mleTestCost: r.mle.testTaskLoss,
        taskTestNll: r.task.testNll,
        mleTestNll: r.mle.testNll,
        sqpIterations: Math.max(r.task.sqpIterations, r.mle.sqpIterations),
        sqpLastStep: Math.max(r.task.sqpLastStep, r.mle.sqpLastStep),
      },
    };
  },
};
