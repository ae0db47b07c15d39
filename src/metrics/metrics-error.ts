import { PrivedgeError } from '../errors.js';

/**
 * A problem with the inputs of a metric: a label that is not one of the classes, a duplicated
 * class, a NaN score. `what` names the input at fault, e.g. `predicted[3]` or `argminRows`.
 */
export class MetricsError extends PrivedgeError {
  constructor(what: string, message: string, options?: { cause?: unknown }) {
    super('METRICS', `${what}: ${message}`, options);
  }
}
