import { describe, expect, it } from 'vitest';
import { fleetServer } from './fleet-server';

const FLEET = [
  { profile: 'compute-2s', count: 3 },
  { profile: 'gpu-node', count: 2 },
  { profile: 'compute-2s', count: 4 },
];

describe('fleetServer', () => {
  it("counts a profile's servers in fleet order, across its entries", () => {
    expect(fleetServer(FLEET, 'compute-2s', 0)).toEqual({ ok: true, server: 0 });
    expect(fleetServer(FLEET, 'compute-2s', 2)).toEqual({ ok: true, server: 2 });
    expect(fleetServer(FLEET, 'compute-2s', 3)).toEqual({ ok: true, server: 5 });
    expect(fleetServer(FLEET, 'compute-2s', 6)).toEqual({ ok: true, server: 8 });
    expect(fleetServer(FLEET, 'gpu-node', 1)).toEqual({ ok: true, server: 4 });
  });

  it('says why a server does not exist', () => {
    expect(fleetServer(FLEET, 'compute-2s', 7)).toMatchObject({
      ok: false,
      reason: 'out-of-range',
      message: expect.stringContaining('has 7 server(s)'),
    });
    expect(fleetServer(FLEET, 'storage-2s', 0)).toMatchObject({
      ok: false,
      reason: 'unknown-profile',
      message: expect.stringContaining('compute-2s, gpu-node'),
    });
  });
});
