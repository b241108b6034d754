import { Injectable } from '@nestjs/common';
import {
  compileExperiment,
  couplingLayout,
  decodeSparse,
  decodeTally,
  FleetEngine,
  rolloutPlanOf,
  validateSpec,
  type Aggregate,
  type AggregateLayout,
  type CompiledExperiment,
  type CouplingLayout,
} from '../../../../libs/kdump-core/src';
import type { ExperimentRecord } from '../domain/experiment';
import { Lru } from '../domain/lru';

/** A compiled experiment, the layout of its aggregates, and an engine to ask about its servers. */
export interface ExperimentModel {
  model: CompiledExperiment;
  layout: AggregateLayout;
  /** Layout of the failure-domain slots after the fleet's, for a spec with domains; else null. */
  coupling: CouplingLayout | null;
  engine: FleetEngine;
}

/**
 * Compiled models and merged aggregates of stored experiments, cached in memory
 * (both are pure functions of what Redis holds, and a done aggregate never changes).
 */
@Injectable()
export class ExperimentModels {
  private readonly models = new Lru<ExperimentModel>(32);
  private readonly aggregates = new Lru<Aggregate>(32);

  /** The compiled model of a stored experiment; its spec was validated when it was posted. */
  modelOf(rec: Pick<ExperimentRecord, 'id' | 'spec'>): ExperimentModel {
    const hit = this.models.get(rec.id);
    if (hit) {
      return hit;
    }
    const result = validateSpec(rec.spec);
    if (!result.ok) {
      throw new Error(
        `experiment ${rec.id}: its stored spec no longer validates: ${result.errors
          .map((e) => `${e.path || '(spec)'}: ${e.message}`)
          .join('; ')}`,
      );
    }
    const model = compileExperiment(result.resolved);
    const engine = new FleetEngine(model);
    const entry = { model, layout: engine.layout, coupling: couplingLayout(model), engine };
    this.models.set(rec.id, entry);
    return entry;
  }

  /**
   * The merged aggregate of a done experiment, decoded once, with its roll-out
   * waves when the spec has a `rollout:` (`loadRollout`).
   */
  async aggregateOf(
    rec: Pick<ExperimentRecord, 'id' | 'spec'>,
    load: () => Promise<number[] | null>,
    loadRollout: () => Promise<number[] | null>,
  ): Promise<Aggregate | null> {
    const hit = this.aggregates.get(rec.id);
    if (hit) {
      return hit;
    }
    const sparse = await load();
    if (!sparse) {
      return null;
    }
    const { layout, model, coupling } = this.modelOf(rec);
    const aggregate = decodeSparse(layout, sparse, coupling);
    const plan = rolloutPlanOf(model);
    if (plan) {
      const tally = await loadRollout();
      if (!tally) {
        throw new Error(
          `experiment ${rec.id} is done but its roll-out waves are missing from Redis`,
        );
      }
      aggregate.rollout = decodeTally(tally, plan);
    }
    this.aggregates.set(rec.id, aggregate);
    return aggregate;
  }
}
