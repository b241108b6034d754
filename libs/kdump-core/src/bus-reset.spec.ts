import { describe, expect, it } from 'vitest';
import { Step } from './compile';
import { deviceBase, DeviceSlot, uniformsPerJob } from './crash-layout';
import { resetScratch } from './device-reset';
import { secondaryBusReset } from './bus-reset';
import { State } from './outcome';
import {
  bus,
  CLEARS_ALL,
  CLEARS_NOTHING,
  cause,
  device,
  driver,
  lab,
  profile,
} from '../../../test/fixtures/core';

const l = lab(`
name: bus-reset
seed: 1
fleet: [{profile: lab, count: 1}]
events: {crash: {perServer: 1, causes: {clean: 1}}}
strategies: [none]
catalogue:
  crashCauses: {clean: ${cause()}}
  drivers: {calm: ${driver()}}
  devices:
    resettable: ${device({ busResetClears: CLEARS_ALL })}
    deaf: ${device({ busResetClears: CLEARS_NOTHING })}
  profiles:
    lab: ${profile({
      dumpTarget: 'a',
      buses: [bus('port', { a: 'resettable', b: 'deaf' }), bus('other', { c: 'resettable' })],
    })}
`);
const p = l.model.profiles[0]!;
const bit = 1 << Step.BusReset;

function scratchWith(states: number[]) {
  const s = resetScratch(8);
  states.forEach((v, d) => (s.state[d] = v));
  return s;
}

describe('secondaryBusReset', () => {
  const u = new Float64Array(uniformsPerJob(p.deviceCount, p.busCount)).fill(0.5);
  const port = p.devBus[0]!;

  it('resets every device below the bus, and only those, with its per-state odds', () => {
    const s = scratchWith([State.Wedged, State.StaleRing, State.InFlightDma]);
    expect(secondaryBusReset(p, port, 200_000, s, u)).toBe(true);
    expect(Array.from(s.state.slice(0, 3))).toEqual([
      State.Quiescent, // clears everything
      State.StaleRing, // this device's model: the bus reset changes nothing
      State.InFlightDma, // another bus
    ]);
    expect(Array.from(s.reinitUs.slice(0, 3))).toEqual([200_000, 200_000, 0]);
    expect(Array.from(s.applied.slice(0, 3))).toEqual([bit, bit, 0]);
  });

  it('resets a bus once per bring-up: a second call changes nothing', () => {
    const s = scratchWith([State.Wedged, State.StaleRing, State.Wedged]);
    secondaryBusReset(p, port, 200_000, s, u);
    expect(secondaryBusReset(p, port, 200_000, s, u)).toBe(false);
    expect(Array.from(s.reinitUs.slice(0, 2))).toEqual([200_000, 200_000]);
  });

  it("reads each device's own recovery uniform", () => {
    const odds = lab(`
name: odds
seed: 1
fleet: [{profile: lab, count: 1}]
events: {crash: {perServer: 1, causes: {clean: 1}}}
strategies: [none]
catalogue:
  crashCauses: {clean: ${cause()}}
  drivers: {calm: ${driver()}}
  devices:
    half: ${device({ busResetClears: { inFlightDma: 0.5, pendingInterrupt: 0.5, staleRing: 0.5, wedged: 0.5 } })}
  profiles:
    lab: ${profile({ dumpTarget: 'a', buses: [bus('port', { a: 'half', b: 'half' })] })}
`).model.profiles[0]!;
    const uu = new Float64Array(uniformsPerJob(odds.deviceCount, odds.busCount)).fill(0.9);
    uu[deviceBase(1) + DeviceSlot.BusResetRecovers] = 0.1;
    const s = scratchWith([State.Wedged, State.Wedged]);
    secondaryBusReset(odds, odds.devBus[0]!, 1, s, uu);
    expect(Array.from(s.state.slice(0, 2))).toEqual([State.Wedged, State.Quiescent]);
  });
});
