import { InvalidInputError } from '@argmin/autodiff';
import { checkConstraint, checkObjective } from './dcp.js';
import { asExpr, Constraint, format, leaves, type Expr, type ExprLike } from './expr.js';

/** An objective: the sense and a scalar expression. */
export interface Objective {
  readonly sense: 'minimize' | 'maximize';
  readonly expr: Expr;
}

export function minimize(e: ExprLike): Objective {
  return { sense: 'minimize', expr: asExpr(e) };
}

export function maximize(e: ExprLike): Objective {
  return { sense: 'maximize', expr: asExpr(e) };
}

/** A convex problem: checked against the DCP rules when it is built. */
export class Problem {
  constructor(
    readonly objective: Objective,
    readonly constraints: readonly Constraint[],
  ) {
    checkObjective(objective.sense, objective.expr);
    constraints.forEach((c, i) => {
      if (!(c instanceof Constraint))
        throw new InvalidInputError(`model: problem(): constraint ${i} is not a constraint (use x.le(y), x.eq(y), psd(X))`);
      checkConstraint(c);
    });
  }

  get variables(): Expr[] {
    return leaves([this.objective.expr, ...this.constraints.flatMap((c) => [c.lhs, c.rhs])], 'variable');
  }

  get parameters(): Expr[] {
    return leaves([this.objective.expr, ...this.constraints.flatMap((c) => [c.lhs, c.rhs])], 'parameter');
  }

  /** `minimize f  s.t.  g₁, g₂, …` on one line (the layer's label in traced graphs). */
  toString(): string {
    const obj = `${this.objective.sense} ${format(this.objective.expr)}`;
    return this.constraints.length === 0 ? obj : `${obj} s.t. ${this.constraints.map(String).join(', ')}`;
  }
}

export function problem(objective: Objective, constraints: readonly Constraint[] = []): Problem {
  return new Problem(objective, constraints);
}
